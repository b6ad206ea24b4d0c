"""Approximate search for large segments: HNSW graphs and IVF lists."""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

from rag.store.dense.base import QTYPES, STORAGE_OF_QTYPE, IdMapped, storage_of, train_sq
from rag.store.dense.choice import EXACT_ALLOWED_MAX, HNSWParams, IVFParams, check_storage
from rag.store.dense.ids import IdSet, clean_hits, empty_hits
from rag.store.dense.threads import build_threads

_IVF_TRAIN_ROWS_PER_LIST = 64  # FAISS warns under 39 per centroid; k-means over more only costs time


class _Approximate(IdMapped):
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
        return clean_hits(scores, ids)

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
        inner: Any  # faiss's stubs type each index class apart; all of them are faiss.Index
        if _index is None:
            if check_storage(storage) == "float32":
                inner = faiss.IndexHNSWFlat(dimension, params.m, faiss.METRIC_INNER_PRODUCT)
            else:
                inner = faiss.IndexHNSWSQ(dimension, QTYPES[storage], params.m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = params.ef_construction
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
            storage = storage_of(faiss.downcast_index(inner.storage))
        super().__init__(_index, inner)
        self.storage = storage
        self.ef_search = params.ef_search

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        with build_threads():
            if not self._inner.is_trained:
                train_sq(self._inner, vectors)
            self._index.add_with_ids(vectors, ids)

    def _search_params(self, k: int) -> faiss.SearchParameters:
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # exists; missing from the stubs
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
        inner: Any  # as in HNSWIndex
        quantizer: Any
        if _index is None:
            check_storage(storage)
            nlist = params.lists_for(rows)
            quantizer = faiss.IndexFlatIP(dimension)
            if storage == "float32":
                inner = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            else:
                inner = faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, QTYPES[storage],
                                                      faiss.METRIC_INNER_PRODUCT)
            inner.own_fields = True
            quantizer.this.disown()
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
            storage = ("float32" if isinstance(inner, faiss.IndexIVFFlat)
                       else STORAGE_OF_QTYPE.get(int(inner.sq.qtype), ""))
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
