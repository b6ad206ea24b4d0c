"""OpenAI chat-completions shapes, as far as rag fills them.

Requests ignore unknown fields: real clients (the openai SDK, Open WebUI, LibreChat) send many
options rag has no use for (n, top_p, user, stop, stream_options, ...) and must not fail on them.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from rag.answer.types import Citation


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = "text"
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = Field(description="system | developer | user | assistant | tool")
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message text; list content (text parts) is joined, images and the like skipped."""
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text" and part.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: StrictBool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: list[ChatMessage] = Field(min_length=1)
    model: str = Field("rag", description="'rag' (default backend) or 'rag-<backend>'; see GET /v1/models")
    stream: StrictBool = False
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stream_options: StreamOptions | None = None
    n: int | None = Field(None, description="answers per request; rag gives one (n > 1 is refused)")


class ChatUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: ChatUsage
    citations: list[Citation] = Field(description="the sources behind the [n] markers in the content")
    abstained: bool = False


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None


class ChatCompletionChunk(BaseModel):
    """One streamed piece; the finishing one has an empty delta and `citations`; with
    stream_options.include_usage one more follows, with no choices and the `usage`."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    citations: list[Citation] | None = None
    usage: ChatUsage | None = None

    def sse(self) -> str:
        # Like OpenAI: finish_reason is an explicit null, but absent delta keys and extras are left out.
        data = self.model_dump(mode="json")
        for key in ("citations", "usage"):
            if data[key] is None:
                del data[key]
        for choice in data["choices"]:
            choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
        return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "rag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def usage_of(answer: Any) -> ChatUsage:
    prompt, completion = answer.usage.prompt_tokens, answer.usage.completion_tokens
    return ChatUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
