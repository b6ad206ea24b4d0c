"""Choosing the index store by the scheme of store.url: folder, PostgreSQL, or a plugin's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import rag.registry
from rag import RAG, Document
from rag.config import Settings
from rag.errors import ConfigError
from rag.store.registry import OpenedStore, open_folder, store_kind


@pytest.mark.parametrize(("url", "kind"), [("", "folder"), ("postgresql://u@h/db", "postgresql"),
                                           ("postgres://h/db", "postgres"), ("memory://x", "memory")])
def test_the_url_scheme_names_the_store(url: str, kind: str) -> None:
    assert store_kind(Settings(store={"url": url})) == kind


def test_an_unknown_scheme_lists_the_stores_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        RAG.open(tmp_path / "i", Settings(store={"url": "mysql://h/db"}))
    message = str(info.value)
    assert "'mysql'" in message and "folder" in message and "postgresql" in message and "RAG_STORE__URL" in message


def test_a_plugin_store_is_found_through_its_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A plugin store named by its scheme; here it keeps the folder store under another name.
    opened: list[dict[str, Any]] = []

    def plugin(settings: Settings, **kwargs: Any) -> OpenedStore:
        opened.append(kwargs)
        return open_folder(settings.model_copy(update={"index_dir": tmp_path / "plugged"}), **kwargs)

    class EntryPoint:
        name, value = "plugged", "plugin_pkg:open_store"

        def load(self) -> Any:
            return plugin

    monkeypatch.setattr(rag.registry, "entry_points", lambda group: [EntryPoint()] if group == "rag.stores" else [])
    with RAG.open(tmp_path / "unused", Settings(store={"url": "plugged://anything"})) as index:
        index.add([Document(id="a", text="The ferry carries forty cyclists.")])
        assert index.stats().documents == 1
    assert opened[0]["embedder_id"].startswith("hashing") and (tmp_path / "plugged").exists()
    assert not (tmp_path / "unused").exists()
