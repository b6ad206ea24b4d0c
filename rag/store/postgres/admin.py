"""Whole-index operations: drop an index, rebuild one beside the live one and swap it in."""

from __future__ import annotations

from rag.config import StoreSettings
from rag.store.postgres import connect, schema


def rebuild_name(name: str) -> str:
    return f"{name}__rebuild"[:40]


def start_rebuild(settings: StoreSettings) -> StoreSettings:
    """Settings of an empty index beside `settings.name` (a leftover of an interrupted rebuild is dropped)."""
    connect.check_url(settings.url.get_secret_value().strip())
    staging = settings.model_copy(update={"name": rebuild_name(settings.name)})
    drop_index(staging)
    return staging


def finish_rebuild(settings: StoreSettings, live: str) -> None:
    """Swap the rebuilt index in for `live` in one transaction: searches see the old index or the new one."""
    url = settings.url.get_secret_value().strip()
    with connect.connect_once(url, settings) as conn, conn.transaction():
        schema.swap(conn, schema.schema_name(settings.name), schema.schema_name(live))


def drop_index(settings: StoreSettings) -> None:
    """Remove index `settings.name` with all its rows (no error when it does not exist)."""
    url = settings.url.get_secret_value().strip()
    with connect.connect_once(url, settings) as conn:
        schema.drop(conn, schema.schema_name(settings.name))
