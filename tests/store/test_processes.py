"""Several processes on one index: writers serialised by the file lock, readers following commits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.store import IndexStore
from rag.store.lock import IndexBusyError

from .conftest import make_doc, open_store

ROOT = Path(__file__).resolve().parents[2]


def _writer(index: Path, name: str, count: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.store.writer_child", str(index), name, str(count), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _zebras(store: IndexStore) -> list[int]:
    return store.lexical_search("zebra", 10_000)[1].tolist()


def test_a_second_store_sees_commits_and_deletes_after_refresh(tmp_path: Path):
    # Two IndexStore objects on one folder have separate connections and lock handles, like two processes.
    writer, reader = open_store(tmp_path / "idx"), open_store(tmp_path / "idx")
    writer.write([make_doc("a", ["zebra crossing"], seed=1), make_doc("b", ["zebra stripes"], seed=2)])
    assert _zebras(reader) == [] and reader.refresh()
    assert len(_zebras(reader)) == 2 and reader.stats().segments == 1
    assert not reader.refresh()  # nothing new: no reload
    writer.delete(["a"])
    reader.refresh()
    assert [c.doc_id for c in reader.chunks(_zebras(reader))] == ["b"]
    _, dense = reader.dense_search(make_doc("a", ["x"], seed=1).vectors[0], 5)
    assert writer.chunks(dense[dense >= 0])[0].doc_id == "b"  # the deleted vector is gone too
    # The reader now writes: its ids and segment name follow the writer's, not a stale counter.
    reader.write([make_doc("c", ["zebra herd"], seed=3)])
    writer.refresh()
    ids = _zebras(writer)
    assert len(ids) == len(set(ids)) == 2
    writer.close()
    reader.close()


def test_a_reader_follows_merges_made_by_another_writer(tmp_path: Path):
    writer, reader = open_store(tmp_path / "idx"), open_store(tmp_path / "idx")
    for i in range(12):  # enough one-document commits for several automatic merges
        writer.write([make_doc(f"d{i}", [f"zebra number {i}"], seed=i)])
        if i % 3 == 0:
            writer.delete([f"d{i}"])
        reader.refresh()
        assert sorted(c.doc_id for c in reader.chunks(_zebras(reader))) == \
            sorted(c.doc_id for c in writer.chunks(_zebras(writer)))
    assert {s.segment.name for s in reader._snapshot.segments} == {s.segment.name for s in writer._snapshot.segments}
    assert len(reader._snapshot.segments) < 12  # merged, and the reader loaded the merged segments
    # Segments merged away were deleted from disk; the reader never needed them again.
    assert {p.name for p in (tmp_path / "idx" / "segments").iterdir()} == {s.segment.name for s in reader._snapshot.segments}
    writer.close()
    reader.close()


def test_a_writer_waits_then_fails_clearly_while_another_holds_the_lock(tmp_path: Path):
    holder, other = open_store(tmp_path / "idx"), open_store(tmp_path / "idx", lock_timeout=0.2)
    with holder._lock.hold():
        with pytest.raises(IndexBusyError, match="another process is writing the index .*retry"):
            other.write([make_doc("a", ["zebra"])])
    other.write([make_doc("a", ["zebra"])])  # free again
    assert other.stats().documents == 1
    holder.close()
    other.close()


@pytest.mark.slow
def test_four_writer_processes_lose_nothing(tmp_path: Path):
    index = tmp_path / "idx"
    reader = open_store(index)
    writers = [_writer(index, name, 8) for name in "abcd"]
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    reader.refresh()
    ids = _zebras(reader)
    assert len(ids) == len(set(ids)) == 32
    assert sorted(c.doc_id for c in reader.chunks(ids)) == sorted(f"{n}-{i}" for n in "abcd" for i in range(8))
    assert reader.stats().documents == 32
    reader.close()


@pytest.mark.slow
def test_kill_9_of_a_writer_holding_the_lock(tmp_path: Path):
    index = tmp_path / "idx"
    with open_store(index) as store:
        store.write([make_doc("base", ["zebra base document"], seed=9)])
    proc = _writer(index, "dying", 1, "hang")
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        blocked = open_store(index, lock_timeout=0.3)
        with pytest.raises(IndexBusyError):
            blocked.write([make_doc("late", ["zebra"])])
        blocked.close()
        published = sorted(p.name for p in (index / "segments").iterdir())
        assert len(published) == 2  # the dying writer's segment is on disk, not committed
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    store = open_store(index, lock_timeout=5)  # opening while idle also tidies; the write below must too
    assert [c.doc_id for c in store.chunks(_zebras(store))] == ["base"]
    store.write([make_doc("next", ["zebra next document"], seed=10)])
    assert sorted(c.doc_id for c in store.chunks(_zebras(store))) == ["base", "next"]
    listed = {s.segment.name for s in store._snapshot.segments}
    assert {p.name for p in (index / "segments").iterdir()} == listed  # the dead writer's folder is gone
    assert np.all(store.dense_search(make_doc("x", ["y"], seed=10).vectors[0], 2)[1] >= 0)
    store.close()
