"""What ingestion hands to the store (`StoredDocument`) and what the store hands back (`StoredChunk`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from rag.types import Chunk


@dataclass
class StoredDocument:
    """A cleaned, chunked and embedded document, ready for `IndexStore.write`."""

    doc_id: str
    content_hash: str
    text: str
    title: str | None
    source: str | None
    url: str | None
    date: str | None
    metadata: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray  # (len(chunks), dimension) float32, rows L2-normalised
    # Per chunk, `rag.store.terms.analyse_terms` of its text when ingestion already computed it
    # (the BM25 postings are then built from these instead of analysing the texts again).
    chunk_terms: list[np.ndarray] | None = None
    # Per chunk, `rag.store.rows.chunk_facts` of its text when ingestion workers already computed it.
    chunk_facts: list[bytes] | None = None


@dataclass(slots=True)
class StoredChunk:
    """One chunk as the catalog knows it, with the metadata of its document."""

    id: int
    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    title: str | None = None
    source: str | None = None
    url: str | None = None
    date: str | None = None
    ordinal: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    # rag.answer.facts (compressed JSON) stored with the chunk; None where the index predates it (worked out lazily).
    facts: bytes | None = None


class ChunkText(NamedTuple):
    """What ranking a chunk needs (diversification, sentence focus), without the rest of its row."""

    id: int
    doc_id: str
    text: str
