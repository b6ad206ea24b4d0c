"""One process's view of an index folder's last commit: the catalog connection and loaded segments.

Commits made by any process show up through `refresh()`, which reloads only the segments that
changed; a folder swapped in by `rag index --rebuild` is opened afresh. Readers take `snapshot`
once per call, so a commit installing a new one never changes what a search in flight sees.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.store import manifest as mf
from rag.store.catalog import Catalog
from rag.store.params import StoreParams
from rag.store.segments import Segment, remove_orphans
from rag.store.snapshot import CatalogState, Snapshot, load_state, make_snapshot

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite"
MANIFEST_FILE = "manifest.json"
SEGMENTS_DIR = "segments"


class CommittedView:
    """The catalog, the meta and the snapshot of segments as of the latest commit this process saw."""

    def __init__(
        self, path: Path, catalog: Catalog, meta: dict[str, Any], params: StoreParams, identity: dict[str, Any]
    ) -> None:
        self.path = path
        self.catalog = catalog
        self.meta = meta
        self.params = params
        self._identity = identity  # embedder_id, dimension, chunking: what a replaced index must match too
        self._reopening = threading.Lock()
        self._swap = threading.Lock()  # orders snapshot installs from refresh() and from commits
        self.generation = -1
        self.snapshot = self.snapshot_of((), np.empty(0, dtype=np.int64), None)
        self.reload()

    def refresh(self) -> bool:
        """Pick up commits made since the last call (by any process); True when something changed."""
        if self.catalog.replaced():
            self.reopen()
            return True
        if self.catalog.generation() == self.generation:
            return False
        self.reload()
        return True

    def reload(self) -> None:
        """Load the catalog's current state, reusing every segment already loaded."""
        state = load_state(
            self.catalog, self.path / SEGMENTS_DIR, self.params, self.snapshot.by_name(), self.generation
        )
        if state is not None:
            self.install(state)

    def reopen(self) -> None:
        """Switch to the catalog now at our path (the folder was swapped): nothing loaded is reused."""
        with self._reopening:
            if not self.catalog.replaced():
                return  # another thread switched first
            catalog = Catalog(self.path / CATALOG_FILE)
            try:
                state = load_state(catalog, self.path / SEGMENTS_DIR, self.params, {}, -1)
                assert state is not None
                mf.check_compatible(state.meta, self.path, **self._identity)
            except BaseException:
                catalog.close()
                raise
            log.warning("the index at %s was replaced (rebuilt); serving the new one", self.path)
            # The old catalog is left to the garbage collector: requests in flight may still read it.
            self.install(state, catalog=catalog)

    def install(self, state: CatalogState, catalog: Catalog | None = None) -> None:
        with self._swap:
            if catalog is None and state.generation <= self.generation:
                return  # a newer state went in meanwhile (this process's own commit)
            previous = None if catalog is not None else self.snapshot
            self.snapshot = self.snapshot_of(state.segments, state.deleted, previous)
            self.meta.update(state.meta)
            self.generation = state.generation
            if catalog is not None:
                self.catalog = catalog

    def snapshot_of(self, segments: Sequence[Segment], deleted: np.ndarray, previous: Snapshot | None) -> Snapshot:
        return make_snapshot(
            segments, deleted, dimension=self.meta["dimension"], k1=self.params.k1, b=self.params.b, previous=previous
        )

    # -- files that follow from the last commit ------------------------------------------

    def write_manifest(self) -> None:
        """Rewrite manifest.json for the snapshot in place (the catalog stays the source of truth)."""
        snapshot = self.snapshot
        documents, chunks = self.catalog.counts()
        segments = [(s.segment.name, s.segment.kind, s.segment.rows) for s in snapshot.segments]
        data = mf.render(
            self.meta, documents=documents, chunks=chunks, deleted=len(snapshot.deleted), segments=segments
        )
        try:
            mf.write_manifest(self.path / MANIFEST_FILE, data)
        except OSError as exc:  # the manifest is rewritten on the next open or commit
            log.warning("could not write %s: %s", self.path / MANIFEST_FILE, exc)

    def remove_orphans(self) -> None:
        """Delete segment folders no commit lists; call with the write lock held (nothing else makes them)."""
        root = self.path / SEGMENTS_DIR
        listed = {name for name, _kind, _rows in self.catalog.segments()}
        for orphan in remove_orphans(root, listed):
            log.warning("removed segment %s left by an interrupted write", root / orphan)
