"""The HTTP service: `create_app(settings)` builds it, `serve(...)` runs it with uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.api.app import create_app
    from rag.api.server import serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    # Lazy: importing rag.api.routes (say) should not build the whole app module graph.
    if name == "create_app":
        from rag.api.app import create_app

        return create_app
    if name == "serve":
        from rag.api.server import serve

        return serve
    raise AttributeError(f"module 'rag.api' has no attribute {name!r}")
