"""Request limits: a pure ASGI body-size guard and the checks handlers share.

The guard trusts neither side alone: Content-Length is checked up front (cheap rejection), and
the bytes actually received are counted, because chunked uploads carry no length at all.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.api.errors import ApiError, error_response
from rag.config import ServerSettings


class BodyTooLarge(ApiError):
    def __init__(self, limit: int, setting: str):
        super().__init__(
            413,
            f"request body is larger than {limit} bytes (server.{setting}); send less or raise the limit",
            type="payload_too_large",
            details={"limit": limit, "setting": setting},
        )


class BodyLimitMiddleware:
    """Reject bodies above a per-route limit with 413, before or while they are read."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], tuple[int, str]]):
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            if declared <= DRAIN_BYTES:
                await _drain(receive)
            await _reply(scope, send, BodyTooLarge(limit, setting))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, setting)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as exc:
            # Reached only when the overflow escaped the app's handlers (e.g. mid-stream).
            if not started:
                await _reply(scope, send, exc)


# A client that is still sending when the 413 goes out sees a reset instead of the JSON error.
# Bodies up to this size are read and dropped first so the client gets the clear answer;
# anything larger gets the answer and a closed connection, never unbounded reading.
DRAIN_BYTES = 16_000_000


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(scope: Scope, send: Send, exc: BodyTooLarge) -> None:
    response = error_response(413, exc.code, exc.message)
    # The client may still be sending; closing tells it (and proxies) to stop.
    response.headers["connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


def body_limits(server: ServerSettings) -> Callable[[Scope], tuple[int, str]]:
    """Uploads get the upload limit; everything else the general body limit."""

    def limit_for(scope: Scope) -> tuple[int, str]:
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == "/v1/documents":
            return server.max_upload_bytes, "max_upload_bytes"
        return server.max_body_bytes, "max_body_bytes"

    return limit_for


def check_text(value: str, name: str, server: ServerSettings, *, param: str | None = None) -> None:
    if not value.strip():
        raise ApiError(422, f"{name} is empty or only whitespace; send some text", type="invalid_question", param=param)
    if len(value) > server.max_question_chars:
        raise ApiError(
            422,
            f"{name} has {len(value)} characters; the limit is {server.max_question_chars} (server.max_question_chars)",
            type="question_too_long",
            details={"limit": server.max_question_chars, "setting": "max_question_chars"},
            param=param,
        )


def check_top_k(top_k: int | None, server: ServerSettings) -> None:
    if top_k is not None and not 1 <= top_k <= server.max_top_k:
        raise ApiError(
            422,
            f"top_k must be between 1 and {server.max_top_k} (server.max_top_k); got {top_k}",
            type="top_k_out_of_range",
            details={"min": 1, "max": server.max_top_k, "setting": "max_top_k"},
        )


def check_message_count(count: int, server: ServerSettings, *, param: str) -> None:
    """Conversations longer than server.max_messages are refused, whichever route carries them."""
    if count > server.max_messages:
        raise ApiError(
            422,
            f"{count} messages sent in {param}; the limit is {server.max_messages} (server.max_messages)",
            type="too_many_messages",
            param=param,
            details={"limit": server.max_messages, "setting": "max_messages"},
        )
