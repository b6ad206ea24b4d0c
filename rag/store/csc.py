"""A compressed-sparse-column matrix in three numpy arrays: what BM25 postings need of one.

The postings used `scipy.sparse.csc_matrix`, but only as storage (`indptr`, `indices`, `data`)
and for conversions from and to (row, column, value) triples. Importing scipy.sparse costs a
`rag search` process ~0.15 s before it has read anything; these few lines do the same job.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Triples(NamedTuple):
    """(row, col, data) of every stored value, column by column, rows ascending within a column."""

    row: np.ndarray
    col: np.ndarray
    data: np.ndarray


class CSCMatrix:
    """Column j holds rows `indices[indptr[j]:indptr[j + 1]]` (ascending) with values `data[...]`."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> None:
        self.data = np.asarray(data, dtype=np.float32)
        self.indices = np.asarray(indices, dtype=np.int32)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.shape = (int(shape[0]), int(shape[1]))

    @classmethod
    def empty(cls, rows: int) -> CSCMatrix:
        return cls(np.empty(0), np.empty(0), np.zeros(1), (rows, 0))

    @classmethod
    def from_triples(cls, data: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> CSCMatrix:
        """From (value, row, col) triples with no (row, col) pair twice."""
        order = np.lexsort((rows, cols))
        counts = np.bincount(np.asarray(cols, dtype=np.int64), minlength=shape[1])
        indptr = np.concatenate([np.zeros(1, np.int64), np.cumsum(counts)])
        return cls(np.asarray(data)[order], np.asarray(rows)[order], indptr, shape)

    def triples(self) -> Triples:
        cols = np.repeat(np.arange(self.shape[1], dtype=np.int64), np.diff(self.indptr))
        return Triples(self.indices.astype(np.int64), cols, self.data)
