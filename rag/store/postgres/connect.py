"""Connections to PostgreSQL: one pool per store, and database failures turned into errors a user can act on."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from rag.config import StoreSettings
from rag.errors import ConfigError, StoreUnavailableError

log = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")
PGVECTOR_HELP = (
    "run `CREATE EXTENSION vector;` in that database as a user allowed to (managed services: enable the "
    "'vector' extension in the console; your own server: install pgvector, e.g. the Debian package "
    "postgresql-NN-pgvector, then create the extension)"
)


def describe(url: str) -> str:
    """`host:port/dbname` of a connection URL, without user or password (safe for logs and replies)."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable URL>"
    return f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def check_url(url: str) -> None:
    if not url.startswith(SCHEMES):
        raise ConfigError(
            f"store.url must be a postgresql://user:password@host:port/dbname URL (or empty for the "
            f"index folder); got one starting {url.split(':', 1)[0]!r} (RAG_STORE__URL)"
        )
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"store.url is not a valid PostgreSQL URL: {_first_line(exc)} (RAG_STORE__URL)") from exc


def connect_once(url: str, settings: StoreSettings) -> Connection:
    """One direct connection, so that a wrong host, password or database name gets the server's own words."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=_seconds(settings.connect_timeout))
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(
            f"cannot connect to PostgreSQL at {describe(url)}: {_first_line(exc)}; check store.url "
            "(RAG_STORE__URL) and that the server is running"
        ) from exc


def ensure_pgvector(conn: Connection, url: str) -> None:
    """Create the `vector` extension when missing; say how to add it when this user may not."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
        return
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.UniqueViolation:  # another process created it at the same moment
        return
    except (
        psycopg.errors.InsufficientPrivilege,
        psycopg.errors.FeatureNotSupported,
        psycopg.errors.UndefinedFile,
        psycopg.errors.UndefinedObject,
    ) as exc:
        raise ConfigError(
            f"the database at {describe(url)} has no pgvector extension and this user cannot add it "
            f"({_first_line(exc)}); {PGVECTOR_HELP}"
        ) from exc


def open_pool(url: str, settings: StoreSettings) -> ConnectionPool:
    """A pool of autocommit connections with rag's pgvector settings (the store retries a read once when the
    server closed its connection, so a restart of the server costs no request)."""

    def configure(conn: Connection) -> None:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        conn.execute(f"SET hnsw.ef_search = {int(settings.ef_search)}")
        try:  # pgvector >= 0.8: a filtered HNSW scan keeps walking the graph until it has enough rows
            conn.execute("SET hnsw.iterative_scan = strict_order")
        except psycopg.DatabaseError:
            log.warning("pgvector before 0.8: filtered HNSW searches may return fewer than k hits")

    pool = ConnectionPool(
        url,
        min_size=settings.pool_min,
        max_size=max(settings.pool_max, settings.pool_min, 1),
        timeout=settings.connect_timeout,
        open=False,
        configure=configure,
        kwargs={"autocommit": True, "connect_timeout": _seconds(settings.connect_timeout)},
        name=f"rag-{settings.name}",
    )
    pool.open(wait=False)
    return pool


@contextmanager
def unavailable_as_error(url: str) -> Iterator[None]:
    """Turn a lost server or an exhausted pool into StoreUnavailableError (HTTP 503); nothing is half-written."""
    try:
        yield
    except PoolTimeout as exc:
        raise StoreUnavailableError(
            f"no PostgreSQL connection to {describe(url)} became free or could be opened in time ({exc}); "
            "the database may be down or overloaded; retry shortly"
        ) from exc
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(
            f"lost the connection to PostgreSQL at {describe(url)} ({_first_line(exc)}); a write in flight is "
            "committed whole or not at all; retry when the database is back"
        ) from exc


def _seconds(timeout: float) -> int:
    return max(1, math.ceil(timeout))  # libpq takes whole seconds


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
