"""Dependencies shared by the routers, as `Annotated` aliases for handler signatures."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.api.errors import ApiError
from rag.api.metrics import Metrics
from rag.api.state import RAGService, Runtime
from rag.config import Settings

# auto_error=False: a missing header must produce our 401 shape, not FastAPI's default.
_bearer = HTTPBearer(auto_error=False, description="one of the keys in RAG_API_KEYS")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def get_rag(runtime: Annotated[Runtime, Depends(get_runtime)]) -> RAGService:
    if not runtime.ready.is_set() or runtime.rag is None:
        if runtime.error:
            raise ApiError(503, f"the index failed to load: {runtime.error}", type="not_ready")
        raise ApiError(503, "the index is still loading; retry shortly", type="not_ready", headers={"Retry-After": "1"})
    return runtime.rag


def require_api_key(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Accept the request when no keys are configured, or when its bearer token is one of them."""
    if not settings.api_keys:
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    offered = credentials.credentials.encode()
    matched = False
    for key in settings.api_keys:
        # Every key is compared, in constant time, so timing tells nothing about which one matched.
        matched |= hmac.compare_digest(offered, key.get_secret_value().encode())
    if not matched:
        raise _unauthorized("invalid API key")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, type="unauthorized", headers={"WWW-Authenticate": "Bearer"})


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
RagDep = Annotated[RAGService, Depends(get_rag)]
AUTH = [Depends(require_api_key)]
