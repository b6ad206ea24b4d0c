"""Id sets for filtered searches, query shaping and result padding shared by every index kind."""

from __future__ import annotations

import faiss
import numpy as np

from rag.store.arrays import unique_sorted


class IdSet:
    """A sorted set of int64 ids with its FAISS selector built once and reused by every search."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = unique_sorted(np.asarray(ids, dtype=np.int64))
        self._selector: faiss.IDSelectorBatch | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def selector(self) -> faiss.IDSelectorBatch:
        # Built lazily; two threads racing here build two equal selectors, which is harmless.
        if self._selector is None:
            self._selector = faiss.IDSelectorBatch(len(self.ids), faiss.swig_ptr(self.ids))
        return self._selector


IdsLike = np.ndarray | IdSet | None


def as_idset(ids: IdsLike) -> IdSet | None:
    return ids if ids is None or isinstance(ids, IdSet) else IdSet(ids)


def as_queries(queries: np.ndarray, dimension: int) -> np.ndarray:
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if queries.shape[1] != dimension:
        raise ValueError(f"query vectors have dimension {queries.shape[1]}, the index has {dimension}")
    return queries


def empty_hits(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)


def clean_hits(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FAISS pads with id -1 and a sentinel score; make the padding score -inf so merges ignore it."""
    scores = np.where(ids < 0, -np.inf, scores).astype(np.float32, copy=False)
    return scores, ids.astype(np.int64, copy=False)
