"""Dense vector indexes over FAISS: exact flat search for small segments, HNSW for large ones.

Both wrap the FAISS index in `IndexIDMap2`, so results carry the store's int64 chunk ids and
vectors can be reconstructed by id (compaction merges segments without re-embedding).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import faiss
import numpy as np

from rag.errors import IndexCorruptError

# A segment with more rows than this gets an HNSW index; below it exact search is fast enough.
FLAT_MAX_ROWS = 200_000
# Under this many allowed ids an HNSW segment scores the allowed vectors exactly: a filtered
# graph walk over a tiny allowed set misses hits, a few thousand dot products do not.
EXACT_ALLOWED_MAX = 4096


# Measured on a 2-core box (scripts/measure_store.py): one OpenMP thread is faster for single
# queries and batches alike (no thread start-up, no oversubscription), and BLAS from 16 queries
# up makes a batch of 64 about 3x faster than FAISS's default threshold of 128,000.
DEFAULT_THREADS = 1
DEFAULT_BLAS_THRESHOLD = 16
_configured = False


def configure_faiss(threads: int | None = None, blas_threshold: int | None = None) -> None:
    """Set FAISS OpenMP threads and the batch size from which flat search uses BLAS (None: measured default)."""
    global _configured
    threads = DEFAULT_THREADS if threads is None else threads
    if threads < 1:
        raise ValueError(f"FAISS threads must be >= 1, got {threads}")
    faiss.omp_set_num_threads(threads)
    faiss.cvar.distance_compute_blas_threshold = int(
        DEFAULT_BLAS_THRESHOLD if blas_threshold is None else blas_threshold)
    _configured = True


def ensure_faiss_configured() -> None:
    """Apply the measured defaults unless the application called `configure_faiss` itself."""
    if not _configured:
        configure_faiss()


class IdSet:
    """A sorted set of int64 ids with its FAISS selector built once and reused by every search."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.unique(np.asarray(ids, dtype=np.int64))
        self._selector: faiss.IDSelectorBatch | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def selector(self) -> faiss.IDSelectorBatch:
        # Built lazily; two threads racing here build two equal selectors, which is harmless.
        if self._selector is None:
            self._selector = faiss.IDSelectorBatch(len(self.ids), faiss.swig_ptr(self.ids))
        return self._selector


IdsLike = Union[np.ndarray, IdSet, None]


def as_idset(ids: IdsLike) -> IdSet | None:
    return ids if ids is None or isinstance(ids, IdSet) else IdSet(ids)


def as_queries(queries: np.ndarray, dimension: int) -> np.ndarray:
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if queries.shape[1] != dimension:
        raise ValueError(f"query vectors have dimension {queries.shape[1]}, the index has {dimension}")
    return queries


def empty_hits(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)


@dataclass(frozen=True)
class HNSWParams:
    m: int = 32
    ef_construction: int = 80
    ef_search: int = 64


class _IdMapped:
    """Shared body of the two indexes: an `IndexIDMap2` around a FAISS index."""

    kind = ""

    def __init__(self, index: faiss.IndexIDMap2, inner: faiss.Index) -> None:
        self._index = index
        self._inner = inner  # keep the wrapped index alive as long as the map
        self.dimension = int(index.d)
        self._removed = IdSet(np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self._removed)

    @property
    def ntotal(self) -> int:
        """Rows stored in the FAISS index, removed ones included."""
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"expected vectors of shape ({len(ids)}, {self.dimension}), got {vectors.shape}")
        if len(ids):
            self._index.add_with_ids(vectors, ids)

    def ids(self) -> np.ndarray:
        """Every id stored, in insertion order (removed ones included until compaction)."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)

    def vectors(self) -> np.ndarray:
        """Every stored vector, aligned with `ids()`."""
        n = int(self._index.ntotal)
        if n == 0:
            return np.empty((0, self.dimension), dtype=np.float32)
        return self._inner.reconstruct_n(0, n)

    def save(self, path: Path) -> None:
        if len(self._removed):
            raise ValueError("save() after remove() on an HNSW index would resurrect removed ids; rebuild it instead")
        faiss.write_index(self._index, str(path))

    def search(
        self, queries: np.ndarray, k: int, allowed: IdsLike = None, *, exclude: IdSet | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first; id -1 / score -inf pad missing hits."""
        queries = as_queries(queries, self.dimension)
        allowed = as_idset(allowed)
        exclude = self._merged_exclude(exclude)
        if k <= 0 or self._index.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return empty_hits(len(queries), max(k, 0))
        if allowed is not None and exclude is not None:
            allowed = IdSet(np.setdiff1d(allowed.ids, exclude.ids, assume_unique=True))
            exclude = None
        return self._search(queries, k, allowed, exclude)

    def _merged_exclude(self, exclude: IdSet | None) -> IdSet | None:
        if not len(self._removed):
            return exclude if exclude is not None and len(exclude) else None
        if exclude is None or not len(exclude):
            return self._removed
        return IdSet(np.concatenate([self._removed.ids, exclude.ids]))

    def _selector(self, allowed: IdSet | None, exclude: IdSet | None) -> tuple[faiss.IDSelector | None, list]:
        """The selector for one search plus the objects it points at (SWIG does not keep them alive)."""
        if allowed is not None:
            return allowed.selector, [allowed]
        if exclude is not None:
            inner = exclude.selector
            return faiss.IDSelectorNot(inner), [exclude, inner]
        return None, []

    def _search(
        self, queries: np.ndarray, k: int, allowed: IdSet | None, exclude: IdSet | None
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class FlatIndex(_IdMapped):
    """Exact inner-product search (`IndexIDMap2(IndexFlatIP)`); removal is physical."""

    kind = "flat"

    def __init__(self, dimension: int, *, _index: faiss.IndexIDMap2 | None = None) -> None:
        if _index is None:
            inner = faiss.IndexFlatIP(dimension)
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
        super().__init__(_index, inner)

    def remove(self, ids: np.ndarray) -> int:
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        if not len(ids):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(len(ids), faiss.swig_ptr(ids))))

    def _search(self, queries, k, allowed, exclude):
        selector, keep = self._selector(allowed, exclude)
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self._index.search(queries, k, params=params)
        del keep
        return _clean(scores, ids)


class HNSWIndex(_IdMapped):
    """Approximate search (`IndexIDMap2(IndexHNSWFlat)`, inner product); removal is a mask."""

    kind = "hnsw"

    def __init__(
        self, dimension: int, params: HNSWParams = HNSWParams(), *, _index: faiss.IndexIDMap2 | None = None
    ) -> None:
        if _index is None:
            inner = faiss.IndexHNSWFlat(dimension, params.m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = params.ef_construction
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
        super().__init__(_index, inner)
        self.ef_search = params.ef_search

    def remove(self, ids: np.ndarray) -> int:
        # FAISS HNSW cannot delete; removed ids are filtered at search time until a rebuild.
        ids = np.asarray(ids, dtype=np.int64)
        present = np.intersect1d(ids, self.ids())
        fresh = np.setdiff1d(present, self._removed.ids)
        if len(fresh):
            self._removed = IdSet(np.concatenate([self._removed.ids, fresh]))
        return int(len(fresh))

    def _search(self, queries, k, allowed, exclude):
        if allowed is not None and len(allowed) <= EXACT_ALLOWED_MAX:
            return self._exact(queries, k, allowed)
        selector, keep = self._selector(allowed, exclude)
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(self.ef_search, k)
        if selector is not None:
            params.sel = selector
        scores, ids = self._index.search(queries, k, params=params)
        del keep
        return _clean(scores, ids)

    def _exact(self, queries: np.ndarray, k: int, allowed: IdSet) -> tuple[np.ndarray, np.ndarray]:
        stored = np.sort(self.ids())
        pos = np.clip(np.searchsorted(stored, allowed.ids), 0, max(len(stored) - 1, 0))
        ids = allowed.ids[stored[pos] == allowed.ids] if len(stored) else allowed.ids[:0]
        scores_out, ids_out = empty_hits(len(queries), k)
        if not len(ids):
            return scores_out, ids_out
        vectors = self._index.reconstruct_batch(ids)
        sims = queries @ vectors.T
        top = np.argsort(-sims, axis=1)[:, :k]
        n = top.shape[1]
        scores_out[:, :n] = np.take_along_axis(sims, top, axis=1)
        ids_out[:, :n] = ids[top]
        return scores_out, ids_out


def _clean(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FAISS pads with id -1 and a sentinel score; make the padding score -inf so merges ignore it."""
    scores = np.where(ids < 0, -np.inf, scores).astype(np.float32, copy=False)
    return scores, ids.astype(np.int64, copy=False)


VectorIndexImpl = Union[FlatIndex, HNSWIndex]


def new_vector_index(dimension: int, rows: int, *, flat_max_rows: int = FLAT_MAX_ROWS,
                     hnsw: HNSWParams = HNSWParams()) -> VectorIndexImpl:
    """A flat index for up to `flat_max_rows` rows, HNSW above."""
    if rows > flat_max_rows:
        return HNSWIndex(dimension, hnsw)
    return FlatIndex(dimension)


def load_vector_index(path: Path, *, hnsw: HNSWParams = HNSWParams()) -> VectorIndexImpl:
    """Read a saved index, choosing the class from what the file holds."""
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(
            f"cannot read vector index {path}: {exc}; rebuild the index (`rag index --rebuild PATH...`)"
        ) from exc
    if not isinstance(index, faiss.IndexIDMap2):
        raise IndexCorruptError(f"{path} is not an id-mapped FAISS index; rebuild the index")
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexHNSWFlat):
        return HNSWIndex(index.d, hnsw, _index=index)
    if isinstance(inner, faiss.IndexFlat):
        return FlatIndex(index.d, _index=index)
    raise IndexCorruptError(f"{path} holds an unsupported FAISS index ({type(inner).__name__}); rebuild the index")
