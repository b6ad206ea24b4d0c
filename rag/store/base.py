"""Contracts of the on-disk index: a dense vector index and a lexical index, both keyed by int64 ids."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class VectorIndex(Protocol):
    """Inner-product search over L2-normalised float32 vectors, keyed by int64 ids."""

    dimension: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> int: ...

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first; id -1 pads missing hits."""
        ...

    def save(self, path: Path) -> None: ...


@runtime_checkable
class LexicalIndex(Protocol):
    """BM25 over analysed text, keyed by the same int64 ids as the vectors."""

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, texts: list[str]) -> None: ...

    def remove(self, ids: np.ndarray) -> int: ...

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...

    def save(self, path: Path) -> None: ...
