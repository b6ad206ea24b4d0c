"""Okapi BM25 across segments with exact global statistics.

Document frequency, live row count and average length are summed over all segments with
deleted rows left out (their postings are counted at query time, which costs one gather per
query term), so scores do not change when segments are merged or deletions compacted.
IDF is the non-negative Lucene form ln(1 + (N - df + 0.5) / (df + 0.5)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.store.arrays import unique_sorted
from rag.store.terms import query_hashes
from rag.store.terms import term_hashes as _term_hashes

if TYPE_CHECKING:
    from rag.store.lexical import BM25Index

Postings = list[tuple[np.ndarray, np.ndarray] | None]


@dataclass(frozen=True)
class SegmentView:
    """A segment's postings plus the rows deleted from it since it was written."""

    index: BM25Index
    deleted_rows: np.ndarray  # local row positions, no duplicates
    deleted_mask: np.ndarray | None  # bool per row; None when nothing is deleted
    live_rows: int
    live_length: float
    _norms: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, index: BM25Index, deleted_ids: np.ndarray | None = None) -> SegmentView:
        rows = index.rows_for(deleted_ids) if deleted_ids is not None else np.empty(0, dtype=np.int64)
        if index.removed.any():
            rows = np.union1d(rows, np.flatnonzero(index.removed))
        mask = None
        if len(rows):
            mask = np.zeros(len(index.ids), dtype=bool)
            mask[rows] = True
        live_length = float(index.lengths.sum(dtype=np.float64) - index.lengths[rows].sum(dtype=np.float64))
        return cls(index, rows, mask, int(len(index.ids) - len(rows)), live_length)

    def norm(self, avgdl: float, k1: float, b: float) -> np.ndarray:
        """k1 * (1 - b + b * length / avgdl) per row, cached per snapshot's statistics."""
        key = (avgdl, k1, b)
        cached = self._norms.get(key)
        if cached is None:
            cached = (k1 * (1.0 - b + b * self.index.lengths / avgdl)).astype(np.float32)
            self._norms.clear()  # only the latest statistics are ever asked for again
            self._norms[key] = cached
        return cached


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.float32), np.empty(0, dtype=np.int64)


def search_segments(
    views: Sequence[SegmentView],
    query: str,
    k: int,
    allowed: np.ndarray | None = None,
    *,
    k1: float = 1.5,
    b: float = 0.75,
) -> tuple[np.ndarray, np.ndarray]:
    """Top `k` (scores, ids), 1-D, best first; only rows that contain a query term."""
    hashes, qtf = query_hashes(query)
    n_live = sum(v.live_rows for v in views)
    if k <= 0 or not len(hashes) or n_live == 0:
        return _empty()
    if allowed is not None:
        allowed = unique_sorted(np.asarray(allowed, dtype=np.int64))
        if not len(allowed):
            return _empty()
    avgdl = max(sum(v.live_length for v in views) / n_live, 1e-9)
    postings = [v.index.postings(hashes) for v in views]
    df = np.zeros(len(hashes), dtype=np.float64)
    for view, plist in zip(views, postings):
        for t, hit in enumerate(plist):
            if hit is not None:
                dead = np.count_nonzero(view.deleted_mask[hit[0]]) if view.deleted_mask is not None else 0
                df[t] += len(hit[0]) - dead
    weights = (qtf * np.log1p((n_live - df + 0.5) / (df + 0.5))).astype(np.float32)
    parts = [_segment_top(v, p, weights, avgdl, k, allowed, k1, b) for v, p in zip(views, postings)]
    scores = np.concatenate([p[0] for p in parts])
    ids = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ids, -scores))[:k]  # ties broken by id so results are reproducible
    return scores[order], ids[order]


def term_idf(views: Sequence[SegmentView], words: Sequence[str]) -> dict[str, float]:
    """IDF of analysed terms over the live rows of all segments (same formula as scoring)."""
    unique = list(dict.fromkeys(words))
    n_live = sum(v.live_rows for v in views)
    if not unique or n_live == 0:
        return {}
    hashes = _term_hashes(unique)
    df = np.zeros(len(unique), dtype=np.float64)
    for view in views:
        for t, hit in enumerate(view.index.postings(hashes)):
            if hit is not None:
                dead = np.count_nonzero(view.deleted_mask[hit[0]]) if view.deleted_mask is not None else 0
                df[t] += len(hit[0]) - dead
    idf = np.log1p((n_live - df + 0.5) / (df + 0.5))
    return dict(zip(unique, idf.tolist()))


def _segment_top(
    view: SegmentView,
    plist: Postings,
    weights: np.ndarray,
    avgdl: float,
    k: int,
    allowed: np.ndarray | None,
    k1: float,
    b: float,
) -> tuple[np.ndarray, np.ndarray]:
    index = view.index
    hits = [(w, p) for w, p in zip(weights, plist) if p is not None and w > 0]
    if not hits:
        return _empty()
    scores = np.zeros(len(index.ids), dtype=np.float32)
    norm = view.norm(avgdl, k1, b)
    for weight, (rows, tf) in hits:
        # Within one term's postings rows are unique, so fancy-index += accumulates correctly.
        scores[rows] += (weight * (k1 + 1.0)) * tf / (tf + norm[rows])
    if len(view.deleted_rows):
        scores[view.deleted_rows] = 0.0
    if allowed is not None:
        candidates = index.rows_for(allowed)
    elif sum(len(p[0]) for _, p in hits) < len(scores) // 8:
        # Few postings: rank only the touched rows instead of partitioning the whole segment.
        candidates = unique_sorted(np.concatenate([p[0] for _, p in hits]))
    else:
        candidates = None
    local = scores if candidates is None else scores[candidates]
    top = _top_positions(local, k)
    rows = top if candidates is None else candidates[top]
    return local[top], index.ids[rows]


def _top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest positive scores (unordered; the caller sorts)."""
    if len(scores) > k:
        top = np.argpartition(-scores, k - 1)[:k]
    else:
        top = np.arange(len(scores))
    return top[scores[top] > 0]
