"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models.

The content carries the answer with [n] markers and a short "Sources:" list, so any chat front
end shows citations; the structured ones ride in an extra `citations` field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag.answer.types import Answer, Citation
from rag.api import answering
from rag.api.deps import AUTH, MetricsDep, RagDep, SettingsDep
from rag.api.errors import ApiError, rag_error_body
from rag.api.limits import check_text
from rag.api.openai_schemas import (
    AssistantMessage, ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage, Choice,
    ChunkChoice, ChunkDelta, Model, ModelList, usage_of,
)
from rag.api.routes._responses import errors
from rag.api.metrics import Metrics
from rag.api.state import RAGService, llm_names
from rag.api.streaming import SSE_HEADERS, iterate_until_disconnect
from rag.config import Settings
from rag.errors import RagError
from rag.llm.base import Message

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=AUTH)

SOURCES_HEADING = "\n\nSources:\n"
_STARTED = int(time.time())


@router.get("/models", response_model=ModelList, responses=errors())
def list_models(rag: RagDep, settings: SettingsDep) -> ModelList:
    """'rag' answers with the default backend; 'rag-<backend>' with that backend."""
    ids = ["rag", *(f"rag-{name}" for name in llm_names(rag, settings))]
    return ModelList(data=[Model(id=model_id, created=_STARTED) for model_id in ids])


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
               **errors(400, 404, 502, 504)},
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, rag: RagDep, settings: SettingsDep, metrics: MetricsDep
):
    """Answer the last user message; earlier turns are the history the follow-up is condensed with."""
    llm = _backend_for(body.model, rag, settings)
    question, history = _split_messages(body.messages, settings)
    kw = {"llm": llm, "temperature": body.temperature, "max_tokens": body.max_tokens or body.max_completion_tokens}
    if not body.stream:
        answer = await answering.ask(rag, metrics, question, history, **kw)
        return _completion(answer, body.model)
    iterator, first = await answering.open_stream(rag, question, history, **kw)
    chunks = _chunks(request, metrics, iterator, first, body.model)
    return StreamingResponse(chunks, media_type="text/event-stream", headers=SSE_HEADERS)


def _backend_for(model: str, rag: RAGService, settings: Settings) -> str | None:
    if model == "rag":
        return None
    names = llm_names(rag, settings)
    if model.startswith("rag-") and model[4:] in names:
        return model[4:]
    valid = ", ".join(["rag", *(f"rag-{n}" for n in names)])
    raise ApiError(404, f"the model {model!r} does not exist; use one of: {valid}", type="model_not_found", param="model")


def _split_messages(messages: list[ChatMessage], settings: Settings) -> tuple[str, list[Message]]:
    """The last user message is the question; earlier user/assistant turns are the history."""
    limit = settings.server.max_messages
    if len(messages) > limit:
        raise ApiError(
            422, f"{len(messages)} messages sent; the limit is {limit} (server.max_messages)",
            type="too_many_messages", param="messages", details={"limit": limit, "setting": "max_messages"},
        )
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ApiError(422, "messages contain no user message to answer", type="invalid_request", param="messages")
    question = messages[users[-1]].text()
    check_text(question, "the last user message", settings.server, param="messages")
    # System prompts are the client's, not rag's: the grounded prompt decides how to answer.
    history = [
        Message(role=m.role, content=_strip_sources(m.text()))
        for m in messages[: users[-1]]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return question, history


def _strip_sources(text: str) -> str:
    # Our own earlier replies end in a Sources list that would only confuse question condensing.
    return text.split(SOURCES_HEADING, 1)[0]


def format_sources(citations: list[Citation]) -> str:
    """'\\n\\nSources:\\n[1] Title — source (date) <url>' for each distinct marker, or ''."""
    lines: list[str] = []
    seen: set[int] = set()
    for c in sorted(citations, key=lambda c: c.n):
        if c.n in seen:
            continue
        seen.add(c.n)
        line = f"[{c.n}] {c.title or c.doc_id}"
        line += f" — {c.source}" if c.source else ""
        line += f" ({c.date})" if c.date else ""
        line += f" <{c.url}>" if c.url else ""
        lines.append(line)
    return SOURCES_HEADING + "\n".join(lines) if lines else ""


def _completion(answer: Answer, model: str) -> ChatCompletion:
    content = answer.answer + format_sources(answer.citations)
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=model,
        choices=[Choice(message=AssistantMessage(content=content))],
        usage=usage_of(answer), citations=answer.citations, abstained=answer.abstained,
    )


async def _chunks(
    request: Request, metrics: Metrics, iterator: Iterator[str | Answer], first: str | Answer | None, model: str
) -> AsyncIterator[str]:
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model}

    def chunk(delta: ChunkDelta, **extra) -> str:
        finish = extra.pop("finish_reason", None)
        return ChatCompletionChunk(**base, choices=[ChunkChoice(delta=delta, finish_reason=finish)], **extra).sse()

    yield chunk(ChunkDelta(role="assistant", content=""))
    try:
        async for item in iterate_until_disconnect(request, iterator, first):
            if isinstance(item, str):
                if item:
                    yield chunk(ChunkDelta(content=item))
                continue
            metrics.observe_answer(item)
            if sources := format_sources(item.citations):
                yield chunk(ChunkDelta(content=sources))
            yield chunk(ChunkDelta(), finish_reason="stop", citations=item.citations, usage=usage_of(item))
    except RagError as exc:
        yield f"data: {json.dumps(rag_error_body(exc), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
