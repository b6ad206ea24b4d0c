"""One suite for every VectorIndex implementation (flat, HNSW, IVF; float32, float16 and SQ8 codes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.store import FlatIndex, HNSWIndex, HNSWParams, VectorIndex, load_vector_index
from rag.store.dense import IVFIndex, IVFParams

from .conftest import unit

FACTORIES = {
    "flat": lambda dim: FlatIndex(dim),
    "hnsw": lambda dim: HNSWIndex(dim, HNSWParams(m=16, ef_construction=80, ef_search=64)),
    "ivf": lambda dim: IVFIndex(dim, IVFParams(nlist=8, nprobe=8)),
    "flat-float16": lambda dim: FlatIndex(dim, "float16"),
    "flat-sq8": lambda dim: FlatIndex(dim, "sq8"),
    "hnsw-float16": lambda dim: HNSWIndex(dim, HNSWParams(m=16, ef_construction=80, ef_search=64), "float16"),
    "hnsw-sq8": lambda dim: HNSWIndex(dim, HNSWParams(m=16, ef_construction=80, ef_search=64), "sq8"),
    "ivf-sq8": lambda dim: IVFIndex(dim, IVFParams(nlist=8, nprobe=8), "sq8"),
}


@pytest.fixture(params=sorted(FACTORIES))
def make_index(request):
    return FACTORIES[request.param]


@pytest.fixture
def filled(make_index):
    index = make_index(16)
    vectors = unit(300, seed=1)
    index.add(np.arange(1000, 1300), vectors)
    return index, vectors


def test_is_a_vector_index(filled):
    index, _ = filled
    assert isinstance(index, VectorIndex)
    assert len(index) == 300


def test_kind_names_the_structure_and_storage(filled, request):
    index, _ = filled
    assert index.kind == request.node.callspec.params["make_index"]


def test_vectors_round_trip_within_the_storage_precision(filled):
    index, vectors = filled
    tolerance = {"float32": 1e-6, "float16": 1e-3, "sq8": 2e-2}[index.storage]
    np.testing.assert_array_equal(index.ids(), np.arange(1000, 1300))
    np.testing.assert_allclose(index.vectors(), vectors, atol=tolerance)


def test_a_stored_vector_finds_itself_first(filled):
    index, vectors = filled
    scores, ids = index.search(vectors[[7, 42]], 3)
    assert ids.shape == (2, 3)
    assert ids[:, 0].tolist() == [1007, 1042]
    assert scores[0, 0] == pytest.approx(1.0, abs=2e-2 if index.storage == "sq8" else 1e-3)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_allowed_restricts_results(filled):
    index, vectors = filled
    allowed = np.array([1010, 1020, 1030])
    scores, ids = index.search(vectors[20], 5, allowed)
    assert ids[0, 0] == 1020 and scores[0, 0] == pytest.approx(1.0, abs=2e-2)
    assert set(ids[0][ids[0] >= 0]) == {1010, 1020, 1030}
    assert ids[0, 3:].tolist() == [-1, -1]  # padding when fewer hits than k
    assert np.isneginf(scores[0, 3:]).all()


def test_removed_ids_never_come_back(filled):
    index, vectors = filled
    assert index.remove(np.array([1007, 1008, 99999])) == 2
    assert index.remove(np.array([1007])) == 0
    assert len(index) == 298
    _, ids = index.search(vectors[[7, 8]], 10)
    assert 1007 not in ids and 1008 not in ids


def test_save_load_round_trip(tmp_path: Path, filled):
    index, vectors = filled
    index.save(tmp_path / "dense.faiss")
    loaded = load_vector_index(tmp_path / "dense.faiss")
    assert type(loaded) is type(index)
    assert (loaded.kind, loaded.storage) == (index.kind, index.storage)
    assert len(loaded) == 300
    np.testing.assert_array_equal(loaded.search(vectors[:5], 4)[1], index.search(vectors[:5], 4)[1])


def test_wrong_dimension_is_a_clear_error(filled):
    index, _ = filled
    with pytest.raises(ValueError, match="dimension 8"):
        index.search(np.ones((1, 8), dtype=np.float32), 3)


def test_corrupt_file_names_the_path(tmp_path: Path):
    bad = tmp_path / "dense.faiss"
    bad.write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError, match="dense.faiss"):
        load_vector_index(bad)


def test_hnsw_recall_against_flat():
    vectors, queries = unit(5000, 32, seed=2), unit(100, 32, seed=3)
    flat, hnsw = FlatIndex(32), HNSWIndex(32)
    ids = np.arange(5000)
    flat.add(ids, vectors)
    hnsw.add(ids, vectors)
    truth, found = flat.search(queries, 10)[1], hnsw.search(queries, 10)[1]
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
    assert recall >= 0.95


def test_hnsw_with_a_tiny_allowed_set_is_exact():
    vectors = unit(2000, seed=4)
    hnsw = HNSWIndex(16)
    hnsw.add(np.arange(2000), vectors)
    allowed = np.array([3, 500, 1999])
    scores, ids = hnsw.search(vectors[500], 3, allowed)
    assert ids[0, 0] == 500 and set(ids[0]) == {3, 500, 1999}


@pytest.mark.parametrize("storage", ["float16", "sq8"])
def test_compressed_flat_keeps_recall(storage):
    vectors, queries = unit(5000, 32, seed=5), unit(100, 32, seed=6)
    flat, small = FlatIndex(32), FlatIndex(32, storage)
    flat.add(np.arange(5000), vectors)
    small.add(np.arange(5000), vectors)
    truth, found = flat.search(queries, 10)[1], small.search(queries, 10)[1]
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
    assert recall >= 0.9


def test_sq8_on_a_single_row_still_finds_it():
    index = FlatIndex(16, "sq8")
    vectors = unit(1, seed=7)
    index.add(np.array([5]), vectors)
    scores, ids = index.search(vectors, 2)
    assert ids[0].tolist() == [5, -1] and scores[0, 0] == pytest.approx(1.0, abs=2e-2)


def test_unknown_storage_is_refused():
    with pytest.raises(ValueError, match="sq8"):
        FlatIndex(16, "int4")


def test_builds_use_all_cores_and_restore_the_search_threads(monkeypatch):
    import faiss

    from rag.store.dense import threads as dense

    seen = []
    real_add = faiss.IndexIDMap2.add_with_ids
    monkeypatch.setattr(faiss.IndexIDMap2, "add_with_ids",
                        lambda self, *a: (seen.append(faiss.omp_get_max_threads()), real_add(self, *a))[1])
    monkeypatch.setattr(dense.os, "cpu_count", lambda: 3)
    dense.configure_faiss(threads=1)
    HNSWIndex(16).add(np.arange(50), unit(50, seed=8))
    assert seen == [3]
    assert faiss.omp_get_max_threads() == 1


def test_searches_from_other_threads_use_the_configured_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenMP's setting is per thread: a server's pool threads would otherwise search with every core.
    import threading

    import faiss

    from rag.store.dense import threads as dense

    monkeypatch.setattr(dense, "_search_threads", dense._search_threads)
    dense.configure_faiss(threads=1)
    index = FlatIndex(8)
    index.add(np.arange(20), unit(20, dim=8, seed=3))
    seen = []

    def search_in_a_new_thread() -> None:
        index.search(unit(1, dim=8, seed=4), 3)
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=search_in_a_new_thread)
    worker.start()
    worker.join()
    assert seen == [1]
