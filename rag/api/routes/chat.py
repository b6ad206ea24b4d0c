"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models.

The content carries the answer with [n] markers and a short "Sources:" list, so any chat front
end shows citations; the structured ones ride in an extra `citations` field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from rag.answer.types import Answer, Citation
from rag.api import answering, chat_tasks
from rag.api.deps import AUTH, MetricsDep, RagDep, SettingsDep
from rag.api.errors import ApiError, rag_error_body
from rag.api.limits import check_message_count, check_text
from rag.api.metrics import Metrics
from rag.api.openai_schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
    ChatUsage,
    Choice,
    ChunkChoice,
    ChunkDelta,
    Model,
    ModelList,
    usage_of,
)
from rag.api.routes._responses import errors
from rag.api.state import RAGService, llm_names
from rag.api.streaming import SSE_HEADERS, iterate_until_disconnect
from rag.config import Settings
from rag.errors import RagError
from rag.llm.base import Message
from rag.present import sources_markdown, strip_sources
from rag.text.tokens import TokenCounter, get_token_counter

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=AUTH)

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
    """Answer the last user message; earlier turns are the history the follow-up is condensed with.

    Chat front ends' housekeeping prompts (a title, tags, follow-up suggestions) are answered
    directly in the format the front end parses, not treated as questions.
    """
    if body.n is not None and body.n != 1:
        raise ApiError(400, f"n={body.n}: rag gives one answer per request; send n=1 or leave n out",
                       code="unsupported_n", param="n")
    llm = _backend_for(body.model, rag, settings)
    question, history = _split_messages(body.messages, settings)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    if task := chat_tasks.recognise(question):
        text = await run_in_threadpool(chat_tasks.reply, task, lambda q: [p.text for p in rag.search(q, 5)])
        usage = _usage(settings, _counter(settings).count(question), text)
        if not body.stream:
            return _completion(body.model, text, [], usage)
        return _sse(_fixed_chunks(body.model, text, usage if include_usage else None))
    # Checked after the housekeeping prompts: theirs embed whole answers and run long.
    check_text(question, "the last user message", settings.server, param="messages")
    kw = {"llm": llm, "temperature": body.temperature, "max_tokens": body.max_tokens or body.max_completion_tokens}
    if not body.stream:
        answer = await answering.ask(rag, metrics, question, history, **kw)
        content = answer.answer + sources_markdown(answer.citations)
        return _completion(body.model, content, answer.citations, _answer_usage(answer, settings), answer.abstained)
    iterator, first = await answering.open_stream(rag, question, history, **kw)
    return _sse(_chunks(request, metrics, iterator, first, body.model, settings, include_usage))


def _sse(chunks: AsyncIterator[str]) -> StreamingResponse:
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
    check_message_count(len(messages), settings.server, param="messages")
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ApiError(422, "messages contain no user message to answer", type="invalid_request", param="messages")
    question = messages[users[-1]].text()
    # System prompts are the client's, not rag's: the grounded prompt decides how to answer.
    history = [
        Message(role=m.role, content=strip_sources(m.text()))
        for m in messages[: users[-1]]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return question, history


def _counter(settings: Settings) -> TokenCounter:
    return get_token_counter(settings.chunking.encoding, settings.chunking.encoding_file, quiet=True)


def _usage(settings: Settings, prompt_tokens: int, completion: str) -> ChatUsage:
    completion_tokens = _counter(settings).count(completion)
    return ChatUsage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                     total_tokens=prompt_tokens + completion_tokens)


def _answer_usage(answer: Answer, settings: Settings) -> ChatUsage:
    """The backend's own counts; for a backend that sends no prompt (extractive), what it read."""
    if answer.usage.prompt_tokens:
        return usage_of(answer)
    counter = _counter(settings)
    read = [answer.standalone_question or answer.question, *(p.text for p in answer.passages)]
    prompt_tokens = sum(counter.count_batch(read))
    completion_tokens = answer.usage.completion_tokens or counter.count(answer.answer)
    return ChatUsage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                     total_tokens=prompt_tokens + completion_tokens)


def _completion(
    model: str, content: str, citations: list[Citation], usage: ChatUsage, abstained: bool = False
) -> ChatCompletion:
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=model,
        choices=[Choice(message=AssistantMessage(content=content))],
        usage=usage, citations=citations, abstained=abstained,
    )


class _ChunkWriter:
    """Chunks of one streamed completion, sharing its id; usage goes last, in a chunk of its own."""

    def __init__(self, model: str):
        self.base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model}

    def delta(self, delta: ChunkDelta, finish_reason: str | None = None, **extra: Any) -> str:
        choice = ChunkChoice(delta=delta, finish_reason=finish_reason)
        return ChatCompletionChunk(**self.base, choices=[choice], **extra).sse()

    def usage(self, usage: ChatUsage) -> str:
        # OpenAI's stream_options.include_usage: a last chunk with no choices, only usage.
        return ChatCompletionChunk(**self.base, choices=[], usage=usage).sse()


async def _fixed_chunks(model: str, text: str, usage: ChatUsage | None) -> AsyncIterator[str]:
    writer = _ChunkWriter(model)
    yield writer.delta(ChunkDelta(role="assistant", content=""))
    yield writer.delta(ChunkDelta(content=text))
    yield writer.delta(ChunkDelta(), finish_reason="stop")
    if usage is not None:
        yield writer.usage(usage)
    yield "data: [DONE]\n\n"


async def _chunks(
    request: Request, metrics: Metrics, iterator: Iterator[str | Answer], first: str | Answer | None, model: str,
    settings: Settings, include_usage: bool,
) -> AsyncIterator[str]:
    writer = _ChunkWriter(model)
    yield writer.delta(ChunkDelta(role="assistant", content=""))
    try:
        async for item in iterate_until_disconnect(request, iterator, first):
            if isinstance(item, str):
                if item:
                    yield writer.delta(ChunkDelta(content=item))
                continue
            metrics.observe_answer(item)
            if sources := sources_markdown(item.citations):
                yield writer.delta(ChunkDelta(content=sources))
            yield writer.delta(ChunkDelta(), finish_reason="stop", citations=item.citations)
            if include_usage:
                yield writer.usage(_answer_usage(item, settings))
    except RagError as exc:
        yield f"data: {json.dumps(rag_error_body(exc), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
