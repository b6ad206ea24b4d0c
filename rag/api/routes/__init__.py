"""Routers per resource, and `api_router`, all of them combined for apps that include rag's API."""

from __future__ import annotations

from fastapi import APIRouter

from rag.api.deps import require_api_key
from rag.api.routes import ask, chat, documents, health, search

_MODULES = (health, ask, search, documents, chat)

api_router = APIRouter()
for _module in _MODULES:
    api_router.include_router(_module.router)

# Every route with its full template, for labelling requests that never reach the router.
all_routes = [route for module in _MODULES for route in module.router.routes]


def _keyed(router: APIRouter, route: object) -> bool:
    deps = [*router.dependencies, *getattr(route, "dependencies", ())]
    return any(dep.dependency is require_api_key for dep in deps)


# Routes that need an API key (when keys are configured), for the check that runs before the body is read.
keyed_routes = [route for module in _MODULES for route in module.router.routes if _keyed(module.router, route)]

__all__ = ["all_routes", "api_router", "keyed_routes", "ask", "chat", "documents", "health", "search"]
