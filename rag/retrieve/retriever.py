"""Turn a query into ranked passages: dense, lexical or hybrid (weighted reciprocal rank fusion),
then near-duplicate suppression, a per-document cap, and an optional cross-encoder rerank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.config import RETRIEVAL_MODES, RetrievalSettings
from rag.errors import ConfigError
from rag.retrieve.focus import FocusQuery
from rag.retrieve.fusion import Candidate as _Candidate
from rag.retrieve.fusion import fuse
from rag.retrieve.fusion import max_norm as _max_norm
from rag.retrieve.repeats import RepeatMemo
from rag.retrieve.weights import resolved_weights, with_tuned_weights
from rag.text.analyze import terms
from rag.text.memo import PASSAGE_CHARS, per_text
from rag.types import Filters, Passage

if TYPE_CHECKING:
    from rag.embed.base import Embedder
    from rag.store import ChunkText, StoredChunk
    from rag.store.protocol import Store

MODES = RETRIEVAL_MODES
MAX_POOL = 10_000  # deepest candidate list a crowded-out search grows to, bounding its cost
_SHINGLE = 4


class Reranker(Protocol):
    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]: ...


class Retriever:
    """Searches one index store with one embedder; apart from what it is given, it keeps only the
    work a repeated question would redo (rag.retrieve.repeats), which changes no result."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        settings: RetrievalSettings,
        reranker: Reranker | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = with_tuned_weights(settings, embedder.id)
        self.weights = resolved_weights(settings, embedder.id)
        self.reranker = reranker
        self.repeats = RepeatMemo()

    def search(self, query: str, k: int, *, mode: str | None = None, filters: Filters | None = None) -> list[Passage]:
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise ConfigError(f"unknown retrieval mode {mode!r}; use one of: {', '.join(MODES)}")
        allowed = self.store.allowed_ids(filters) if filters is not None and not filters.is_empty() else None
        if allowed is not None and len(allowed) == 0:
            return []
        pool = max(self.settings.candidates, 4 * k)
        wanted = 3 * k if self.reranker is not None else k
        set_aside = np.empty(0, dtype=np.int64)
        while True:
            lists = self._ranked_lists(query, mode, pool + len(set_aside), allowed)
            lists = {name: _without(hits, set_aside) for name, hits in lists.items()}
            chosen, complete, seen = self._choose(query, mode, self._fuse(lists), wanted)
            exhausted = all(np.count_nonzero(ids >= 0) < pool for _, ids in lists.values())
            if complete or exhausted or pool >= MAX_POOL:
                break
            # A few documents' many chunks (or copies) filled the pool: search again without the
            # rest of them, so that the other documents get their turn. Without such documents
            # the pool was short of distinct passages, and a deeper search finds only more copies.
            crowding = self._crowding(chosen, seen)
            if not len(np.setdiff1d(crowding, set_aside)):
                break
            set_aside = np.union1d(set_aside, crowding)
            pool *= 2
        passages = self._passages(chosen)
        if self.reranker is not None and passages:
            passages = self.reranker.rerank(query, passages)[:k]
        for rank, passage in enumerate(passages, start=1):
            passage.rank = rank
        return passages

    def _passages(self, chosen: list[tuple[ChunkText, _Candidate]]) -> list[Passage]:
        """The chosen chunks read whole (ranking read only their texts); one deleted meanwhile is left out."""
        by_id = {chunk.id: chunk for chunk in self.store.chunks([cand.id for _, cand in chosen])}
        return [_to_passage(by_id[cand.id], cand) for _, cand in chosen if cand.id in by_id]

    def _choose(
        self, query: str, mode: str, candidates: Sequence[_Candidate], wanted: int
    ) -> tuple[list[tuple[ChunkText, _Candidate]], bool, list[str]]:
        """Fetch candidate chunks in growing windows until diversification has `wanted` of them.

        Most searches stop at the first window; a document whose many chunks fill the top of the
        list makes the window grow so that other documents get their turn.
        """
        # Focus re-scores the head of the list, so it needs those texts; dense needs only a margin.
        window = wanted + 3 if mode == "dense" else max(2 * wanted, self.settings.focus_depth)
        fetched: list[tuple[ChunkText, _Candidate]] = []
        taken = 0
        while True:
            batch, taken = candidates[taken:window], window
            by_id = {chunk.id: chunk for chunk in self.store.chunk_texts([c.id for c in batch])}
            fetched += [(by_id[c.id], c) for c in batch if c.id in by_id]
            ranked = fetched if mode == "dense" else self._focus(query, list(fetched))
            # Focus is lexical evidence; a dense-only search stays purely semantic.
            chosen, complete = diversify(
                ranked, wanted, self.settings.max_per_document, self.settings.duplicate_threshold
            )
            if complete or window >= len(candidates):
                return chosen, complete, [chunk.doc_id for chunk, _ in fetched]
            window *= 4

    def _crowding(self, chosen: list[tuple[ChunkText, _Candidate]], seen: list[str]) -> np.ndarray:
        """Chunk ids of the documents that filled the candidate list, except the passages chosen from them."""
        counts: dict[str, int] = {}
        for doc_id in seen:
            counts[doc_id] = counts.get(doc_id, 0) + 1
        crowding = sorted(doc for doc, n in counts.items() if n > 2 * self.settings.max_per_document)
        if not crowding:
            return np.empty(0, dtype=np.int64)
        ids = self.store.allowed_ids(Filters(doc_id=crowding))
        return np.setdiff1d(ids, [cand.id for _, cand in chosen])

    def _ranked_lists(
        self, query: str, mode: str, pool: int, allowed: np.ndarray | None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if mode in ("dense", "hybrid") and self.weights.dense > 0 or mode == "dense":
            vector = self.repeats.query_vector(query, self.embedder.embed_query).reshape(1, -1)
            scores, ids = self.store.dense_search(vector, pool, allowed)
            lists["dense"] = (scores[0], ids[0])
        if mode in ("lexical", "hybrid") and self.weights.lexical > 0 or mode == "lexical":
            scores, ids = self.store.lexical_search(query, pool, allowed)
            lists["lexical"] = (np.ravel(scores), np.ravel(ids))
        return lists

    def _fuse(self, lists: dict[str, tuple[np.ndarray, np.ndarray]]) -> Sequence[_Candidate]:
        weights = {"dense": self.weights.dense, "lexical": self.weights.lexical}
        return fuse(lists, weights, rrf_k=self.settings.rrf_k if self.settings.fusion == "rrf" else None)

    def _focus(self, query: str, ranked: list[tuple[ChunkText, _Candidate]]) -> list[tuple[ChunkText, _Candidate]]:
        """Re-score the head of the list by how well one sentence covers the query (see rag.retrieve.focus)."""
        weight = self.weights.focus
        head, tail = ranked[: self.settings.focus_depth], ranked[self.settings.focus_depth :]
        focus = FocusQuery.build(self.store.term_idf(terms(query))) if weight > 0 and head else None
        for _, cand in head:
            cand.scores.setdefault("fused", cand.fused)  # the pre-focus score, kept across re-runs
        fused = _max_norm(np.array([cand.scores["fused"] for _, cand in head], dtype=np.float64))
        if focus is not None and focus.terms:
            # A growing window re-ranks chunks already scored: only the new ones are scanned.
            todo = [(chunk.text, cand) for chunk, cand in head if "focus" not in cand.scores]
            for (_, cand), score in zip(todo, self.repeats.focus_scores(focus, [text for text, _ in todo])):
                cand.scores["focus"] = score
            for (_, cand), base in zip(head, fused.tolist()):
                cand.fused = (1 - weight) * base + weight * cand.scores["focus"]
        head.sort(key=lambda item: item[1].fused, reverse=True)
        return head + tail


def _without(hits: tuple[np.ndarray, np.ndarray], ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, found = hits
    if not len(ids):
        return scores, found
    keep = ~np.isin(found, ids)
    return scores[keep], found[keep]


def diversify(
    ranked: Sequence[tuple[ChunkText, _Candidate]],
    k: int,
    max_per_document: int,
    duplicate_threshold: float,
) -> tuple[list[tuple[ChunkText, _Candidate]], bool]:
    """Take the best `k`, skipping near-copies of passages already taken and capping each document.

    A passage is a near-copy when at least `duplicate_threshold` of its word shingles are already
    covered by chosen passages (the same quotation carried by several articles). When the cap
    leaves fewer than `k`, capped passages are taken back in rank order; copies never are. The flag
    says whether `k` were found without taking capped ones back.
    """
    chosen: list[tuple[ChunkText, _Candidate]] = []
    capped: list[tuple[ChunkText, _Candidate]] = []
    covered: set[int] = set()
    seen: dict[str, int] = {}  # passages of each document looked at: taken, or skipped as copies
    per_doc: dict[str, int] = {}

    def is_copy(text: str) -> bool:
        shingles = _shingles(text)
        return bool(shingles) and len(shingles & covered) >= duplicate_threshold * len(shingles)

    for chunk, cand in ranked:
        if len(chosen) >= k:
            break
        # A document at its cap, or one that keeps repeating itself, is set aside unread: a long
        # run of its chunks then costs a dict lookup each, not a shingle comparison.
        if per_doc.get(chunk.doc_id, 0) >= max_per_document or seen.get(chunk.doc_id, 0) >= 4 * max_per_document:
            capped.append((chunk, cand))
            continue
        seen[chunk.doc_id] = seen.get(chunk.doc_id, 0) + 1
        if is_copy(chunk.text):
            continue
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
        covered |= _shingles(chunk.text)
        chosen.append((chunk, cand))
    complete = len(chosen) >= k
    tried: dict[str, int] = {}
    for chunk, cand in capped:
        if len(chosen) >= k:
            break
        tried[chunk.doc_id] = tried.get(chunk.doc_id, 0) + 1
        if tried[chunk.doc_id] <= 4 * max_per_document and not is_copy(chunk.text):
            covered |= _shingles(chunk.text)
            chosen.append((chunk, cand))
    return chosen, complete


# The same chunks come back search after search: their shingles are remembered (rag.text.memo).
@per_text(maxsize=4_096, max_chars=PASSAGE_CHARS)
def _shingles(text: str) -> frozenset[int]:
    # str.split, not a word regex: punctuation stays on words, which copies share all the same.
    words = text.lower().split()
    if len(words) < _SHINGLE:
        return frozenset({hash(tuple(words))}) if words else frozenset()
    return frozenset(map(hash, zip(*(words[i:] for i in range(_SHINGLE)))))


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
