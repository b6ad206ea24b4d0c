"""Segment kinds and the merge policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.store import StoreParams
from rag.store.segments import plan_merge

from .conftest import make_doc, open_store, unit


def test_large_segments_use_hnsw_and_still_hide_deleted_rows(tmp_path: Path):
    store = open_store(tmp_path / "idx", params=StoreParams(flat_max_rows=50))
    vectors = unit(60, seed=5)
    store.write([make_doc(f"d{i}", [f"text {i}" for _ in range(6)], vectors=vectors[6 * i: 6 * i + 6])
                 for i in range(10)])
    assert store.manifest["segments"][0]["kind"] == "hnsw"
    store.delete(["d3"])
    _, ids = store.dense_search(vectors[18:24], 10)
    assert not ({c.doc_id for c in store.chunks(ids[ids >= 0])} & {"d3"})
    scores, ids = store.dense_search(vectors[0], 1)
    assert store.chunks(ids[0])[0].doc_id == "d0" and scores[0, 0] > 0.99
    store.close()
    with open_store(tmp_path / "idx") as reopened:  # stored params come back with the index
        assert reopened.params.flat_max_rows == 50


def test_tiered_merge_leaves_big_segments_alone():
    params = StoreParams(merge_factor=4, max_segments=8, tier_base_rows=1024)
    live = {"big": (100_000, 0), "a": (10, 0), "b": (10, 0), "c": (10, 0)}
    assert plan_merge(live, params) == []
    live["d"] = (10, 0)
    assert plan_merge(live, params) == ["a", "b", "c", "d"]


def test_mostly_deleted_segments_are_rewritten():
    params = StoreParams()
    assert plan_merge({"big": (1000, 300), "small": (10, 0)}, params) == ["big"]


def test_too_many_segments_merge_the_smallest():
    params = StoreParams(merge_factor=100, max_segments=3)
    live = {"a": (5000, 0), "b": (10, 0), "c": (20, 0), "d": (3000, 0)}
    assert plan_merge(live, params) == ["b", "c"]


def test_ids_are_never_reused(tmp_path: Path):
    with open_store(tmp_path / "idx") as store:
        store.write([make_doc("a", ["one", "two"])])
        store.write([make_doc("a", ["three"])])
        (chunk,) = store.chunks(np.arange(0, 10))
        assert chunk.id == 2 and chunk.text == "three"
