"""The answer a user gets back: text with [n] markers, the citations behind them, and how it was made."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rag.llm.base import Usage
from rag.types import Passage


class Citation(BaseModel):
    """A passage cited in the answer; `n` is the marker number as it appears in `Answer.answer`."""

    n: int
    chunk_id: str
    doc_id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    date: str | None = None
    quote: str = Field(description="the sentence or snippet of the passage that supports the claim")
    start: int = Field(description="offset of `quote` in the cleaned document")
    end: int


class Timings(BaseModel):
    retrieve_ms: float = 0.0
    generate_ms: float = 0.0
    total_ms: float = 0.0


class Answer(BaseModel):
    question: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    abstained: bool = False
    backend: str = ""
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)
    standalone_question: str | None = Field(None, description="the follow-up rewritten with the chat history")
    dropped_markers: list[int] = Field(default_factory=list, description="markers that pointed at no passage")
    unsupported_sentences: list[str] = Field(default_factory=list, description="answer sentences with no citation")
    disagreements: list[str] = Field(default_factory=list, description="figures on which the sources differ")
    fallback_from: str | None = Field(None, description="backend that failed when the fallback answered")
