"""The embedder contract: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors that inner-product search can compare.

    `id` is stored in the index manifest: two embedders with the same id must produce the same
    vectors, so the id names the backend, its version and every parameter that changes vectors.
    Constructors only store settings; models load in `warm_up()` or on first use.
    """

    id: str

    @property
    def dimension(self) -> int:
        """Length of every vector; may load the model to find out."""
        ...

    def warm_up(self) -> None:
        """Load what the embedder needs; safe to call more than once."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts), dimension), every row L2-normalised (or all zeros for empty text)."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """float32 (dimension,), L2-normalised (or all zeros for empty text)."""
        ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in place; all-zero rows stay zero instead of becoming NaN."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix
