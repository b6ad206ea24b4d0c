"""`create_app(settings)`: the FastAPI app over one shared `RAG`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import rag
from rag.api.auth import AuthMiddleware
from rag.api.errors import install_error_handlers
from rag.api.limits import BodyLimitMiddleware, body_limits
from rag.api.metrics import Metrics, MetricsMiddleware, route_template
from rag.api.routes import all_routes, api_router, docs, keyed_routes, page
from rag.api.schemas import DocumentsIn
from rag.api.state import RAGService, Runtime
from rag.api.uploads import remove_stale_upload_dirs
from rag.config import ServerSettings, Settings

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
        remove_stale_upload_dirs()
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
    # Added innermost first: the body limit sits inside the key check (a keyless client uploads
    # nothing) and both inside CORS (so 413s and 401s carry CORS headers),
    # and metrics outermost so that every reply, rejections included, is counted.
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limits(settings.server))
    app.add_middleware(AuthMiddleware, settings=settings, protected=[route.path_regex for route in keyed_routes])
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=False,
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
        _publish_limits(components, app.state.runtime.settings.server)
        app.openapi_schema = schema
    return app.openapi_schema


def _publish_limits(components: dict[str, Any], server: ServerSettings) -> None:
    """Put the server's configured limits into the schema, so clients (and fuzzers) see the real bounds.

    The handlers check them with messages that name the setting; the models cannot carry them
    because they are per-deployment settings.
    """
    limits = {
        ("AskRequest", "top_k"): {"minimum": 1, "maximum": server.max_top_k},
        ("SearchRequest", "top_k"): {"minimum": 1, "maximum": server.max_top_k},
        ("AskRequest", "question"): {"maxLength": server.max_question_chars},
        ("SearchRequest", "query"): {"maxLength": server.max_question_chars},
        ("AskRequest", "history"): {"maxItems": server.max_messages},
        ("ChatCompletionRequest", "messages"): {"maxItems": server.max_messages},
    }
    for (model, field), bounds in limits.items():
        prop = components.get(model, {}).get("properties", {}).get(field)
        if prop is None:
            continue
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") in ("integer", "string", "array"):
                branch.update(bounds)


def _version() -> str:
    return rag.__version__
