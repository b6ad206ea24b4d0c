"""A fake OpenAI-compatible server on loopback, scripted per test, for testing real HTTP clients.

Served by a real uvicorn on 127.0.0.1 (a free port) in a background thread. Each request to
`POST /v1/chat/completions` takes the next scripted behaviour (a reply, an HTTP error, a slow
reply, a connection dropped mid-stream); with nothing scripted it answers `default_text`.
Every request is recorded so tests can assert what a client sent.

    with FakeOpenAIServer() as server:
        server.fail(429, retry_after=0.1).reply("Hello there")
        ...  # point the client at server.url ("http://127.0.0.1:<port>/v1")
        assert server.requests[-1].body["messages"] == [...]
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

DEFAULT_TEXT = "This is a fake answer [1]."


@dataclass(frozen=True)
class Reply:
    """Answer with `text`: streamed in `chunks` pieces when asked to stream."""

    text: str
    chunks: int = 3
    usage: bool = True  # False imitates servers that never report usage
    delay: float = 0.0  # seconds before the response starts (for client timeouts)
    drop_after: int | None = None  # chunks sent before the connection is cut
    pace: float = 0.0  # seconds between streamed chunks (to watch a client render them one by one)


@dataclass(frozen=True)
class Failure:
    """Answer with an HTTP error in OpenAI's error shape."""

    status: int
    message: str = "scripted failure"
    retry_after: float | None = None
    code: str | None = None


Behaviour = Reply | Failure


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


class _DeliberateDrop(Exception):
    """Raised inside a streaming body to make uvicorn cut the connection."""


class _HideScriptedErrors(logging.Filter):
    """Keep uvicorn from logging tracebacks for drops we scripted and slow replies cut at shutdown."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (_DeliberateDrop, asyncio.CancelledError))


class FakeOpenAIServer:
    """A scripted OpenAI-compatible server; use as a context manager (or start()/stop())."""

    def __init__(self, *, models: Sequence[str] = ("fake-model",), api_key: str | None = None,
                 default_text: str = DEFAULT_TEXT) -> None:
        self.models = list(models)
        self.api_key = api_key  # when set, requests must carry "Authorization: Bearer <api_key>"
        self._configured_api_key = api_key
        self.default_text = default_text
        self.requests: list[RecordedRequest] = []
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._filter = _HideScriptedErrors()
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL to hand a client, ending in /v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- scripting -----------------------------------------------------------------------
    def reply(self, text: str, *, chunks: int = 3, usage: bool = True) -> FakeOpenAIServer:
        return self.push(Reply(text, chunks=chunks, usage=usage))

    def fail(self, status: int, message: str = "scripted failure", *, retry_after: float | None = None,
             code: str | None = None) -> FakeOpenAIServer:
        return self.push(Failure(status, message, retry_after=retry_after, code=code))

    def slow(self, seconds: float, text: str = DEFAULT_TEXT) -> FakeOpenAIServer:
        return self.push(Reply(text, delay=seconds))

    def drop(self, text: str, *, after_chunks: int = 1, chunks: int = 3) -> FakeOpenAIServer:
        return self.push(Reply(text, chunks=chunks, drop_after=after_chunks))

    def push(self, behaviour: Behaviour) -> FakeOpenAIServer:
        with self._lock:
            self._script.append(behaviour)
        return self

    def reset(self) -> None:
        """Forget scripted behaviours and recorded requests; restore the configured api_key."""
        with self._lock:
            self.api_key = self._configured_api_key
            self._script.clear()
            self.requests.clear()

    @property
    def completions(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a free one, no race with other tests
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app(), log_config=None, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").addFilter(self._filter)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for scripted slow replies
            self._thread.join(timeout=5)
        logging.getLogger("uvicorn.error").removeFilter(self._filter)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the app -------------------------------------------------------------------------
    def _app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
        ])

    async def _models(self, request: Request) -> Response:
        self._record(request, {})
        if (denied := self._auth_error(request)) is not None:
            return denied
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in self.models]
        return JSONResponse({"object": "list", "data": data})

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self._record(request, body)
        if (denied := self._auth_error(request)) is not None:
            return denied
        with self._lock:
            behaviour = self._script.popleft() if self._script else Reply(self.default_text)
        if isinstance(behaviour, Failure):
            return _failure_response(behaviour)
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if not body.get("stream"):
            return JSONResponse(_completion(body, behaviour.text))
        include_usage = behaviour.usage and bool((body.get("stream_options") or {}).get("include_usage"))
        events = _events(body, behaviour, include_usage)
        return StreamingResponse(events, media_type="text/event-stream")

    def _record(self, request: Request, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(request.url.path, dict(request.headers), body))

    def _auth_error(self, request: Request) -> Response | None:
        if self.api_key is None or request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return _failure_response(Failure(401, "Incorrect API key provided.", code="invalid_api_key"))


def _failure_response(failure: Failure) -> Response:
    headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
    error = {"message": failure.message, "type": "fake_error", "param": None, "code": failure.code}
    return JSONResponse({"error": error}, status_code=failure.status, headers=headers)


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    # Word counts: deterministic and easy to assert, not a real tokenizer.
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": _usage(body, text),
    }


def split_text(text: str, parts: int) -> list[str]:
    """Split `text` into up to `parts` pieces at word boundaries; joined they give `text` back."""
    words = re.findall(r"\s*\S+\s*", text) or [text]
    parts = max(1, min(parts, len(words)))
    size, extra = divmod(len(words), parts)
    pieces, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        pieces.append("".join(words[start:end]))
        start = end
    return pieces


async def _events(body: dict[str, Any], reply: Reply, include_usage: bool) -> AsyncIterator[bytes]:
    """The SSE body of a streamed chat.completion, OpenAI-style."""

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                 "model": body.get("model", ""), "choices": choices, **extra}
        return f"data: {json.dumps(chunk)}\n\n".encode()

    yield event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
    for sent, piece in enumerate(split_text(reply.text, reply.chunks)):
        if reply.drop_after is not None and sent >= reply.drop_after:
            raise _DeliberateDrop("scripted connection drop")
        yield event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        await asyncio.sleep(reply.pace)  # let each chunk leave as its own write
    yield event([{"index": 0, "delta": {}, "finish_reason": "stop"}])
    if include_usage:
        yield event([], usage=_usage(body, reply.text))
    yield b"data: [DONE]\n\n"


@pytest.fixture(scope="session")
def fake_openai_server() -> Iterator[FakeOpenAIServer]:
    """One fake server for the whole session (starting uvicorn costs ~100 ms)."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_server: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The session's fake server with an empty script and request log."""
    fake_openai_server.reset()
    yield fake_openai_server
    fake_openai_server.reset()
