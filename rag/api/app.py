"""`create_app(settings)`: the FastAPI app over one shared `RAG`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import rag
from rag.api.errors import install_error_handlers
from rag.api.limits import BodyLimitMiddleware, body_limits
from rag.api.metrics import Metrics, MetricsMiddleware, route_template
from rag.api.routes import all_routes, api_router, docs, page
from rag.api.schemas import DocumentsIn
from rag.api.state import RAGService, Runtime
from rag.config import Settings

DESCRIPTION = """Retrieval-augmented answers with citations.

`POST /v1/ask` and `POST /v1/search` are rag's own API; `POST /v1/chat/completions` and
`GET /v1/models` follow OpenAI's so that the openai SDK and chat front ends work unchanged.
With API keys configured, send `Authorization: Bearer <key>` (not needed for /healthz, /readyz).
Errors always have OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
The chat page at `/` uses this same API.
"""


def create_app(settings: Settings | None = None, *, rag: RAGService | None = None) -> FastAPI:
    """Build the app. Pass `rag` to share an open RAG (it is not closed on shutdown then)."""
    settings = settings or (rag.settings if rag is not None else Settings())
    runtime = Runtime(settings, rag)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        yield
        runtime.close()

    # /docs and /redoc come from routes.docs, with their assets served locally (FastAPI's use a CDN).
    app = FastAPI(
        title="rag", version=_version(), description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.runtime = runtime
    app.state.metrics = Metrics()
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(docs.router)
    app.include_router(page.router)
    # Added innermost first: the body limit sits inside CORS (so 413s carry CORS headers),
    # and metrics outermost so that every reply, rejections included, is counted.
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limits(settings.server))
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.server.cors_origins,
            allow_methods=["*"], allow_headers=["*"], allow_credentials=False,
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, resolve=lambda s: route_template(all_routes, s))
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus DocumentsIn, which POST /v1/documents parses by hand (JSON or multipart)."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        documents = DocumentsIn.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(documents.pop("$defs", {}))
        components["DocumentsIn"] = documents
        app.openapi_schema = schema
    return app.openapi_schema


def _version() -> str:
    return rag.__version__
