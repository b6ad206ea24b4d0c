"""API keys: one check, run before the request body is read.

FastAPI reads and validates the body before it resolves dependencies, so a keyless client sending
bad JSON would learn about its JSON (422) instead of its missing key (401). This middleware runs
the same check as the `require_api_key` dependency first, for every route that depends on it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from rag.api.errors import ApiError, error_response
from rag.config import Settings


def key_problem(settings: Settings, authorization: str | None) -> str | None:
    """Why a request with this Authorization header is refused, or None when it may pass."""
    if not settings.api_keys:
        return None
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "missing API key: send 'Authorization: Bearer <key>'"
    offered = token.strip().encode()
    matched = False
    for key in settings.api_keys:
        # Every key is compared, in constant time, so timing tells nothing about which one matched.
        matched |= hmac.compare_digest(offered, key.get_secret_value().encode())
    return None if matched else "invalid API key"


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, type="unauthorized", headers={"WWW-Authenticate": "Bearer"})


class AuthMiddleware:
    """Answer 401 for keyed routes before the app reads the body; other paths pass untouched."""

    def __init__(self, app: ASGIApp, settings: Settings, protected: Iterable[re.Pattern[str]]):
        self.app = app
        self.settings = settings
        self.protected = list(protected)  # path patterns of the routes that depend on require_api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.api_keys or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if any(pattern.match(path) for pattern in self.protected):
            header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"authorization"), None)
            problem = key_problem(self.settings, header)
            if problem is not None:
                exc = unauthorized(problem)
                response = error_response(401, exc.code, exc.message, headers=exc.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
