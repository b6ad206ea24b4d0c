"""Turn a query into ranked passages: dense, lexical or hybrid (weighted reciprocal rank fusion),
then near-duplicate suppression, a per-document cap, and an optional cross-encoder rerank."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.config import RetrievalSettings
from rag.errors import ConfigError
from rag.types import Filters, Passage

if TYPE_CHECKING:
    from rag.embed.base import Embedder
    from rag.store import IndexStore, StoredChunk

MODES = ("dense", "lexical", "hybrid")
_SHINGLE = 4
_WORD = re.compile(r"\w+")


class Reranker(Protocol):
    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]: ...


@dataclass(slots=True)
class _Candidate:
    id: int
    fused: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)


class Retriever:
    """Searches one index store with one embedder; stateless apart from what it is given."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        settings: RetrievalSettings,
        reranker: Reranker | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker

    def search(
        self, query: str, k: int, *, mode: str | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise ConfigError(f"unknown retrieval mode {mode!r}; use one of: {', '.join(MODES)}")
        allowed = self.store.allowed_ids(filters) if filters is not None and not filters.is_empty() else None
        if allowed is not None and len(allowed) == 0:
            return []
        pool = max(self.settings.candidates, 4 * k)
        candidates = self._fuse(self._ranked_lists(query, mode, pool, allowed))
        chunks = self.store.chunks([c.id for c in candidates[: max(4 * k, 20)]])
        by_id = {chunk.id: chunk for chunk in chunks}
        ranked = [(by_id[c.id], c) for c in candidates if c.id in by_id]
        wanted = 3 * k if self.reranker is not None else k
        chosen = diversify(ranked, wanted, self.settings.max_per_document, self.settings.duplicate_threshold)
        passages = [_to_passage(chunk, cand) for chunk, cand in chosen]
        if self.reranker is not None and passages:
            passages = self.reranker.rerank(query, passages)[:k]
        for rank, passage in enumerate(passages, start=1):
            passage.rank = rank
        return passages

    def _ranked_lists(
        self, query: str, mode: str, pool: int, allowed: np.ndarray | None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if mode in ("dense", "hybrid") and self.settings.dense_weight > 0 or mode == "dense":
            vector = self.embedder.embed_query(query).reshape(1, -1)
            scores, ids = self.store.dense_search(vector, pool, allowed)
            lists["dense"] = (scores[0], ids[0])
        if mode in ("lexical", "hybrid") and self.settings.lexical_weight > 0 or mode == "lexical":
            scores, ids = self.store.lexical_search(query, pool, allowed)
            lists["lexical"] = (np.ravel(scores), np.ravel(ids))
        return lists

    def _fuse(self, lists: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[_Candidate]:
        weights = {"dense": self.settings.dense_weight, "lexical": self.settings.lexical_weight}
        single = len(lists) == 1
        candidates: dict[int, _Candidate] = {}
        for name, (scores, ids) in lists.items():
            rank = 0
            for score, chunk_id in zip(scores.tolist(), ids.tolist()):
                if chunk_id < 0:
                    continue
                rank += 1
                cand = candidates.setdefault(chunk_id, _Candidate(chunk_id))
                cand.scores[name] = float(score)
                # One list: keep its own score so callers see cosine or BM25, not an RRF artefact.
                cand.fused += float(score) if single else weights[name] / (self.settings.rrf_k + rank)
        ordered = sorted(candidates.values(), key=lambda c: c.fused, reverse=True)
        if not single:
            for cand in ordered:
                cand.scores["rrf"] = cand.fused
        return ordered


def diversify(
    ranked: Sequence[tuple[StoredChunk, _Candidate]],
    k: int,
    max_per_document: int,
    duplicate_threshold: float,
) -> list[tuple[StoredChunk, _Candidate]]:
    """Take the best `k`, skipping near-copies of passages already taken and capping each document.

    A passage is a near-copy when at least `duplicate_threshold` of its word shingles are already
    covered by chosen passages (the same quotation carried by several articles). When the cap
    leaves fewer than `k`, capped passages are taken back in rank order; copies never are.
    """
    chosen: list[tuple[StoredChunk, _Candidate]] = []
    capped: list[tuple[StoredChunk, _Candidate]] = []
    covered: set[int] = set()
    per_doc: dict[str, int] = {}
    for chunk, cand in ranked:
        if len(chosen) >= k:
            break
        shingles = _shingles(chunk.text)
        if shingles and len(shingles & covered) >= duplicate_threshold * len(shingles):
            continue
        if per_doc.get(chunk.doc_id, 0) >= max_per_document:
            capped.append((chunk, cand))
            continue
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
        covered |= shingles
        chosen.append((chunk, cand))
    for item in capped:
        if len(chosen) >= k:
            break
        chosen.append(item)
    if len(chosen) > 1:
        order = {id(item[0]): i for i, item in enumerate(ranked)}
        chosen.sort(key=lambda item: order[id(item[0])])
    return chosen


def _shingles(text: str) -> set[int]:
    words = _WORD.findall(text.lower())
    if len(words) < _SHINGLE:
        return {hash(" ".join(words))} if words else set()
    return {hash(" ".join(words[i : i + _SHINGLE])) for i in range(len(words) - _SHINGLE + 1)}


def _to_passage(chunk: StoredChunk, cand: _Candidate) -> Passage:
    return Passage(
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        title=chunk.title,
        source=chunk.source,
        url=chunk.url,
        date=chunk.date,
        score=cand.fused,
        scores=dict(cand.scores),
    )
