"""Calling the library's ask/stream from async handlers: overrides, threadpool, metrics, SSE."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from rag.answer.types import Answer
from rag.api.errors import rag_error_body
from rag.api.metrics import Metrics
from rag.api.schemas import CitationsEvent
from rag.api.state import RAGService
from rag.api.streaming import first_item, iterate_until_disconnect, sse
from rag.errors import RagError
from rag.llm.base import Message

log = logging.getLogger(__name__)


def overrides(**values: Any) -> dict[str, Any]:
    """Keyword overrides for `RAG.ask`/`RAG.stream`, unset ones dropped (the facade's defaults apply).

    `max_tokens` and `temperature` come from OpenAI clients; the facade applies them to this one answer.
    """
    return {name: value for name, value in values.items() if value is not None}


async def ask(rag: RAGService, metrics: Metrics, question: str, history: list[Message] | None, **kw: Any) -> Answer:
    answer = await run_in_threadpool(lambda: rag.ask(question, history or None, **overrides(**kw)))
    metrics.observe_answer(answer)
    return answer


def json_response(answer: Answer) -> Response:
    """The Answer as JSON in one pass of pydantic's serialiser. Returned as a model, FastAPI
    would dump it, validate the dump against the response model and encode it again: measured
    0.14 ms vs 0.03 ms for a cited answer over the seed articles (the JSON parses the same)."""
    return Response(answer.model_dump_json(), media_type="application/json")


async def open_stream(
    rag: RAGService, question: str, history: list[Message] | None, **kw: Any
) -> tuple[Iterator[str | Answer], str | Answer | None]:
    """Start the library stream and take its first item, so that errors before any text
    (bad question, unknown backend, backend down) still become a plain HTTP error reply."""
    kw = overrides(**kw)
    iterator = await run_in_threadpool(lambda: iter(rag.stream(question, history or None, **kw)))
    return iterator, await first_item(iterator)


async def ask_events(
    request: Request, metrics: Metrics, iterator: Iterator[str | Answer], first: str | Answer | None
) -> AsyncIterator[str]:
    """The /v1/ask event stream: `delta`* then `citations` then `done`; `error` if generation fails."""
    try:
        async for item in iterate_until_disconnect(request, iterator, first):
            if isinstance(item, str):
                if item:
                    yield sse("delta", {"text": item})
                continue
            metrics.observe_answer(item)
            cited = CitationsEvent(citations=item.citations, abstained=item.abstained)
            yield sse("citations", cited.model_dump(mode="json"))
            yield sse("done", item.model_dump(mode="json"))
    except RagError as exc:
        yield sse("error", stream_error(exc))


def stream_error(exc: RagError) -> dict[str, Any]:
    """A failure after the response started can only be reported inside the stream."""
    log.warning("stream failed: %s", exc)
    return rag_error_body(exc)
