"""Small deterministic builders for store tests: unit vectors, documents, an open store."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from rag.store import IndexStore, StoredDocument
from rag.types import Chunk

DIM = 16
CHUNKING = {"size": 256, "overlap": 32, "encoding": "cl100k_base"}


def unit(rows: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_doc(doc_id: str, texts: list[str], *, seed: int = 0, source: str | None = "news",
             date: str | None = "2024-01-01", vectors: np.ndarray | None = None) -> StoredDocument:
    chunks, offset = [], 0
    for ordinal, text in enumerate(texts):
        chunks.append(Chunk(doc_id, ordinal, text, offset, offset + len(text), len(text.split())))
        offset += len(text) + 1
    return StoredDocument(
        doc_id=doc_id, content_hash=f"hash-{doc_id}-{' '.join(texts)}", text=" ".join(texts),
        title=f"Title {doc_id}", source=source, url=f"https://example.org/{doc_id}", date=date,
        metadata={"n": len(texts)}, chunks=chunks,
        vectors=vectors if vectors is not None else unit(len(texts), seed=seed),
    )


def open_store(path: Path, **kwargs) -> IndexStore:
    return IndexStore.open(path, embedder_id="test-embedder", dimension=DIM, chunking=CHUNKING, **kwargs)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IndexStore]:
    s = open_store(tmp_path / "index")
    yield s
    s.close()
