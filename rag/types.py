"""Data that crosses module boundaries: documents, chunks, passages and filters.

Public shapes (Document, Passage, Filters) are pydantic models because the HTTP layer returns
them as they are; the internal Chunk is a slotted dataclass because ingestion makes millions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Models a search does not use build their validators on first use, not at import: each costs
# ~1 ms of `rag search`'s cold start otherwise.
_ON_FIRST_USE = ConfigDict(defer_build=True)


class Document(BaseModel):
    """One article as handed to `RAG.add`, before cleaning and chunking."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    text: str
    id: str | None = None
    title: str | None = None
    source: str | None = None
    url: str | None = None
    date: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass(slots=True)
class Chunk:
    """A piece of a cleaned document; `start`/`end` are character offsets into that text."""

    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    n_tokens: int

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.ordinal}"


class Passage(BaseModel):
    """A retrieved chunk with the metadata of its document and the scores that ranked it."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    title: str | None = None
    source: str | None = None
    url: str | None = None
    date: str | None = None
    score: float = 0.0
    scores: dict[str, float] = Field(default_factory=dict)
    rank: int = 0


class Filters(BaseModel):
    """Metadata filters for search; every given field must match."""

    model_config = ConfigDict(extra="forbid")

    source: str | list[str] | None = None
    doc_id: str | list[str] | None = None
    date_from: str | None = Field(default=None, description="ISO date, inclusive")
    date_to: str | None = Field(default=None, description="ISO date, inclusive")

    def is_empty(self) -> bool:
        return not any((self.source, self.doc_id, self.date_from, self.date_to))


class DocumentInfo(BaseModel):
    """A document as the index knows it."""

    model_config = _ON_FIRST_USE

    doc_id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    date: str | None = None
    content_hash: str
    chunks: int
    chars: int


class IngestItem(BaseModel):
    """What happened to one input of `RAG.add`."""

    model_config = _ON_FIRST_USE

    doc_id: str | None = None
    source: str | None = None
    status: str = Field(description="added | replaced | unchanged | duplicate | skipped | error")
    chunks: int = 0
    message: str | None = None


class IngestReport(BaseModel):
    model_config = _ON_FIRST_USE

    items: list[IngestItem] = Field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def chunks_added(self) -> int:
        return sum(item.chunks for item in self.items if item.status in ("added", "replaced"))


class IndexStats(BaseModel):
    model_config = _ON_FIRST_USE

    documents: int
    chunks: int
    embedder: str
    dimension: int
    segments: int = 1
    bytes_on_disk: int = 0
