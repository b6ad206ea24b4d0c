"""Dense vector indexes over FAISS: exact flat search, HNSW and IVF, each over float32, float16 or SQ8 codes.

Every kind wraps the FAISS index in `IndexIDMap2`, so results carry the store's int64 chunk ids and
vectors can be reconstructed by id (compaction merges segments without re-embedding; with fp16/SQ8
storage the reconstructed vectors are the decoded codes).

Which kind a segment gets is `choose_dense_kind` (see `StoreParams`): exact search up to
`flat_max_rows`; above it HNSW for model embedders, but exact search for the `hashing` embedder,
whose near-orthogonal feature-hash vectors a proximity graph navigates badly
(scripts/measure_ann.py: HNSW recall@10 0.07 at 200k rows).
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

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
_search_threads = DEFAULT_THREADS


def configure_faiss(threads: int | None = None, blas_threshold: int | None = None) -> None:
    """Set FAISS OpenMP threads and the batch size from which flat search uses BLAS (None: measured default)."""
    global _configured, _search_threads
    threads = DEFAULT_THREADS if threads is None else threads
    if threads < 1:
        raise ValueError(f"FAISS threads must be >= 1, got {threads}")
    faiss.omp_set_num_threads(threads)
    _search_threads = threads
    _thread_state.threads = threads
    faiss.cvar.distance_compute_blas_threshold = int(
        DEFAULT_BLAS_THRESHOLD if blas_threshold is None else blas_threshold)
    _configured = True


def ensure_faiss_configured() -> None:
    """Apply the measured defaults unless the application called `configure_faiss` itself."""
    if not _configured:
        configure_faiss()


# OpenMP's thread count belongs to the calling thread: a server's thread-pool workers would
# otherwise search with one OpenMP thread per core (configure_faiss ran in another thread), and
# concurrent requests then oversubscribe the cores and spin-wait (measured here: an answer in a
# pool thread took about twice as long as in the main thread).
_thread_state = threading.local()


def use_search_threads() -> None:
    """Give the calling thread the configured FAISS search threads (once per thread)."""
    if _configured and getattr(_thread_state, "threads", None) != _search_threads:
        faiss.omp_set_num_threads(_search_threads)
        _thread_state.threads = _search_threads


@contextlib.contextmanager
def build_threads() -> Iterator[None]:
    """All cores for index builds and training (HNSW insertion, IVF/SQ training), then back to the
    configured search threads: one thread is best for single-query search on a small box, but an
    HNSW build is embarrassingly parallel (200k rows: 87 s on one thread)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(os.cpu_count() or 1, 1))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(_search_threads if _configured else before)


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
    """Defaults from scripts/measure_ann.py on all-MiniLM-L6-v2 vectors of SQuAD text: recall@10 vs
    exact 0.9988 at 10k real rows and 0.992 at 50k (40k noisy tiles) with efSearch 128, p50 0.1-0.2 ms
    on one thread; efSearch 64 gave 0.9956 / 0.9856, leaving too little margin for 1M rows."""

    m: int = 32
    ef_construction: int = 80
    ef_search: int = 128


@dataclass(frozen=True)
class IVFParams:
    nlist: int = 0  # inverted lists; 0: 4 * sqrt(rows), clamped to [16, 65536]
    nprobe: int = 32  # lists scanned per query

    def lists_for(self, rows: int) -> int:
        if self.nlist > 0:
            return self.nlist
        return int(min(max(16, 4 * round(rows ** 0.5)), 65536))


KINDS = ("flat", "hnsw", "ivf")
STORAGES = ("float32", "float16", "sq8")
_QTYPES = {"float16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}
_STORAGE_OF_QTYPE = {int(v): k for k, v in _QTYPES.items()}
# SQ8 learns a per-dimension [min, max] range from the rows it is built with (segments are
# immutable, so those are all its rows); under this many rows the range is widened to [-1, 1].
SQ_MIN_TRAIN_ROWS = 256
_IVF_TRAIN_ROWS_PER_LIST = 64  # FAISS warns under 39 per centroid; k-means over more only costs time


def check_storage(storage: str) -> str:
    if storage not in STORAGES:
        raise ValueError(f"dense storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    return storage


def kind_name(kind: str, storage: str) -> str:
    """The segment kind recorded in the catalog and manifest: 'hnsw', 'flat-sq8', 'ivf-float16', ..."""
    return kind if storage == "float32" else f"{kind}-{storage}"


def _storage_of(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexScalarQuantizer):
        return _STORAGE_OF_QTYPE.get(int(index.sq.qtype), "")
    if isinstance(index, faiss.IndexFlat):
        return "float32"
    return ""


def _train_sq(index: faiss.Index, vectors: np.ndarray) -> None:
    """Train a scalar quantizer on `vectors`; a handful of rows get the full unit range instead."""
    if index.is_trained:
        return
    if len(vectors) < SQ_MIN_TRAIN_ROWS:
        d = vectors.shape[1]
        vectors = np.vstack([vectors, np.full((1, d), -1.0, np.float32), np.full((1, d), 1.0, np.float32)])
    index.train(vectors)


class _IdMapped:
    """Shared body of the indexes: an `IndexIDMap2` around a FAISS index."""

    base_kind = ""
    storage = "float32"

    def __init__(self, index: faiss.IndexIDMap2, inner: faiss.Index) -> None:
        self._index = index
        self._inner = inner  # keep the wrapped index alive as long as the map
        self.dimension = int(index.d)
        self._removed = IdSet(np.empty(0, dtype=np.int64))

    @property
    def kind(self) -> str:
        return kind_name(self.base_kind, self.storage)

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
            self._add(ids, vectors)

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
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
            raise ValueError(f"save() after remove() on a {self.base_kind} index would resurrect removed ids; "
                             "rebuild it instead")
        faiss.write_index(self._index, str(path))

    def search(
        self, queries: np.ndarray, k: int, allowed: IdsLike = None, *, exclude: IdSet | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first; id -1 / score -inf pad missing hits."""
        use_search_threads()
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
    """Exact inner-product scan (`IndexIDMap2(IndexFlatIP)`, or `IndexScalarQuantizer` codes for
    float16/sq8 storage: exact over the decoded codes); removal is physical."""

    base_kind = "flat"

    def __init__(self, dimension: int, storage: str = "float32", *,
                 _index: faiss.IndexIDMap2 | None = None) -> None:
        if _index is None:
            if check_storage(storage) == "float32":
                inner = faiss.IndexFlatIP(dimension)
            else:
                inner = faiss.IndexScalarQuantizer(dimension, _QTYPES[storage], faiss.METRIC_INNER_PRODUCT)
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
            storage = _storage_of(inner)
        super().__init__(_index, inner)
        self.storage = storage

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not self._inner.is_trained:
            with build_threads():
                _train_sq(self._inner, vectors)
        self._index.add_with_ids(vectors, ids)

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


class _Approximate(_IdMapped):
    """HNSW and IVF: removal is a mask, and a tiny allowed set is scored exactly."""

    def remove(self, ids: np.ndarray) -> int:
        # Removed ids are filtered at search time until a rebuild (FAISS HNSW cannot delete).
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
        params = self._search_params(k)
        if selector is not None:
            params.sel = selector
        scores, ids = self._index.search(queries, k, params=params)
        del keep
        return _clean(scores, ids)

    def _search_params(self, k: int) -> faiss.SearchParameters:
        raise NotImplementedError

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


class HNSWIndex(_Approximate):
    """Graph search (`IndexIDMap2(IndexHNSWFlat)`, or `IndexHNSWSQ` for float16/sq8), inner product."""

    base_kind = "hnsw"

    def __init__(self, dimension: int, params: HNSWParams = HNSWParams(), storage: str = "float32", *,
                 _index: faiss.IndexIDMap2 | None = None) -> None:
        if _index is None:
            if check_storage(storage) == "float32":
                inner = faiss.IndexHNSWFlat(dimension, params.m, faiss.METRIC_INNER_PRODUCT)
            else:
                inner = faiss.IndexHNSWSQ(dimension, _QTYPES[storage], params.m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = params.ef_construction
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
            storage = _storage_of(faiss.downcast_index(inner.storage))
        super().__init__(_index, inner)
        self.storage = storage
        self.ef_search = params.ef_search

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        with build_threads():
            if not self._inner.is_trained:
                _train_sq(self._inner, vectors)
            self._index.add_with_ids(vectors, ids)

    def _search_params(self, k: int) -> faiss.SearchParameters:
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(self.ef_search, k)
        return params


class IVFIndex(_Approximate):
    """Inverted lists (`IndexIDMap2(IndexIVFFlat)`, or `IndexIVFScalarQuantizer`), inner product.

    k-means is trained on the rows of the first `add` (a segment is built in one call); the lists
    scale with the rows (`IVFParams.lists_for`).
    """

    base_kind = "ivf"

    def __init__(self, dimension: int, params: IVFParams = IVFParams(), storage: str = "float32", *,
                 rows: int = 0, _index: faiss.IndexIDMap2 | None = None) -> None:
        if _index is None:
            check_storage(storage)
            nlist = params.lists_for(rows)
            quantizer = faiss.IndexFlatIP(dimension)
            if storage == "float32":
                inner = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            else:
                inner = faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, _QTYPES[storage],
                                                      faiss.METRIC_INNER_PRODUCT)
            inner.own_fields = True
            quantizer.this.disown()
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
            storage = ("float32" if isinstance(inner, faiss.IndexIVFFlat)
                       else _STORAGE_OF_QTYPE.get(int(inner.sq.qtype), ""))
        inner.make_direct_map()  # reconstruct_n (compaction) needs it
        super().__init__(_index, inner)
        self.storage = storage
        self.nprobe = params.nprobe

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        with build_threads():
            if not self._inner.is_trained:
                nlist = int(self._inner.nlist)
                if len(vectors) < nlist:
                    raise ValueError(f"an IVF index with {nlist} lists needs at least {nlist} rows to train, "
                                     f"got {len(vectors)}")
                step = max(1, len(vectors) // (nlist * _IVF_TRAIN_ROWS_PER_LIST))
                self._inner.train(vectors[::step])
            self._index.add_with_ids(vectors, ids)

    def _search_params(self, k: int) -> faiss.SearchParameters:
        params = faiss.SearchParametersIVF()
        params.nprobe = min(self.nprobe, int(self._inner.nlist))
        return params


def _clean(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FAISS pads with id -1 and a sentinel score; make the padding score -inf so merges ignore it."""
    scores = np.where(ids < 0, -np.inf, scores).astype(np.float32, copy=False)
    return scores, ids.astype(np.int64, copy=False)


VectorIndexImpl = Union[FlatIndex, HNSWIndex, IVFIndex]


def is_hashing_embedder(embedder_id: str) -> bool:
    return embedder_id.startswith("hashing")


def choose_dense_kind(rows: int, *, embedder_id: str = "", dense_index: str = "auto",
                      flat_max_rows: int = FLAT_MAX_ROWS) -> str:
    """'flat', 'hnsw' or 'ivf' for a segment of `rows` rows.

    Up to `flat_max_rows` always exact. Above it `dense_index` decides: "flat"/"hnsw"/"ivf" force
    that kind; "auto" is HNSW for model embedders and exact for the hashing embedder (HNSW recall@10
    on its vectors fell to 0.07 at 200k rows; IVF did not reach 0.95 at a useful speed either).
    """
    if dense_index not in ("auto", *KINDS):
        raise ValueError(f"dense index must be auto, {', '.join(KINDS)}; got {dense_index!r}")
    if rows <= flat_max_rows:
        return "flat"
    if dense_index != "auto":
        return dense_index
    return "flat" if is_hashing_embedder(embedder_id) else "hnsw"


def new_vector_index(dimension: int, rows: int, *, flat_max_rows: int = FLAT_MAX_ROWS,
                     hnsw: HNSWParams = HNSWParams(), ivf: IVFParams = IVFParams(), embedder_id: str = "",
                     dense_index: str = "auto", storage: str = "float32") -> VectorIndexImpl:
    """The index `choose_dense_kind` picks for `rows` rows, over `storage` codes."""
    kind = choose_dense_kind(rows, embedder_id=embedder_id, dense_index=dense_index, flat_max_rows=flat_max_rows)
    if kind == "hnsw":
        return HNSWIndex(dimension, hnsw, storage)
    if kind == "ivf":
        return IVFIndex(dimension, ivf, storage, rows=rows)
    return FlatIndex(dimension, storage)


def load_vector_index(path: Path, *, hnsw: HNSWParams = HNSWParams(), ivf: IVFParams = IVFParams()) -> VectorIndexImpl:
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
    if isinstance(inner, (faiss.IndexHNSWFlat, faiss.IndexHNSWSQ)):
        return HNSWIndex(index.d, hnsw, _index=index)
    if isinstance(inner, (faiss.IndexFlat, faiss.IndexScalarQuantizer)):
        return FlatIndex(index.d, _index=index)
    if isinstance(inner, (faiss.IndexIVFFlat, faiss.IndexIVFScalarQuantizer)):
        return IVFIndex(index.d, ivf, _index=index)
    raise IndexCorruptError(f"{path} holds an unsupported FAISS index ({type(inner).__name__}); rebuild the index")
