"""One error shape per API family, and the handlers that turn every failure into it.

rag's own routes answer `{"error": {"type", "message", "details"}}`; the OpenAI-compatible
routes answer OpenAI's `{"error": {"message", "type", "param", "code"}}` because the official
SDK and chat front ends parse that shape to show the message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    BackendError,
    ConfigError,
    IndexCorruptError,
    IndexMismatchError,
    IngestError,
    InvalidQuestionError,
    RagError,
)

log = logging.getLogger(__name__)

# Routes whose clients expect OpenAI's error shape.
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")

_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    502: "backend_error",
    503: "not_ready",
    504: "backend_timeout",
}


class ErrorDetail(BaseModel):
    type: str
    message: str
    details: Any | None = None


class ErrorBody(BaseModel):
    """The one error shape of rag's own routes."""

    error: ErrorDetail


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    """OpenAI's error shape, used by /v1/chat/completions and /v1/models."""

    error: OpenAIErrorDetail


class ApiError(StarletteHTTPException):
    """An HTTP error with a machine-readable type; raise it from handlers and dependencies."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str | None = None,
        details: Any = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.type = type or _HTTP_TYPES.get(status_code, "error")
        self.message = message
        self.details = details
        self.param = param


def error_response(
    path: str,
    status: int,
    type: str,
    message: str,
    *,
    details: Any = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render an error in the shape the route's clients expect."""
    if path.startswith(OPENAI_PATHS):
        kind = "invalid_request_error" if status < 500 else "server_error"
        if status == 401:
            kind = "authentication_error"
        body: BaseModel = OpenAIErrorBody(error=OpenAIErrorDetail(message=message, type=kind, param=param, code=type))
    else:
        body = ErrorBody(error=ErrorDetail(type=type, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def rag_error_status(exc: RagError) -> tuple[int, str]:
    """Map a library error to (HTTP status, error type)."""
    if isinstance(exc, BackendError):
        return (504, "backend_timeout") if exc.timeout else (502, "backend_error")
    if isinstance(exc, InvalidQuestionError):
        return 422, "invalid_question"
    if isinstance(exc, ConfigError):
        return 400, "config_error"
    if isinstance(exc, IngestError):
        return 422, "ingest_error"
    if isinstance(exc, (IndexMismatchError, IndexCorruptError)):
        return 500, "index_error"
    return 500, "rag_error"


def rag_error_message(exc: RagError) -> str:
    message = str(exc)
    if isinstance(exc, BackendError) and exc.backend not in message:
        # The client must learn which backend failed even when the library's text omits it.
        message = f"LLM backend {exc.backend!r} failed: {message}"
    return message


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return error_response(
            request.url.path, exc.status_code, exc.type, exc.message,
            details=exc.details, param=exc.param, headers=exc.headers,
        )
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}; see /docs for the API"
    kind = _HTTP_TYPES.get(exc.status_code, "error")
    return error_response(request.url.path, exc.status_code, kind, message, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "body"
    message = f"{where}: {first['msg']}"
    param = where if request.url.path.startswith(OPENAI_PATHS) else None
    return error_response(request.url.path, 422, "invalid_request", message, details=errors, param=param)


async def _rag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    status, kind = rag_error_status(exc)
    details = {"backend": exc.backend} if isinstance(exc, BackendError) else None
    if status >= 500:
        log.warning("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    return error_response(request.url.path, status, kind, rag_error_message(exc), details=details)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # No internals in the reply; the server logs the traceback (Starlette re-raises after this).
    return error_response(request.url.path, 500, "internal_error", "internal server error; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(Exception, _unexpected_error)
