"""The LLM backend contract: a backend streams; the blocking call is derived from the stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from rag.types import Passage


class Message(BaseModel):
    """One chat turn, as in the OpenAI chat API."""

    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True)
class GenerationRequest:
    """What a backend gets: the question, passages numbered 1..n in this order, and the rendered prompt."""

    question: str
    passages: list[Passage]
    messages: list[Message]
    max_tokens: int = 512
    temperature: float = 0.0
    history: list[Message] = field(default_factory=list)


@dataclass(slots=True)
class Delta:
    """A piece of streamed output; the last one a backend yields may carry usage only."""

    text: str = ""
    usage: Usage | None = None


@runtime_checkable
class LLMBackend(Protocol):
    """A backend streams; `generate(backend, request)` gives the blocking call for any backend."""

    name: str

    def stream(self, request: GenerationRequest) -> Iterator[Delta]: ...


def generate(backend: LLMBackend, request: GenerationRequest) -> tuple[str, Usage]:
    """The whole reply and its usage: the backend's own `generate` when it has one, else its stream."""
    own = getattr(backend, "generate", None)
    if own is not None:
        return own(request)
    return assemble(backend.stream(request))


def assemble(deltas: Iterator[Delta]) -> tuple[str, Usage]:
    pieces: list[str] = []
    usage = Usage()
    for delta in deltas:
        pieces.append(delta.text)
        if delta.usage is not None:
            usage = delta.usage
    return "".join(pieces), usage


class StreamingLLM:
    """Base class: implement `stream`; `generate` is the stream, assembled."""

    name: str = "base"

    def stream(self, request: GenerationRequest) -> Iterator[Delta]:  # pragma: no cover - abstract
        raise NotImplementedError

    def generate(self, request: GenerationRequest) -> tuple[str, Usage]:
        return assemble(self.stream(request))
