"""`serve` helpers: settings handed to worker processes, and the --factory entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rag.api import asgi
from rag.api.server import _plain, default_workers
from rag.config import Settings


def test_settings_survive_the_trip_to_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(index_dir=tmp_path / "idx", api_keys="k1,k2",
                        llm={"backend": "openai", "model": "m", "api_key": "sk-secret"},
                        server={"cors_origins": "https://a.example", "max_top_k": 7})
    monkeypatch.setenv(asgi.SETTINGS_ENV, json.dumps(_plain(settings)))
    app = asgi.app()
    again = app.state.runtime.settings
    assert again == settings
    assert again.llm.api_key.get_secret_value() == "sk-secret"


def test_factory_reads_rag_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(asgi.SETTINGS_ENV, raising=False)
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "env-index"))
    monkeypatch.setenv("RAG_API_KEYS", "a, b")
    settings = asgi.app().state.runtime.settings
    assert settings.index_dir == tmp_path / "env-index"
    assert [k.get_secret_value() for k in settings.api_keys] == ["a", "b"]


def test_serve_defaults_to_a_worker_per_core_but_one_local_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert default_workers(Settings()) == 3
    assert default_workers(Settings(llm={"backend": "transformers"})) == 1
