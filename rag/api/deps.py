"""Dependencies shared by the routers, as `Annotated` aliases for handler signatures."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.api.auth import key_problem, unauthorized
from rag.api.errors import ApiError
from rag.api.metrics import Metrics
from rag.api.state import RAGService, Runtime
from rag.config import Settings

# The dependencies are coroutines because they never block: FastAPI runs a plain `def` dependency
# in its thread pool, a hop per dependency per request that cost more than /healthz itself.
# auto_error=False: a missing header must produce our 401 shape, not FastAPI's default.
_bearer = HTTPBearer(auto_error=False, description="one of the keys in RAG_API_KEYS")


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


# How long a request waits for the index to finish loading before it gets 503 not_ready. With
# several workers a client may reach one that is still loading right after another said /readyz
# is fine; a short wait turns that race into a slightly slower answer instead of an error.
READY_WAIT_S = 10.0


async def get_rag(request: Request) -> RAGService:
    # Takes the Request rather than depending on get_runtime: each dependency FastAPI solves
    # costs about as much per request as a whole /healthz.
    return await ready_rag(request.app.state.runtime)


async def ready_rag(runtime: Runtime) -> RAGService:
    """The runtime's RAG once loaded; waits up to READY_WAIT_S, then 503 not_ready."""
    if not runtime.ready.is_set() or runtime.rag is None:
        deadline = time.monotonic() + READY_WAIT_S
        while not runtime.ready.is_set() and runtime.error is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # polled, not a thread parked on the Event per waiting request
        if runtime.ready.is_set() and runtime.rag is not None:
            return runtime.rag
        if runtime.error:
            raise ApiError(503, f"the index failed to load: {runtime.error}", type="not_ready")
        raise ApiError(503, "the index is still loading; retry shortly", type="not_ready", headers={"Retry-After": "1"})
    return runtime.rag


async def require_api_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Accept the request when no keys are configured, or when its bearer token is one of them.

    `AuthMiddleware` runs the same check before the body is read; this dependency documents the
    scheme in the OpenAPI schema and guards apps mounted without the middleware.
    """
    header = f"{credentials.scheme} {credentials.credentials}" if credentials is not None else None
    problem = key_problem(request.app.state.runtime.settings, header)
    if problem is not None:
        raise unauthorized(problem)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
RagDep = Annotated[RAGService, Depends(get_rag)]
AUTH = [Depends(require_api_key)]
