"""Exact search: every stored vector scored."""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

from rag.store.dense.base import QTYPES, IdMapped, storage_of, train_sq
from rag.store.dense.choice import check_storage
from rag.store.dense.ids import clean_hits
from rag.store.dense.threads import build_threads


class FlatIndex(IdMapped):
    """Exact inner-product scan (`IndexIDMap2(IndexFlatIP)`, or `IndexScalarQuantizer` codes for
    float16/sq8 storage: exact over the decoded codes); removal is physical."""

    base_kind = "flat"

    def __init__(self, dimension: int, storage: str = "float32", *,
                 _index: faiss.IndexIDMap2 | None = None) -> None:
        inner: Any  # faiss's stubs type each index class apart; all of them are faiss.Index
        if _index is None:
            if check_storage(storage) == "float32":
                inner = faiss.IndexFlatIP(dimension)
            else:
                inner = faiss.IndexScalarQuantizer(dimension, QTYPES[storage], faiss.METRIC_INNER_PRODUCT)
            _index = faiss.IndexIDMap2(inner)
        else:
            inner = faiss.downcast_index(_index.index)
            storage = storage_of(inner)
        super().__init__(_index, inner)
        self.storage = storage

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not self._inner.is_trained:
            with build_threads():
                train_sq(self._inner, vectors)
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
        return clean_hits(scores, ids)
