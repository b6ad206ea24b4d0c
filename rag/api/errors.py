"""One error body for the whole API, OpenAI's: `{"error": {"message", "type", "param", "code"}}`.

The official SDK and chat front ends parse that shape to show the message, and one shape is one
thing for every client to handle. `type` is the broad class (invalid_request_error,
authentication_error, server_error, ...); `code` is rag's precise, stable reason
(document_not_found, question_too_long, not_ready, ...); `param` names the field at fault.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    BackendError,
    ConfigError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IngestError,
    InvalidQuestionError,
    RagError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)

# rag's precise code for an HTTP status when the raiser gave none.
_HTTP_CODES = {
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
# OpenAI's broad error classes, by status.
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


class ErrorDetail(BaseModel):
    message: str = Field(description="what is wrong and how to fix it")
    type: str = Field(description="the broad class: invalid_request_error, authentication_error, server_error, ...")
    param: str | None = Field(None, description="the request field at fault, where there is one")
    code: str | None = Field(None, description="rag's precise reason, e.g. document_not_found or question_too_long")


class ErrorBody(BaseModel):
    """The one error shape of every route (OpenAI's)."""

    error: ErrorDetail


def error_type(status: int) -> str:
    """OpenAI's broad error class for an HTTP status."""
    if status >= 500:
        return "server_error"
    return _OPENAI_TYPES.get(status, "invalid_request_error")


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    """The error body as plain JSON (also what a stream reports when it fails after it started)."""
    detail = ErrorDetail(message=message, type=error_type(status), param=param, code=code)
    return ErrorBody(error=detail).model_dump(mode="json")


class ApiError(StarletteHTTPException):
    """An HTTP error with rag's precise `code`; raise it from handlers and dependencies.

    `type=` is accepted as another name for `code` (older call sites). `details` is kept on the
    exception for logs and callers; the body carries only OpenAI's four fields, so whatever a
    client must know belongs in `message`.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        type: str | None = None,
        details: Any = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code or type or _HTTP_CODES.get(status_code, "error")
        self.message = message
        self.details = details
        self.param = param

    @property
    def type(self) -> str:
        return self.code


def error_response(
    status: int, code: str, message: str, *, param: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Render an error in the API's one shape."""
    return JSONResponse(error_body(status, code, message, param), status_code=status, headers=headers)


def rag_error_status(exc: RagError) -> tuple[int, str]:
    """Map a library error to (HTTP status, error code)."""
    if isinstance(exc, BackendError):
        return (504, "backend_timeout") if exc.timeout else (502, "backend_error")
    if isinstance(exc, InvalidQuestionError):
        return 422, "invalid_question"
    if isinstance(exc, ConfigError):
        return 400, "config_error"
    if isinstance(exc, IngestError):
        return 422, "ingest_error"
    if isinstance(exc, IndexBusyError):
        return 503, "index_busy"
    if isinstance(exc, StoreUnavailableError):
        return 503, "store_unavailable"
    if isinstance(exc, (IndexMismatchError, IndexCorruptError)):
        return 500, "index_error"
    return 500, "rag_error"


def rag_error_message(exc: RagError) -> str:
    message = str(exc)
    if isinstance(exc, BackendError) and exc.backend not in message:
        # The client must learn which backend failed even when the library's text omits it.
        message = f"LLM backend {exc.backend!r} failed: {message}"
    return message


def rag_error_body(exc: RagError) -> dict[str, Any]:
    status, code = rag_error_status(exc)
    return error_body(status, code, rag_error_message(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, param=exc.param, headers=exc.headers)
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}; see /docs for the API"
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [(_where(err.get("loc", ())), err.get("msg", "invalid")) for err in exc.errors()] or [("body", "invalid")]
    # Every problem in the message, so a client fixes them all at once; the first one names `param`.
    message = "; ".join(f"{where}: {msg}" for where, msg in problems)
    return error_response(422, "invalid_request", message, param=problems[0][0])


def _where(loc: Any) -> str:
    # The first part says where the field was sent (body, query, path, header); the rest names it.
    parts = list(loc)[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else list(loc)
    return ".".join(str(part) for part in parts) or "body"


async def _rag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    status, code = rag_error_status(exc)
    if status >= 500:
        log.warning("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    headers = {"Retry-After": "2"} if isinstance(exc, StoreUnavailableError) else None
    return error_response(status, code, rag_error_message(exc), headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # No internals in the reply; the server logs the traceback (Starlette re-raises after this).
    return error_response(500, "internal_error", "internal server error; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(Exception, _unexpected_error)
