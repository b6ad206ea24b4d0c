"""What rag is compared against: raw FAISS, bm25s alone, and LlamaIndex's in-memory vector index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LLAMA_SKIPPED = "skipped (pip install llama-index-core in a separate venv)"


def flat_ip(vectors: np.ndarray) -> Any:
    """A plain `faiss.IndexFlatIP` over `vectors`: the floor for exact dense search."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class BM25sBaseline:
    """bm25s with English stopwords and the Snowball stemmer (what rag's analyzer also uses)."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=self._stemmer, show_progress=False)
        self.index = bm25s.BM25()
        self.index.index(tokens, show_progress=False)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        tokens = self._bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False)
        ids, scores = self.index.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return scores[0], ids[0]


def llama_available() -> bool:
    try:
        import llama_index.core  # noqa: F401
    except ImportError:
        return False
    return True


def llama_retriever(embedder: Any, texts: Sequence[str], vectors: np.ndarray, k: int = 5) -> Any:
    """LlamaIndex's default in-memory `VectorStoreIndex` over nodes with precomputed embeddings.

    The query is embedded by the same embedder rag uses, wrapped as a `BaseEmbedding`, so the
    comparison is the framework's retrieval path, not two different models.
    """
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    model = _wrap(embedder)
    nodes = [TextNode(text=t, id_=f"n{i}", embedding=v) for i, (t, v) in enumerate(zip(texts, vectors.tolist()))]
    index = VectorStoreIndex(nodes, embed_model=model, show_progress=False)
    return index.as_retriever(similarity_top_k=k)


def _wrap(embedder: Any) -> Any:
    from llama_index.core.embeddings import BaseEmbedding

    class RagEmbedding(BaseEmbedding):
        """rag's embedder behind LlamaIndex's embedding interface."""

        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query).tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed_documents([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return RagEmbedding(model_name=embedder.id, embed_batch_size=256)
