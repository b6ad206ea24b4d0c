"""The PostgreSQL layout of one index: a schema `rag_<name>` with its tables, created on first use.

One schema per index lets several indexes (each with its own vector dimension) share a database,
and lets `--rebuild` build a new index beside the live one and swap it in by renaming schemas.
"""

from __future__ import annotations

import re
from typing import Any

from psycopg import Connection, sql
from psycopg.types.json import Jsonb

from rag.errors import ConfigError, IndexMismatchError

# Bump when the tables change; an index of another layout is refused with a rebuild hint.
LAYOUT_VERSION = 1
SCHEMA_PREFIX = "rag_"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def schema_name(index_name: str) -> str:
    if not NAME_PATTERN.match(index_name):
        raise ConfigError(f"index name {index_name!r} is not usable in PostgreSQL; use 1-40 lower-case letters, "
                          "digits or underscores, starting with a letter (RAG_STORE__NAME)")
    return SCHEMA_PREFIX + index_name


def _tables(dimension: int, hnsw: dict[str, int] | None) -> list[str]:
    """DDL of one index, `{s}` standing for its schema. Postings carry the chunk's length (dl) so
    that BM25 is scored from the postings index alone, without a join to the chunk table."""
    statements = [
        "CREATE TABLE {s}.meta (key text PRIMARY KEY, value jsonb NOT NULL)",
        # One row; writers lock it first, so writes to one index are serialised and ids never clash.
        """CREATE TABLE {s}.state (one boolean PRIMARY KEY DEFAULT true CHECK (one),
             version bigint NOT NULL DEFAULT 0, next_id bigint NOT NULL DEFAULT 0,
             chunks bigint NOT NULL DEFAULT 0, total_terms bigint NOT NULL DEFAULT 0,
             fingerprint text NOT NULL, updated timestamptz NOT NULL DEFAULT now())""",
        """CREATE TABLE {s}.documents (doc_id text PRIMARY KEY, content_hash text NOT NULL, title text,
             source text, url text, date text, metadata jsonb NOT NULL DEFAULT '{{}}', chars integer NOT NULL,
             chunks integer NOT NULL, added timestamptz NOT NULL DEFAULT now())""",
        "CREATE INDEX ON {s}.documents (content_hash)",
        "CREATE INDEX ON {s}.documents (source)",
        "CREATE INDEX ON {s}.documents (date)",
        f"""CREATE TABLE {{s}}.chunks (id bigint PRIMARY KEY, doc_id text NOT NULL, ordinal integer NOT NULL,
             text text NOT NULL, start_char integer NOT NULL, end_char integer NOT NULL, n_tokens integer NOT NULL,
             embedding vector({int(dimension)}) NOT NULL)""",
        # Vectors inline: a TOASTed vector is fetched and decompressed per row (7x slower exact scans).
        "ALTER TABLE {s}.chunks ALTER COLUMN embedding SET STORAGE PLAIN",
        "CREATE INDEX ON {s}.chunks (doc_id)",
        "CREATE TABLE {s}.postings (term bigint NOT NULL, chunk bigint NOT NULL, tf smallint NOT NULL, "
        "dl integer NOT NULL, PRIMARY KEY (term, chunk) INCLUDE (tf, dl))",
        "CREATE INDEX ON {s}.postings (chunk)",
        "CREATE TABLE {s}.terms (term bigint PRIMARY KEY, df integer NOT NULL)",
    ]
    if hnsw is not None:
        statements.append(
            f"CREATE INDEX chunks_embedding_hnsw ON {{s}}.chunks USING hnsw (embedding vector_ip_ops) "
            f"WITH (m = {int(hnsw['m'])}, ef_construction = {int(hnsw['ef_construction'])})")
    return statements


def exists(conn: Connection, schema: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (f"{schema}.state",)).fetchone()
    return row is not None and row[0] is not None


def create(conn: Connection, schema: str, meta: dict[str, Any], hnsw: dict[str, int] | None) -> None:
    """Create the schema, its tables and the manifest in one transaction (the caller's)."""
    ident = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
    for statement in _tables(int(meta["dimension"]), hnsw):
        conn.execute(sql.SQL(statement).format(s=ident))
    conn.execute(sql.SQL("INSERT INTO {}.state (fingerprint) VALUES (%s)").format(ident), (meta["fingerprint"],))
    write_meta(conn, schema, meta)


def write_meta(conn: Connection, schema: str, meta: dict[str, Any]) -> None:
    query = sql.SQL("INSERT INTO {}.meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value").format(sql.Identifier(schema))
    for key, value in meta.items():
        conn.execute(query, (key, Jsonb(value)))


def read_meta(conn: Connection, schema: str) -> dict[str, Any]:
    rows = conn.execute(sql.SQL("SELECT key, value FROM {}.meta").format(sql.Identifier(schema))).fetchall()
    meta: dict[str, Any] = dict(rows)
    if meta.get("layout_version") != LAYOUT_VERSION:
        raise IndexMismatchError(
            f"the PostgreSQL index in schema {schema} has table layout {meta.get('layout_version')!r}, this rag "
            f"reads layout {LAYOUT_VERSION}; rebuild it with `rag index --rebuild PATH...`")
    return meta


def drop(conn: Connection, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def swap(conn: Connection, new: str, live: str) -> None:
    """Replace schema `live` by `new` (one transaction: readers see the old index or the new one)."""
    drop(conn, live)
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(new), sql.Identifier(live)))
