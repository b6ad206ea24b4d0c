"""Mismatched, corrupt and interrupted indexes: clear errors, and the previous index stays intact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexMismatchError
from rag.store import IndexStore
from rag.store import catalog as catalog_module
from rag.store import segments as segments_module

from .conftest import CHUNKING, DIM, make_doc, open_store


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"embedder_id": "other-model"}, "embedder 'test-embedder', but 'other-model'"),
        ({"dimension": 32}, "dimension 16, but 32"),
        ({"chunking": {**CHUNKING, "size": 512}}, "chunking size 256, but 512"),
    ],
)
def test_mismatch_names_both_values_and_how_to_rebuild(tmp_path: Path, kwargs, expected):
    open_store(tmp_path / "idx").close()
    args = {"embedder_id": "test-embedder", "dimension": DIM, "chunking": CHUNKING, **kwargs}
    with pytest.raises(IndexMismatchError) as info:
        IndexStore.open(tmp_path / "idx", **args)
    assert expected in str(info.value)
    assert "rag index --rebuild" in str(info.value) and "--index-dir" in str(info.value)


def test_corrupt_catalog_names_the_path(tmp_path: Path):
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "catalog.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(IndexCorruptError, match="catalog.sqlite"):
        open_store(folder)


def test_corrupt_segment_file_names_the_path(tmp_path: Path):
    with open_store(tmp_path / "idx") as store:
        store.write([make_doc("a", ["some text"])])
        name = store.manifest["segments"][0]["name"]
    (tmp_path / "idx" / "segments" / name / "dense.faiss").write_bytes(b"broken")
    with pytest.raises(IndexCorruptError, match="dense.faiss"):
        open_store(tmp_path / "idx")


def _snapshot_of(store: IndexStore, query: np.ndarray):
    return (store.stats().chunks, store.dense_search(query, 3)[1].tolist(),
            store.lexical_search("apple banana", 5)[1].tolist(), sorted(p.name for p in (store.path / "segments").iterdir()))


@pytest.mark.parametrize("where", ["files", "transaction"])
def test_failed_write_leaves_the_previous_index(tmp_path: Path, monkeypatch, where):
    store = open_store(tmp_path / "idx")
    first = make_doc("a", ["apple banana cherry", "more apple"], seed=1)
    store.write([first])
    before = _snapshot_of(store, first.vectors[0])

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    if where == "files":  # after every file of the segment is written, before the rename
        monkeypatch.setattr(segments_module, "fsync_dir", boom)
    else:  # inside the catalog transaction, after all inserts
        monkeypatch.setattr(catalog_module, "_fail_point", boom)
    with pytest.raises(OSError, match="simulated"):
        store.write([make_doc("a", ["replaced text"], seed=5), make_doc("b", ["banana split"], seed=2)])
    monkeypatch.undo()

    assert _snapshot_of(store, first.vectors[0]) == before
    assert store.document_hash("a") == first.content_hash and store.document_hash("b") is None
    store.close()
    reopened = open_store(tmp_path / "idx")
    assert _snapshot_of(reopened, first.vectors[0]) == before
    reopened.write([make_doc("b", ["banana split"], seed=2)])  # the index still takes writes
    assert reopened.stats().documents == 2
    reopened.close()


def test_orphan_segment_folders_are_removed_on_open(tmp_path: Path):
    open_store(tmp_path / "idx").close()
    orphan = tmp_path / "idx" / "segments" / "seg-999999"
    orphan.mkdir(parents=True)
    (orphan / "dense.faiss").write_bytes(b"left by a crash")
    open_store(tmp_path / "idx").close()
    assert not orphan.exists()


def test_closed_store_refuses_writes(tmp_path: Path):
    store = open_store(tmp_path / "idx")
    store.close()
    with pytest.raises(Exception, match="closed"):
        store.write([make_doc("a", ["text"])])
