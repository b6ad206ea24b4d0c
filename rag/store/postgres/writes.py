"""The one write path of the PostgreSQL store: removals, documents, chunks, postings and statistics in one
transaction, opened by locking the index's state row so that writers of one index queue up."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from psycopg import Connection, sql

from rag.config import StoreSettings
from rag.store import manifest as mf
from rag.store.dense import HNSWParams, is_hashing_embedder
from rag.store.lexical import _postings
from rag.store.params import StoreParams
from rag.store.postgres import schema as pg_schema
from rag.store.postgres.schema import LAYOUT_VERSION
from rag.store.records import StoredDocument
from rag.store.rows import document_rows
from rag.store.rows import initial_meta as folder_meta
from rag.store.terms import analyse_terms

log = logging.getLogger(__name__)

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_COPY_TRAILER = b"\xff\xff"
# One binary COPY tuple of the postings table: field count, then (length, value) per column.
_POSTING = np.dtype(
    [
        ("n", ">i2"),
        ("l_term", ">i4"),
        ("term", ">i8"),
        ("l_chunk", ">i4"),
        ("chunk", ">i8"),
        ("l_tf", ">i4"),
        ("tf", ">i2"),
        ("l_dl", ">i4"),
        ("dl", ">i4"),
    ]
)
_COPY_BYTES = 8 << 20


def initial_meta(embedder_id: str, dimension: int, chunking: dict, settings: StoreSettings) -> dict[str, Any]:
    """The manifest of a new index: the folder store's fields plus the dense index PostgreSQL keeps."""
    meta = folder_meta(embedder_id, dimension, chunking, StoreParams())
    for key in ("next_id", "next_segment"):  # kept in the state row, under the write lock
        meta.pop(key)
    dense = settings.dense_index
    if dense == "auto":  # as the folder store: graph search fails on the hashing embedder's vectors
        dense = "flat" if is_hashing_embedder(embedder_id) else "hnsw"
    hnsw = HNSWParams()
    return {
        **meta,
        "layout_version": LAYOUT_VERSION,
        "dense_index": dense,
        "hnsw": {"m": hnsw.m, "ef_construction": hnsw.ef_construction},
    }


def apply(conn: Connection, schema: str, docs: list[StoredDocument], delete: Sequence[str]) -> int:
    """Replace `docs` (by id) and delete `delete` inside the caller's transaction; how many of `delete` existed."""
    s = sql.Identifier(schema)
    state = conn.execute(sql.SQL("SELECT next_id, fingerprint FROM {}.state FOR UPDATE").format(s)).fetchone()
    assert state is not None, "the state row is created with the schema"
    next_id, fingerprint = state
    names = sorted({d.doc_id for d in docs} | set(delete))
    old: dict[str, str] = dict(
        conn.execute(
            sql.SQL("SELECT doc_id, content_hash FROM {}.documents WHERE doc_id = ANY(%s)").format(s), (names,)
        ).fetchall()
    )
    removed_chunks, removed_terms = _remove(conn, s, sorted(old))
    fingerprint = mf.fingerprint_after(fingerprint, old, [(d.doc_id, d.content_hash) for d in docs])
    if docs:
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {}.documents (doc_id, content_hash, title, source, url, date, "
                    "metadata, chars, chunks, added) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(s),
                [tuple(map(_no_nul, row)) for row in document_rows(docs)],
            )
    added_chunks, added_terms = _insert_chunks(conn, s, docs, int(next_id))
    conn.execute(
        sql.SQL(
            "UPDATE {}.state SET version = version + 1, next_id = %s, chunks = chunks + %s, "
            "total_terms = total_terms + %s, fingerprint = %s, updated = now()"
        ).format(s),
        (int(next_id) + added_chunks, added_chunks - removed_chunks, added_terms - removed_terms, fingerprint),
    )
    return len(old.keys() & set(delete))


def _remove(conn: Connection, s: sql.Identifier, doc_ids: list[str]) -> tuple[int, int]:
    """Delete documents with their chunks and postings; (chunks removed, term occurrences removed)."""
    if not doc_ids:
        return 0, 0
    gone = [
        r[0]
        for r in conn.execute(
            sql.SQL("SELECT id FROM {}.chunks WHERE doc_id = ANY(%s)").format(s), (doc_ids,)
        ).fetchall()
    ]
    occurrences = 0
    if gone:
        counts = conn.execute(
            sql.SQL(
                "WITH d AS (DELETE FROM {}.postings WHERE chunk = ANY(%s::bigint[]) RETURNING term, tf) "
                "SELECT term, count(*), sum(tf) FROM d GROUP BY term ORDER BY term"
            ).format(s),
            (gone,),
        ).fetchall()
        terms = [r[0] for r in counts]
        occurrences = int(sum(r[2] for r in counts))
        conn.execute(
            sql.SQL(
                "UPDATE {s}.terms t SET df = t.df - x.n FROM unnest(%s::bigint[], %s::int[]) "
                "AS x(term, n) WHERE t.term = x.term"
            ).format(s=s),
            (terms, [r[1] for r in counts]),
        )
        conn.execute(sql.SQL("DELETE FROM {}.terms WHERE term = ANY(%s::bigint[]) AND df <= 0").format(s), (terms,))
        conn.execute(sql.SQL("DELETE FROM {}.chunks WHERE id = ANY(%s::bigint[])").format(s), (gone,))
    conn.execute(sql.SQL("DELETE FROM {}.documents WHERE doc_id = ANY(%s)").format(s), (doc_ids,))
    return len(gone), occurrences


def _insert_chunks(conn: Connection, s: sql.Identifier, docs: list[StoredDocument], first_id: int) -> tuple[int, int]:
    """COPY the chunks (binary, vectors included) and their postings; (chunks added, term occurrences added)."""
    with_chunks = [d for d in docs if d.chunks]
    if not with_chunks:
        return 0, 0
    texts = [c.text for d in with_chunks for c in d.chunks]
    if all(d.chunk_terms is not None for d in with_chunks):
        chunk_terms = [t for d in with_chunks for t in d.chunk_terms]  # type: ignore[union-attr]
    else:
        chunk_terms = analyse_terms(texts)
    ids = np.arange(first_id, first_id + len(texts), dtype=np.int64)
    copy_chunks = sql.SQL(
        "COPY {}.chunks (id, doc_id, ordinal, text, start_char, end_char, n_tokens, embedding) "
        "FROM STDIN WITH (FORMAT BINARY)"
    ).format(s)
    with conn.cursor() as cur, cur.copy(copy_chunks) as copy:
        copy.set_types(["int8", "text", "int4", "text", "int4", "int4", "int4", "vector"])
        row = 0
        for doc in with_chunks:
            vectors = np.asarray(doc.vectors, dtype=np.float32)
            for chunk, vector in zip(doc.chunks, vectors):
                copy.write_row(
                    (
                        int(ids[row]),
                        doc.doc_id,
                        chunk.ordinal,
                        _no_nul(chunk.text),
                        chunk.start,
                        chunk.end,
                        chunk.n_tokens,
                        vector,
                    )
                )
                row += 1
    rows, cols, tf, vocab, lengths = _postings(chunk_terms)
    terms = vocab.view(np.int64)[cols]
    _copy_postings(conn, s, terms, ids[rows], tf, lengths[rows])
    new_terms, df = np.unique(terms, return_counts=True)
    conn.execute(
        sql.SQL(
            "INSERT INTO {s}.terms (term, df) SELECT * FROM unnest(%s::bigint[], %s::int[]) "
            "ON CONFLICT (term) DO UPDATE SET df = {s}.terms.df + excluded.df"
        ).format(s=s),
        (new_terms.tolist(), df.tolist()),
    )
    return len(texts), int(lengths.sum())


def _no_nul(value: Any) -> Any:
    """PostgreSQL text and jsonb cannot hold NUL, which cleaning keeps; U+FFFD keeps offsets and lengths."""
    if isinstance(value, str) and ("\x00" in value or "\\u0000" in value):
        return value.replace("\x00", "\ufffd").replace("\\u0000", "\\ufffd")
    return value


def _copy_postings(
    conn: Connection, s: sql.Identifier, terms: np.ndarray, chunks: np.ndarray, tf: np.ndarray, dl: np.ndarray
) -> None:
    """Binary COPY built with numpy: millions of postings without a Python call per row."""
    table = np.empty(len(terms), dtype=_POSTING)
    table["n"], table["l_term"], table["l_chunk"], table["l_tf"], table["l_dl"] = 4, 8, 8, 2, 4
    table["term"], table["chunk"] = terms, chunks
    table["tf"] = np.minimum(tf, np.iinfo(np.int16).max)
    table["dl"] = dl
    data = table.tobytes()
    with (
        conn.cursor() as cur,
        cur.copy(sql.SQL("COPY {}.postings (term, chunk, tf, dl) FROM STDIN WITH (FORMAT BINARY)").format(s)) as copy,
    ):
        copy.write(_COPY_HEADER)
        for start in range(0, len(data), _COPY_BYTES):
            copy.write(data[start : start + _COPY_BYTES])
        copy.write(_COPY_TRAILER)


def open_or_create(
    conn: Connection, name: str, embedder_id: str, dimension: int, chunking: dict, settings: StoreSettings, create: bool
) -> tuple[dict[str, Any] | None, bool]:
    """The stored manifest, creating schema and tables first when absent (safe against a racing opener)."""
    if pg_schema.exists(conn, name):
        return pg_schema.read_meta(conn, name), False
    if not create:
        return None, False
    meta = initial_meta(embedder_id, dimension, chunking, settings)
    hnsw = meta["hnsw"] if meta["dense_index"] == "hnsw" else None
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))  # two replicas starting at once
        if pg_schema.exists(conn, name):
            return pg_schema.read_meta(conn, name), False
        pg_schema.create(conn, name, meta, hnsw)
    log.info("created PostgreSQL index %s (dense: %s)", name, meta["dense_index"])
    return meta, True
