"""Small deterministic documents and vectors for store tests and benchmarks (no pytest needed)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.store.records import StoredDocument
from rag.types import Chunk

DIM = 16
EMBEDDER = "contract-embedder"
CHUNKING = {"size": 256, "overlap": 32, "tokenizer": "test"}


def unit(rows: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_doc(
    doc_id: str,
    texts: list[str],
    *,
    seed: int = 0,
    source: str | None = "news",
    date: str | None = "2024-01-01",
    vectors: np.ndarray | None = None,
) -> StoredDocument:
    chunks, offset = [], 0
    for ordinal, text in enumerate(texts):
        chunks.append(Chunk(doc_id, ordinal, text, offset, offset + len(text), len(text.split())))
        offset += len(text) + 1
    return StoredDocument(
        doc_id=doc_id,
        content_hash=f"hash-{doc_id}-{' '.join(texts)}",
        text=" ".join(texts),
        title=f"Title {doc_id}",
        source=source,
        url=f"https://example.org/{doc_id}",
        date=date,
        metadata={"n": len(texts)},
        chunks=chunks,
        vectors=vectors if vectors is not None else unit(len(texts), seed=seed),
    )


def corpus() -> list[StoredDocument]:
    return [
        make_doc(
            "apple",
            ["apples grow on trees in orchards", "apple pie recipe with cinnamon"],
            seed=1,
            source="food",
            date="2024-01-05",
        ),
        make_doc(
            "volcano",
            ["the volcano erupted last night", "lava reached the village near the volcano"],
            seed=2,
            source="news",
            date="2024-02-10T08:30:00",
        ),
        make_doc(
            "market",
            ["stock markets fell sharply", "investors fear interest rates"],
            seed=3,
            source="news",
            date="2024-03-01",
        ),
    ]


def doc_ids(store: Any, ids: Any) -> list[str]:
    return [c.doc_id for c in store.chunks([int(i) for i in np.ravel(ids) if i >= 0])]
