"""Routers per resource, and `api_router`, all of them combined for apps that include rag's API."""

from __future__ import annotations

from fastapi import APIRouter

from rag.api.routes import ask, chat, documents, health, search

_MODULES = (health, ask, search, documents, chat)

api_router = APIRouter()
for _module in _MODULES:
    api_router.include_router(_module.router)

# Every route with its full template, for labelling requests that never reach the router.
all_routes = [route for module in _MODULES for route in module.router.routes]

__all__ = ["all_routes", "api_router", "ask", "chat", "documents", "health", "search"]
