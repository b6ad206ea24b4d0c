"""The shared store contract (rag.testing.store_suite) run against the folder store and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rag.config import StoreSettings
from rag.store import IndexStore
from rag.testing.store_suite import CHUNKING, DIM, EMBEDDER, StoreContract


def _defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"embedder_id": EMBEDDER, "dimension": DIM, "chunking": CHUNKING, **kwargs}


class TestFolderStore(StoreContract):
    @pytest.fixture
    def open_store(self, tmp_path: Path):
        return lambda name="main", **kwargs: IndexStore.open(tmp_path / name, **_defaults(kwargs))


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def open_store(self, postgres_url: str, index_name: str):
        from rag.store.postgres.store import PostgresStore

        settings = StoreSettings(url=postgres_url, pool_max=2)
        opened: list[Any] = []

        def open_store(name: str = "main", **kwargs: Any) -> PostgresStore:
            store = PostgresStore.open(settings, index_name=f"{index_name}_{name}", **_defaults(kwargs))
            opened.append(store)
            return store

        yield open_store
        for store in opened:
            store.close()
