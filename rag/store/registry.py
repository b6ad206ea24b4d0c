"""Index stores by the scheme of `store.url`: the folder store, PostgreSQL, or a plugin's store.

An empty `store.url` means the local folder store at `index_dir`; `postgresql://...` (or
`postgres://...`) the PostgreSQL store; any other scheme is looked up in the `rag.stores` entry
point group, so a store of your own installs like an embedder or an LLM backend. A factory is
called as `factory(settings, create=..., embedder_id=..., dimension=..., chunking=...)` and
returns an `OpenedStore`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.registry import Registry

ENTRY_POINT_GROUP = "rag.stores"


@dataclass(frozen=True)
class OpenedStore:
    store: Any  # implements rag.store.protocol.Store
    created: bool  # this open created it (so the caller may seed it)
    location: str  # where it is, for messages (a path or a URL without its password)


def open_folder(settings: Settings, *, create: bool, **manifest: Any) -> OpenedStore:
    from rag.store import IndexStore

    path = Path(settings.index_dir).expanduser()
    fresh = not IndexStore.exists(path)
    store = IndexStore.open(path, create=create, lock_timeout=settings.ingest.lock_timeout, **manifest)
    return OpenedStore(store, fresh, str(path))


def open_postgres(settings: Settings, *, create: bool, **manifest: Any) -> OpenedStore:
    from rag.store.postgres import open_postgres_store

    store = open_postgres_store(settings.store, create=create, **manifest)
    return OpenedStore(store, store.created, store.location)


REGISTRY = Registry(
    "index store", ENTRY_POINT_GROUP,
    setting="RAG_STORE__URL (empty for the folder store, or postgresql://user@host/db)",
    builtins={"folder": "rag.store.registry:open_folder", "postgresql": "rag.store.registry:open_postgres",
              "postgres": "rag.store.registry:open_postgres"},
)


def store_kind(settings: Settings) -> str:
    """The registry name `settings.store.url` selects: its scheme, or "folder" when it is empty."""
    url = settings.store.url.get_secret_value().strip()
    return url.split("://", 1)[0] if "://" in url else ("folder" if not url else url)


def open_store(settings: Settings, *, create: bool, embedder_id: str, dimension: int,
               chunking: dict[str, Any]) -> OpenedStore:
    factory = REGISTRY.factory(store_kind(settings))
    return factory(settings, create=create, embedder_id=embedder_id, dimension=dimension, chunking=chunking)
