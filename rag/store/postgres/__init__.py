"""The index in PostgreSQL + pgvector (`pip install 'rag[postgres]'`, `store.url = postgresql://...`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError

if TYPE_CHECKING:
    from rag.config import StoreSettings
    from rag.store.postgres.store import PostgresStore

INSTALL_HINT = "install the PostgreSQL client libraries: pip install 'rag[postgres]'"


def open_postgres_store(settings: StoreSettings, **kwargs: Any) -> PostgresStore:
    """`PostgresStore.open`, or a ConfigError saying what to install when the extra is missing."""
    try:
        from rag.store.postgres.store import PostgresStore
    except ImportError as exc:
        raise ConfigError(
            f"store.url names a PostgreSQL database, but {exc.name or 'psycopg'} is not installed; {INSTALL_HINT}"
        ) from exc
    return PostgresStore.open(settings, **kwargs)


__all__ = ["open_postgres_store"]
