"""The immutable read state of an index: loaded segments plus the ids deleted from them.

Readers take `store._snapshot` once per call and use only that object, so a commit that swaps
in a new snapshot is never seen half-done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.errors import IndexCorruptError
from rag.store.arrays import unique_sorted
from rag.store.bm25 import SegmentView, search_segments, term_idf
from rag.store.chunk_cache import ChunkCache
from rag.store.dense import IdSet, as_queries, empty_hits
from rag.store.params import StoreParams
from rag.store.records import ChunkText, StoredChunk
from rag.store.segments import Segment, load_segment

if TYPE_CHECKING:
    from rag.store.catalog import Catalog

_LOAD_TRIES = 3  # a concurrent compaction may delete a segment between listing and loading it


@dataclass(frozen=True)
class LiveSegment:
    segment: Segment
    deleted: IdSet  # ids of this segment deleted since it was written
    lexical: SegmentView


@dataclass(frozen=True)
class Snapshot:
    segments: tuple[LiveSegment, ...]
    deleted: np.ndarray  # sorted ids deleted from any segment, not yet compacted away
    dimension: int
    k1: float
    b: float
    # Chunks read from the catalog while this snapshot is current; a commit starts a new, empty one.
    chunks: ChunkCache[StoredChunk] = field(default_factory=ChunkCache, compare=False, repr=False)
    texts: ChunkCache[ChunkText] = field(default_factory=ChunkCache, compare=False, repr=False)

    @property
    def rows(self) -> int:
        return sum(s.segment.rows for s in self.segments)

    def by_name(self) -> dict[str, LiveSegment]:
        return {s.segment.name: s for s in self.segments}

    def dense_search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first, merged over segments; id -1 pads."""
        queries = as_queries(queries, self.dimension)
        if k <= 0 or not self.segments:
            return empty_hits(len(queries), max(k, 0))
        allowed_set = None
        if allowed is not None:
            allowed_set = IdSet(np.setdiff1d(np.asarray(allowed, dtype=np.int64), self.deleted))
            if not len(allowed_set):
                return empty_hits(len(queries), k)
        parts = [
            live.segment.dense.search(
                queries, k, allowed_set, exclude=None if allowed_set is not None else live.deleted
            )
            for live in self.segments
        ]
        if len(parts) == 1 and not len(self.deleted) and _best_first(parts[0][0]):
            return parts[0]  # the merge below would keep this order as it is (a stable sort)
        scores = np.concatenate([p[0] for p in parts], axis=1)
        ids = np.concatenate([p[1] for p in parts], axis=1)
        if len(self.deleted):
            # Belt and braces: the selectors already exclude deleted ids; never let one through.
            stale = np.isin(ids, self.deleted)
            scores, ids = np.where(stale, -np.inf, scores), np.where(stale, -1, ids)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)

    def lexical_search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), 1-D, best first, BM25 with statistics over all live rows."""
        views = [s.lexical for s in self.segments]
        return search_segments(views, query, k, allowed, k1=self.k1, b=self.b)

    def term_idf(self, words: list[str]) -> dict[str, float]:
        return term_idf([s.lexical for s in self.segments], words)


def _best_first(scores: np.ndarray) -> bool:
    """Whether each row is already in non-increasing order (-inf padding last)."""
    return bool(np.all(scores[:, :-1] >= scores[:, 1:]))


def make_snapshot(
    segments: Sequence[Segment],
    deleted: np.ndarray,
    *,
    dimension: int,
    k1: float,
    b: float,
    previous: Snapshot | None = None,
) -> Snapshot:
    """A snapshot over `segments`, reusing the per-segment state of `previous` where unchanged."""
    deleted = unique_sorted(np.asarray(deleted, dtype=np.int64))
    old = previous.by_name() if previous is not None else {}
    lives = []
    for segment in segments:
        rows = segment.lexical.rows_for(deleted)
        prior = old.get(segment.name)
        # Deletions of a segment only grow, so an equal count means the same set.
        if prior is not None and prior.segment is segment and len(prior.deleted) == len(rows):
            lives.append(prior)
            continue
        seg_deleted = IdSet(segment.lexical.ids[rows])
        lives.append(LiveSegment(segment, seg_deleted, SegmentView.of(segment.lexical, seg_deleted.ids)))
    return Snapshot(tuple(lives), deleted, dimension, k1, b)


@dataclass(frozen=True)
class CatalogState:
    """What one commit left: its generation, the meta table, the live segments and deleted ids."""

    generation: int
    meta: dict[str, Any]
    segments: list[Segment]
    deleted: np.ndarray


def load_state(
    catalog: Catalog, root: Path, params: StoreParams, loaded: dict[str, LiveSegment], known_generation: int
) -> CatalogState | None:
    """The catalog's current state, reusing the `loaded` segments; None when it is `known_generation`."""
    for attempt in range(_LOAD_TRIES):
        generation, meta, listed, deleted = catalog.read_state()
        if generation == known_generation:
            return None
        try:
            segments = [
                loaded[name].segment if name in loaded else load_segment(root, name, rows, params)
                for name, _kind, rows in listed
            ]
        except IndexCorruptError:
            # A compaction elsewhere may have dropped a listed segment since we read the list.
            if attempt + 1 < _LOAD_TRIES and catalog.generation() != generation:
                continue
            raise
        return CatalogState(generation, meta, segments, deleted)
    raise AssertionError("unreachable")
