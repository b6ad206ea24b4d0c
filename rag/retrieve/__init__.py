"""Retrieval: a query in, ranked passages out.

`retriever` runs the dense and BM25 searches and fuses them, `focus` re-scores the fused head by
sentence coverage of the query, `rerank` is the optional cross-encoder second stage.
"""

from __future__ import annotations

from rag.retrieve.retriever import MODES, Reranker, Retriever, diversify

__all__ = ["MODES", "Reranker", "Retriever", "diversify"]
