"""Request and response bodies of rag's own routes (the OpenAI ones live in openai_schemas)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from rag.answer.types import Answer, Citation
from rag.config import RetrievalMode
from rag.llm.base import Message
from rag.text.urls import is_web_url
from rag.types import DocumentInfo, Filters, Passage


class _Strict(BaseModel):
    # A misspelt field ("topk") must fail loudly instead of silently using the default.
    model_config = ConfigDict(extra="forbid")


class AskRequest(_Strict):
    question: str = Field(min_length=1, description="the question; length limited by server.max_question_chars")
    top_k: int | None = Field(None, description="passages to retrieve, 1..server.max_top_k")
    filters: Filters | None = None
    llm: str | None = Field(None, description="LLM backend for this question; see GET /v1/models ('rag-<name>')")
    mode: RetrievalMode | None = None
    stream: StrictBool = Field(False, description="answer as server-sent events: delta*, citations, done")
    history: list[Message] | None = Field(
        None, description="earlier turns, at most server.max_messages; the follow-up is condensed with them"
    )


class SearchRequest(_Strict):
    query: str = Field(min_length=1)
    top_k: int | None = Field(None, description="passages to return, 1..server.max_top_k")
    filters: Filters | None = None
    mode: RetrievalMode | None = None


class SearchResponse(BaseModel):
    passages: list[Passage]


class DocumentIn(_Strict):
    text: str = Field(min_length=1)
    id: str | None = Field(None, description="stable id; derived from the content when absent")
    title: str | None = None
    url: str | None = Field(None, description="an http:// or https:// address of the original")
    date: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        # The URL ends up as a link in chat front ends; only web addresses may become one.
        if url is None or not url.strip():
            return None
        if not is_web_url(url.strip()):
            raise ValueError(f"{url[:80]!r} is not an http:// or https:// address; send a web address or leave url out")
        return url.strip()


class DocumentsIn(_Strict):
    documents: list[DocumentIn] = Field(min_length=1)


class DocumentList(BaseModel):
    documents: list[DocumentInfo]
    total: int
    offset: int
    limit: int


class DeleteResult(BaseModel):
    doc_id: str
    deleted: bool


class CitationsEvent(BaseModel):
    """Payload of the `citations` server-sent event."""

    citations: list[Citation]
    abstained: bool


class DeltaEvent(BaseModel):
    text: str


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    documents: int
    chunks: int
    embedder: str
    llm: str


__all__ = [
    "Answer",
    "AskRequest",
    "CitationsEvent",
    "DeleteResult",
    "DeltaEvent",
    "DocumentIn",
    "DocumentList",
    "DocumentsIn",
    "Health",
    "Ready",
    "SearchRequest",
    "SearchResponse",
]
