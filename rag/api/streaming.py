"""Bridging the library's blocking generators to async responses, with cancellation.

`RAG.stream` is a plain generator (it may hold an HTTP stream to an LLM); each `next()` runs in
the threadpool so the event loop stays free, and when the client goes away the generator is
closed so generation stops instead of running to the end for nobody.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import anyio
from starlette.requests import Request

T = TypeVar("T")
_DONE = object()


def _next(iterator: Iterator[Any]) -> Any:
    return next(iterator, _DONE)


async def first_item(iterator: Iterator[T]) -> T | None:
    """Pull the first item before the response starts, so early errors still get a real status code."""
    item = await anyio.to_thread.run_sync(_next, iterator)
    return None if item is _DONE else item


async def iterate_until_disconnect(request: Request, iterator: Iterator[T], first: T | None) -> AsyncIterator[T]:
    """Yield `first`, then the rest of `iterator` off the event loop; stop and close it on disconnect."""
    try:
        if first is not None:
            yield first
        while not await request.is_disconnected():
            item = await anyio.to_thread.run_sync(_next, iterator)
            if item is _DONE:
                return
            yield item
    finally:
        # Runs on disconnect and on cancellation too; the worker thread has finished its next()
        # by now (to_thread waits for it), so closing cannot race with it.
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def sse(event: str, data: Any) -> str:
    """One server-sent event; `data` is JSON on a single line."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n"


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
