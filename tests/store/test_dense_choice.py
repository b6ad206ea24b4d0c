"""Which dense index a segment gets: by rows and embedder, overridable, recorded in the manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.store import IndexStore, StoreParams
from rag.store.dense import choose_dense_kind

from .conftest import CHUNKING, DIM, make_doc, unit

HASHING = "hashing-v1-d384"
MODEL = "sentence-transformers:all-MiniLM-L6-v2"


@pytest.mark.parametrize("embedder, override, rows, kind", [
    (MODEL, "auto", 100, "flat"),
    (MODEL, "auto", 101, "hnsw"),
    (HASHING, "auto", 101, "flat"),  # graph search fails on feature-hash vectors
    (HASHING, "hnsw", 101, "hnsw"),
    (HASHING, "ivf", 101, "ivf"),
    (MODEL, "flat", 10**6, "flat"),
    (MODEL, "ivf", 100, "flat"),  # below the threshold exact search is always used
])
def test_choice_by_rows_embedder_and_override(embedder, override, rows, kind):
    assert choose_dense_kind(rows, embedder_id=embedder, dense_index=override, flat_max_rows=100) == kind


def test_bad_overrides_are_refused():
    with pytest.raises(ValueError, match="dense_index"):
        StoreParams(dense_index="lsh")
    with pytest.raises(ValueError, match="dense storage"):
        StoreParams(dense_storage="pq")


def test_params_round_trip_without_the_embedder_id():
    params = StoreParams(dense_index="ivf", dense_storage="sq8").for_embedder(HASHING)
    meta = params.to_meta()
    assert "embedder_id" not in meta
    back = StoreParams.from_meta(meta)
    assert back == params and back.embedder_id == ""
    assert StoreParams.from_meta({"flat_max_rows": 5}).dense_index == "auto"  # an older index's params


def _fill(store: IndexStore, rows: int = 60) -> np.ndarray:
    vectors = unit(rows, seed=11)
    store.write([make_doc(f"d{i}", [f"text {i} {j}" for j in range(6)], vectors=vectors[6 * i: 6 * i + 6])
                 for i in range(rows // 6)])
    return vectors


@pytest.mark.parametrize("embedder, storage, kind", [
    (HASHING, "float32", "flat"),
    (MODEL, "float32", "hnsw"),
    (HASHING, "sq8", "flat-sq8"),
    (MODEL, "float16", "hnsw-float16"),
])
def test_store_segments_follow_the_embedder(tmp_path: Path, embedder, storage, kind):
    params = StoreParams(flat_max_rows=50, dense_storage=storage)
    with IndexStore.open(tmp_path / "idx", embedder_id=embedder, dimension=DIM, chunking=CHUNKING,
                         params=params) as store:
        vectors = _fill(store)
        manifest = store.manifest
        assert [s["kind"] for s in manifest["segments"]] == [kind]
        assert manifest["dense"]["above_flat_max_rows"] == kind
        assert manifest["dense"]["index"] == "auto" and manifest["dense"]["storage"] == storage
        assert manifest["dense"]["hnsw"] == {"m": params.hnsw.m, "ef_construction": params.hnsw.ef_construction,
                                             "ef_search": params.hnsw.ef_search}
        _, ids = store.dense_search(vectors[:3], 1)
        assert ids[:, 0].tolist() == [0, 1, 2]
    with IndexStore.open(tmp_path / "idx", embedder_id=embedder, dimension=DIM, chunking=CHUNKING) as reopened:
        assert reopened.params.dense_storage == storage and reopened.params.embedder_id == embedder
        assert reopened.manifest["segments"][0]["kind"] == kind
        assert reopened.dense_search(vectors[:3], 1)[1][:, 0].tolist() == [0, 1, 2]


def test_forced_ivf_segment_compacts(tmp_path: Path):
    from rag.store.dense import IVFParams

    params = StoreParams(flat_max_rows=50, dense_index="ivf", ivf=IVFParams(nlist=4, nprobe=4))
    with IndexStore.open(tmp_path / "idx", embedder_id=HASHING, dimension=DIM, chunking=CHUNKING,
                         params=params) as store:
        vectors = _fill(store, 120)
        assert store.manifest["segments"][0]["kind"] == "ivf"
        store.delete(["d0"])
        store.compact()
        assert store.manifest["segments"][0]["kind"] == "ivf" and store.manifest["counts"]["chunks"] == 114
        _, ids = store.dense_search(vectors[6:9], 1)
        assert ids[:, 0].tolist() == [6, 7, 8]
