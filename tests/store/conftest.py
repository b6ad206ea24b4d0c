"""Small deterministic builders for store tests: unit vectors, documents, an open store."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from rag.store import IndexStore
from rag.testing.builders import make_doc, unit  # noqa: F401  (re-exported for the store tests)

DIM = 16
CHUNKING = {"size": 256, "overlap": 32, "encoding": "cl100k_base"}


def open_store(path: Path, **kwargs) -> IndexStore:
    return IndexStore.open(path, embedder_id="test-embedder", dimension=DIM, chunking=CHUNKING, **kwargs)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IndexStore]:
    s = open_store(tmp_path / "index")
    yield s
    s.close()
