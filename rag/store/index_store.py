"""`IndexStore`: the on-disk index (SQLite catalog + immutable FAISS/BM25 segments + manifest.json)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import RagError
from rag.store import manifest as mf
from rag.store import plans
from rag.store import rows as catalog_rows
from rag.store.catalog import Catalog, WritePlan
from rag.store.fsutil import remove_tree, tree_size
from rag.store.lock import IndexBusyError, WriteLock
from rag.store.params import StoreParams
from rag.store.records import ChunkText, StoredChunk, StoredDocument
from rag.store.segments import Segment, merge_segments, plan_merge, segment_name, segment_of_documents
from rag.store.snapshot import CatalogState, Snapshot
from rag.store.view import CATALOG_FILE, MANIFEST_FILE, SEGMENTS_DIR, CommittedView
from rag.types import DocumentInfo, Filters, IndexStats

log = logging.getLogger(__name__)

LOCK_TIMEOUT = 30.0  # seconds a writer waits for another process's commit before giving up


class IndexNotFoundError(RagError, FileNotFoundError):
    """No index exists at the given path and creating one was not asked for."""


class IndexStore:
    """Documents, chunks and their dense and lexical indexes in one folder.

    Any number of processes may open the same folder. Writers are serialised by a file lock and
    take segment names and chunk ids from the catalog inside it; readers call `refresh()` (once per
    request) to pick up commits made by other processes, reloading only the segments that changed.
    """

    def __init__(
        self,
        path: Path,
        catalog: Catalog,
        meta: dict[str, Any],
        params: StoreParams,
        lock: WriteLock,
        identity: dict[str, Any],
    ) -> None:
        self.path = path
        self._meta = meta  # shared with the view, which updates it on every commit it installs
        self.params = params
        self._lock = lock
        self._closed = False
        self._view = CommittedView(path, catalog, meta, params, identity)
        self._tidy_if_idle()

    # -- opening -------------------------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        return (Path(path) / CATALOG_FILE).is_file()

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        embedder_id: str,
        dimension: int,
        chunking: dict,
        create: bool = True,
        params: StoreParams | None = None,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> IndexStore:
        """Open the index at `path`, creating it when absent (unless `create` is false).

        `params` (HNSW, BM25, compaction) default to the ones stored with the index;
        `lock_timeout` is how long a write waits for another process's write to finish.
        """
        path = Path(path).expanduser()
        if not cls.exists(path):
            if not create:
                raise IndexNotFoundError(f"no index at {path}; build one with `rag index PATH...` first")
            path.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(path / CATALOG_FILE)
        lock = WriteLock(path, lock_timeout)
        try:
            meta = catalog.meta()
            wanted = mf.normalise(params.to_meta()) if params is not None else None
            if not meta or (wanted is not None and wanted != meta.get("params")):
                with lock.hold():  # first creation and parameter changes race other processes too
                    meta = catalog_rows.store_meta(catalog, embedder_id, dimension, chunking, params)
            mf.check_compatible(meta, path, embedder_id=embedder_id, dimension=dimension, chunking=chunking)
            store_params = StoreParams.from_meta(meta.get("params", {})).for_embedder(embedder_id)
            identity = {"embedder_id": embedder_id, "dimension": dimension, "chunking": chunking}
            return cls(path, catalog, meta, store_params, lock, identity)
        except BaseException:
            catalog.close()
            raise

    # -- following other processes' commits ----------------------------------------------

    def refresh(self) -> bool:
        """Pick up commits made since the last call (by any process); True when something changed.

        Costs a stat and one indexed SQLite lookup when nothing changed, so callers may run it per
        request. An index folder replaced by `rag index --rebuild` is opened afresh.
        """
        return False if self._closed else self._view.refresh()

    @property
    def _catalog(self) -> Catalog:
        return self._view.catalog

    @property
    def _snapshot(self) -> Snapshot:
        """The segments as of the latest commit seen; take it once per call (see `rag.store.snapshot`)."""
        return self._view.snapshot

    def _tidy_if_idle(self) -> None:
        """Clean what a crashed writer left and rewrite the manifest, unless a writer is busy now."""
        try:
            with self._lock.hold(timeout=0):
                self._view.remove_orphans()
                self._view.write_manifest()
        except IndexBusyError:
            pass  # the writer that holds the lock writes the manifest when it commits

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.path / MANIFEST_FILE).read_text(encoding="utf-8"))

    # -- reads ---------------------------------------------------------------------------

    def document_hash(self, doc_id: str) -> str | None:
        return self._catalog.one("SELECT content_hash FROM documents WHERE doc_id = ?", doc_id)

    def doc_id_for_hash(self, content_hash: str) -> str | None:
        return self._catalog.one(
            "SELECT doc_id FROM documents WHERE content_hash = ? ORDER BY doc_id LIMIT 1", content_hash
        )

    def known_documents(self, doc_ids: Sequence[str], content_hashes: Sequence[str]) -> tuple[dict, dict]:
        return self._catalog.known_documents(doc_ids, content_hashes)

    def dense_search(
        self, query_vectors: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k) (a 1-D vector counts as one query); id -1 pads."""
        return self._snapshot.dense_search(query_vectors, k, allowed)

    def lexical_search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), 1-D, at most k, best first; only chunks sharing a term with the query."""
        return self._snapshot.lexical_search(query, k, allowed)

    def term_idf(self, words: list[str]) -> dict[str, float]:
        """BM25 IDF of analysed terms (see `rag.text.analyze.terms`) over the live chunks."""
        return self._snapshot.term_idf(words)

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks in the order of `ids`; ids deleted meanwhile by a concurrent write are left out."""
        return self._snapshot.chunks.get_many(ids, self._read_chunks)

    def chunk_texts(self, ids: Sequence[int]) -> list[ChunkText]:
        """`chunks(ids)` cut to id, document and text, read without the join and the stored facts."""
        return self._snapshot.texts.get_many(ids, self._read_texts)

    def _read_texts(self, ids: list[int]) -> list[ChunkText]:
        rows = self._catalog.chunk_texts(ids)
        return [ChunkText(*rows[i]) for i in ids if i in rows]

    def _read_chunks(self, ids: list[int]) -> list[StoredChunk]:
        rows = self._catalog.chunk_rows(ids)
        chunks = [catalog_rows.stored_chunk(rows[i]) for i in ids if i in rows]
        catalog_rows.remember_facts(chunks)
        return chunks

    def allowed_ids(self, filters: Filters) -> np.ndarray | None:
        """Sorted chunk ids matching `filters`; None when there is nothing to filter on."""
        if filters is None or filters.is_empty():
            return None
        return self._catalog.allowed_ids(filters)

    def documents(self, offset: int = 0, limit: int = 50) -> list[DocumentInfo]:
        return self._catalog.documents(max(offset, 0), max(limit, 0))

    def stats(self) -> IndexStats:
        documents, chunks = self._catalog.counts()
        return IndexStats(
            documents=documents,
            chunks=chunks,
            embedder=self._meta["embedder_id"],
            dimension=self._meta["dimension"],
            segments=len(self._snapshot.segments),
            bytes_on_disk=tree_size(self.path),
        )

    # -- writes --------------------------------------------------------------------------

    def write(self, docs: list[StoredDocument], delete: Sequence[str] = ()) -> None:
        """One atomic commit: replaces documents with the same id and deletes `delete`."""
        self._apply(docs, delete)

    def delete(self, doc_ids: list[str]) -> int:
        """Delete documents by id; returns how many existed."""
        return self._apply([], doc_ids)

    def _apply(self, docs: list[StoredDocument], delete: Sequence[str]) -> int:
        catalog_rows.validate(docs, self._meta["dimension"])
        with self._writing():
            old = self._catalog.hashes_of(sorted({d.doc_id for d in docs} | set(delete)))
            gone = self._catalog.chunk_ids_of(list(old))
            plan = plans.write_plan(self._meta, old, gone, docs)
            first_id, seq = int(self._meta["next_id"]), int(self._meta["next_segment"])
            # Files last before the commit: nothing that can fail sits between them and the commit.
            segment = segment_of_documents(
                self.path / SEGMENTS_DIR, segment_name(seq), docs, first_id, self._meta["dimension"], self.params
            )
            if segment is not None:
                plan.new_segments.append(catalog_rows.segment_row(segment))
            self._commit(plan, segment, dropped=())
            self._maybe_compact()
            return len(old.keys() & set(delete))

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the write lock with this process's view brought up to the latest commit."""
        self._check_open()
        with self._lock.hold():
            self._check_open()
            if self._catalog.replaced():
                self._view.reopen()
            self._view.reload()  # next_id, next_segment and the fingerprint as the last writer left them
            self._view.remove_orphans()
            yield

    def _commit(self, plan: WritePlan, segment: Segment | None, dropped: Sequence[str]) -> None:
        """Commit the catalog, then swap in the new snapshot; on failure remove the new segment.

        Called with the write lock held, so the new segment's name is ours alone: removing it on
        failure can never touch another writer's files.
        """
        try:
            generation = self._catalog.commit(plan)
        except BaseException:
            if segment is not None:
                remove_tree(self.path / SEGMENTS_DIR / segment.name)
            raise
        old = self._snapshot
        segments = [s.segment for s in old.segments if s.segment.name not in dropped]
        if segment is not None:
            segments.append(segment)
        deleted = np.setdiff1d(np.union1d(old.deleted, plan.deleted_ids), plan.forget_deleted)
        self._view.install(CatalogState(generation, plan.meta, segments, deleted))
        for name in dropped:  # readers of the old snapshot keep the loaded objects, not the files
            remove_tree(self.path / SEGMENTS_DIR / name)
        self._view.write_manifest()

    # -- compaction ----------------------------------------------------------------------

    def compact(self, names: Sequence[str] | None = None) -> None:
        """Merge the named segments (all by default) into one, dropping deleted rows; atomic."""
        with self._writing():
            live = self._snapshot.by_name()
            chosen = [live[n] for n in (names if names is not None else live) if n in live]
            if not chosen or (len(chosen) == 1 and not len(chosen[0].deleted) and names is None):
                return
            seq = int(self._meta["next_segment"])
            parts = [(s.segment, s.deleted) for s in chosen]
            merged = merge_segments(
                self.path / SEGMENTS_DIR, segment_name(seq), parts, self._meta["dimension"], self.params
            )
            plan = plans.merge_plan([(s.segment.name, s.deleted.ids) for s in chosen], merged, seq)
            self._commit(plan, merged, dropped=plan.drop_segments)

    def _maybe_compact(self) -> None:
        live = {s.segment.name: (s.segment.rows, len(s.deleted)) for s in self._snapshot.segments}
        names = plan_merge(live, self.params)
        if not names:
            return
        try:
            self.compact(names)
        except Exception:  # the write itself is committed; a failed merge leaves a valid index
            log.warning("merging segments %s failed; the index stays as it is", names, exc_info=True)

    # -- housekeeping --------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RagError(f"the index at {self.path} is closed; open it again with IndexStore.open")

    def close(self) -> None:
        with self._lock.in_process():  # let a write in progress in another thread finish first
            self._closed = True
            self._catalog.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
