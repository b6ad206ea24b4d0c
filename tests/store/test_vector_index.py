"""One suite for every VectorIndex implementation (flat and HNSW)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.store import FlatIndex, HNSWIndex, HNSWParams, VectorIndex, load_vector_index

from .conftest import unit

FACTORIES = {
    "flat": lambda dim: FlatIndex(dim),
    "hnsw": lambda dim: HNSWIndex(dim, HNSWParams(m=16, ef_construction=80, ef_search=64)),
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


def test_a_stored_vector_finds_itself_first(filled):
    index, vectors = filled
    scores, ids = index.search(vectors[[7, 42]], 3)
    assert ids.shape == (2, 3)
    assert ids[:, 0].tolist() == [1007, 1042]
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_allowed_restricts_results(filled):
    index, vectors = filled
    allowed = np.array([1010, 1020, 1030])
    scores, ids = index.search(vectors[20], 5, allowed)
    assert ids[0, 0] == 1020 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
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
