"""Factory for `uvicorn --factory rag.api.asgi:app` (and for `serve` with several workers)."""

from __future__ import annotations

import json
import os

from fastapi import FastAPI

from rag.api.app import create_app
from rag.config import Settings

SETTINGS_ENV = "_RAG_SERVE_SETTINGS_JSON"  # no RAG_ prefix: Settings must not read it as a field


def app() -> FastAPI:
    """Settings come from `serve` (via the environment of the worker) or from RAG_* variables."""
    given = os.environ.get(SETTINGS_ENV)
    return create_app(Settings(**json.loads(given)) if given else Settings())
