"""The shared body of every index kind: an `IndexIDMap2` around a FAISS index, with its storage codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.store.dense.choice import kind_name
from rag.store.dense.ids import IdSet, IdsLike, as_idset, as_queries, empty_hits
from rag.store.dense.threads import use_search_threads

QTYPES: dict[str, Any] = {"float16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}
STORAGE_OF_QTYPE = {int(v): k for k, v in QTYPES.items()}
# SQ8 learns a per-dimension [min, max] range from the rows it is built with (segments are
# immutable, so those are all its rows); under this many rows the range is widened to [-1, 1].
SQ_MIN_TRAIN_ROWS = 256


def storage_of(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexScalarQuantizer):
        return STORAGE_OF_QTYPE.get(int(index.sq.qtype), "")
    if isinstance(index, faiss.IndexFlat):
        return "float32"
    return ""


def train_sq(index: faiss.Index, vectors: np.ndarray) -> None:
    """Train a scalar quantizer on `vectors`; a handful of rows get the full unit range instead."""
    if index.is_trained:
        return
    if len(vectors) < SQ_MIN_TRAIN_ROWS:
        d = vectors.shape[1]
        vectors = np.vstack([vectors, np.full((1, d), -1.0, np.float32), np.full((1, d), 1.0, np.float32)])
    index.train(vectors)


class IdMapped:
    """Shared body of the indexes: an `IndexIDMap2` around a FAISS index."""

    base_kind = ""
    storage = "float32"

    def __init__(self, index: faiss.IndexIDMap2, inner: faiss.Index) -> None:
        self._index = index
        self._inner: Any = inner  # keep the wrapped index alive as long as the map
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
