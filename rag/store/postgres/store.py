"""`PostgresStore`: the index in PostgreSQL + pgvector, shared by every process that opens the same URL.

Nothing is cached between calls except the manifest, which never changes for an open index: every
search reads the committed state, so replicas see each other's writes at once. Each write is one
transaction that first locks the index's state row (writers queue; readers never wait).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import psycopg
from psycopg import Connection, sql

from rag.config import StoreSettings
from rag.errors import IndexMismatchError, RagError
from rag.store import manifest as mf
from rag.store.params import StoreParams
from rag.store.postgres import connect, queries, schema, writes
from rag.store.postgres.queries import ChunkFilter
from rag.store.records import ChunkText, StoredChunk, StoredDocument
from rag.store.rows import stored_chunk, validate
from rag.store.terms import query_hashes, term_hashes
from rag.types import DocumentInfo, Filters, IndexStats

T = TypeVar("T")


class PostgresStore:
    """One named index in a PostgreSQL database (tables in schema `rag_<name>`)."""

    def __init__(
        self, url: str, settings: StoreSettings, schema_name: str, meta: dict[str, Any], pool: Any, created: bool
    ) -> None:
        self._url = url
        self.settings = settings
        self.schema = schema_name
        self._meta = meta
        self._pool = pool
        self.created = created  # this open made the index (RAG.open seeds a fresh one)
        self.params = StoreParams.from_meta(meta.get("params", {})).for_embedder(meta["embedder_id"])
        self._closed = False

    @property
    def location(self) -> str:
        return f"postgresql://{connect.describe(self._url)} index {self.settings.name!r}"

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings: StoreSettings,
        *,
        embedder_id: str,
        dimension: int,
        chunking: dict,
        create: bool = True,
        index_name: str | None = None,
    ) -> PostgresStore:
        """Open (or, unless `create` is false, create) index `index_name` (default settings.name)."""
        from rag.store.index_store import IndexNotFoundError

        url = settings.url.get_secret_value().strip()
        connect.check_url(url)
        settings = settings.model_copy(update={"name": index_name}) if index_name else settings
        name = schema.schema_name(settings.name)
        with connect.connect_once(url, settings) as conn:
            connect.ensure_pgvector(conn, url)
            meta, created = writes.open_or_create(conn, name, embedder_id, dimension, chunking, settings, create)
            if meta is None:
                raise IndexNotFoundError(
                    f"no index {settings.name!r} in PostgreSQL at {connect.describe(url)}; "
                    "build one with `rag index PATH...` first"
                )
        where = f"postgresql://{connect.describe(url)} index {settings.name!r}"
        try:
            mf.check_compatible(
                meta,
                where,  # type: ignore[arg-type]  # a URL, not a Path: the message only shows it
                embedder_id=embedder_id,
                dimension=dimension,
                chunking=chunking,
            )
        except IndexMismatchError as exc:  # the folder store's hint names --index-dir; here it is the name
            raise IndexMismatchError(str(exc).replace("use --index-dir", "set RAG_STORE__NAME")) from None
        return cls(url, settings, name, meta, connect.open_pool(url, settings), created)

    @property
    def manifest(self) -> dict[str, Any]:
        documents, chunks = self._counts()
        rendered = mf.render(self._meta, documents=documents, chunks=chunks, deleted=0, segments=[])
        rendered["dense"] = {
            "metric": "inner_product",
            "index": self._meta.get("dense_index"),
            "hnsw": self._meta.get("hnsw"),
        }
        rendered["store"] = {"kind": "postgresql", "schema": self.schema, "version": self.version()}
        return rendered

    # -- reads ---------------------------------------------------------------------------

    def _read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` on a pooled connection; a connection the server closed (a restart) costs one retry.

        Reads are idempotent, so retrying is safe; checking every connection before use instead
        would cost a round trip per query (four per search).
        """
        self._check_open()
        with connect.unavailable_as_error(self._url):
            try:
                with self._pool.connection() as conn:
                    return work(conn)
            except psycopg.OperationalError:
                self._pool.check()  # drop the idle connections the server closed too
                with self._pool.connection() as conn:
                    return work(conn)

    def _run(self, query: sql.SQL | sql.Composed | str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        return self._read(lambda conn: conn.execute(query, params).fetchall())

    def _one(self, query: sql.SQL | sql.Composed | str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        rows = self._run(query, params)
        return rows[0][0] if rows else None

    def _sql(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(s=sql.Identifier(self.schema))

    def version(self) -> int:
        """Bumped by every committed write: what a cache in front of this store must compare."""
        return int(self._one(self._sql("SELECT version FROM {s}.state")))

    def refresh(self) -> bool:
        """Nothing to do (False: nothing to reload): every read already sees the latest committed writes."""
        return False

    def document_hash(self, doc_id: str) -> str | None:
        return self._one(self._sql("SELECT content_hash FROM {s}.documents WHERE doc_id = %s"), (doc_id,))

    def doc_id_for_hash(self, content_hash: str) -> str | None:
        return self._one(
            self._sql("SELECT doc_id FROM {s}.documents WHERE content_hash = %s ORDER BY doc_id LIMIT 1"),
            (content_hash,),
        )

    def known_documents(self, doc_ids: Sequence[str], content_hashes: Sequence[str]) -> tuple[dict, dict]:
        query = "SELECT doc_id, content_hash FROM {s}.documents WHERE doc_id = ANY(%s::text[])"
        hashes = dict(self._run(self._sql(query), (list(doc_ids),)))
        query = "SELECT content_hash, MIN(doc_id) FROM {s}.documents WHERE content_hash = ANY(%s::text[]) GROUP BY 1"
        return hashes, dict(self._run(self._sql(query), (list(content_hashes),)))

    def dense_search(
        self, query_vectors: np.ndarray, k: int, allowed: ChunkFilter | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k), best first; id -1 / score -inf pad missing hits."""
        queries_2d = np.atleast_2d(np.asarray(query_vectors, dtype=np.float32))
        scores = np.full((len(queries_2d), max(k, 0)), -np.inf, dtype=np.float32)
        ids = np.full((len(queries_2d), max(k, 0)), -1, dtype=np.int64)
        if k <= 0:
            return scores, ids
        where, params = queries.restriction(allowed)
        query = queries.dense_query(self.schema, where)

        def search(conn: Connection) -> None:
            for row, vector in enumerate(queries_2d):
                hits = conn.execute(query, {**params, "vector": vector, "k": k}).fetchall()
                if hits:
                    ids[row, : len(hits)] = [h[0] for h in hits]
                    scores[row, : len(hits)] = [-h[1] for h in hits]

        self._read(search)
        return scores, ids

    def lexical_search(
        self, query: str, k: int, allowed: ChunkFilter | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Okapi BM25: (scores, ids), 1-D, at most k, best first; only chunks sharing a term with the query."""
        hashes, qtf = query_hashes(query)
        if k <= 0 or not len(hashes):
            return np.empty(0, dtype=np.float32), np.empty(0, dtype=np.int64)
        where, params = queries.restriction(allowed)
        rows = self._run(
            queries.lexical_query(self.schema, where, self.params.k1, self.params.b),
            {**params, "terms": hashes.view(np.int64).tolist(), "qtf": qtf.astype(float).tolist(), "k": k},
        )
        return (
            np.fromiter((r[1] for r in rows), dtype=np.float32, count=len(rows)),
            np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        )

    def term_idf(self, words: list[str]) -> dict[str, float]:
        """BM25 IDF of analysed terms over the live chunks (same formula as scoring)."""
        unique = list(dict.fromkeys(words))
        if not unique:
            return {}
        hashes = term_hashes(unique).view(np.int64)
        rows = self._run(queries.document_frequencies(self.schema), (hashes.tolist(),))
        n = float(rows[0][2]) if rows else 0.0
        if n == 0:
            return {}
        df = dict((r[0], float(r[1])) for r in rows)
        values = queries.idf(n, np.array([df[int(h)] for h in hashes]))
        return dict(zip(unique, values.tolist()))

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks in the order of `ids`; ids deleted meanwhile by a concurrent write are left out."""
        wanted = [int(i) for i in ids]
        if not wanted:
            return []
        rows = self._run(
            self._sql(
                "SELECT c.id, c.doc_id || '#' || c.ordinal, c.doc_id, c.text, c.start_char, c.end_char, c.ordinal, "
                "d.title, d.source, d.url, d.date, d.metadata FROM {s}.chunks c JOIN {s}.documents d USING (doc_id) "
                "WHERE c.id = ANY(%s::bigint[])"
            ),
            (wanted,),
        )
        by_id = {r[0]: r for r in rows}
        # No stored sentence facts here: answers compute them (and remember them per text).
        return [stored_chunk((*by_id[i], None)) for i in wanted if i in by_id]

    def chunk_texts(self, ids: Sequence[int]) -> list[ChunkText]:
        """`chunks(ids)` cut to id, document and text (no join with the documents)."""
        wanted = [int(i) for i in ids]
        if not wanted:
            return []
        rows = self._run(self._sql("SELECT id, doc_id, text FROM {s}.chunks WHERE id = ANY(%s::bigint[])"), (wanted,))
        by_id = {r[0]: r for r in rows}
        return [ChunkText(*by_id[i]) for i in wanted if i in by_id]

    def allowed_ids(self, filters: Filters) -> ChunkFilter | None:
        """The filters as SQL the searches apply themselves (not an id list); None when there are none."""
        if filters is None or filters.is_empty():
            return None
        condition, count_query, fetch, params = queries.filter_queries(self.schema, filters)
        count = self._one(count_query, params)
        return ChunkFilter(
            condition, params, int(count), lambda: np.array([r[0] for r in self._run(fetch, params)], dtype=np.int64)
        )

    def documents(self, offset: int = 0, limit: int = 50) -> list[DocumentInfo]:
        rows = self._run(
            self._sql(
                "SELECT doc_id, title, source, url, date, content_hash, chunks, chars FROM {s}.documents "
                "ORDER BY doc_id LIMIT %s OFFSET %s"
            ),
            (max(limit, 0), max(offset, 0)),
        )
        keys = ("doc_id", "title", "source", "url", "date", "content_hash", "chunks", "chars")
        return [DocumentInfo(**dict(zip(keys, row))) for row in rows]

    def _counts(self) -> tuple[int, int]:
        rows = self._run(self._sql("SELECT (SELECT count(*) FROM {s}.documents), chunks FROM {s}.state"))
        return int(rows[0][0]), int(rows[0][1])

    def stats(self) -> IndexStats:
        documents, chunks = self._counts()
        size = self._one(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            (self.schema,),
        )
        return IndexStats(
            documents=documents,
            chunks=chunks,
            embedder=self._meta["embedder_id"],
            dimension=self._meta["dimension"],
            segments=0,
            bytes_on_disk=int(size),
        )

    # -- writes --------------------------------------------------------------------------

    def write(self, docs: list[StoredDocument], delete: Sequence[str] = ()) -> None:
        """One transaction: replaces documents with the same id and deletes `delete`."""
        self._apply(docs, delete)

    def delete(self, doc_ids: list[str]) -> int:
        """Delete documents by id; returns how many existed."""
        return self._apply([], doc_ids)

    def _apply(self, docs: list[StoredDocument], delete: Sequence[str]) -> int:
        self._check_open()
        validate(docs, int(self._meta["dimension"]))
        with connect.unavailable_as_error(self._url):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return writes.apply(conn, self.schema, docs, delete)
            except psycopg.OperationalError:
                self._pool.check()  # not retried: a lost COMMIT may have landed; the caller decides
                raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RagError(f"the index {self.location} is closed; open it again with RAG.open")

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
