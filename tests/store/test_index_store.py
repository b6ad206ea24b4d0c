"""IndexStore behaviour a user notices: what goes in comes back, replaced text is gone, filters hold."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from rag.store import IndexNotFoundError, IndexStore, StoreParams
from rag.types import Filters

from .conftest import DIM, make_doc, open_store, unit


def _corpus():
    return [
        make_doc("apple", ["apples grow on trees in orchards", "apple pie recipe with cinnamon"], seed=1,
                 source="food", date="2024-01-05"),
        make_doc("volcano", ["the volcano erupted last night", "lava reached the village"], seed=2,
                 source="news", date="2024-02-10T08:30:00"),
        make_doc("market", ["stock markets fell sharply", "investors fear interest rates"], seed=3,
                 source="news", date="2024-03-01"),
    ]


def test_write_reopen_search(tmp_path: Path):
    docs = _corpus()
    with open_store(tmp_path / "idx") as store:
        store.write(docs)
    with open_store(tmp_path / "idx") as store:
        scores, ids = store.dense_search(docs[1].vectors[0], 2)
        (hit,) = store.chunks([ids[0, 0]])
        assert (hit.doc_id, hit.text, hit.chunk_id) == ("volcano", "the volcano erupted last night", "volcano#0")
        assert (hit.title, hit.source, hit.url) == ("Title volcano", "news", "https://example.org/volcano")
        assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
        _, lex = store.lexical_search("erupting volcanoes", 5)
        assert [c.doc_id for c in store.chunks(lex)] == ["volcano"]
        stats = store.stats()
        assert (stats.documents, stats.chunks, stats.dimension, stats.embedder) == (3, 6, DIM, "test-embedder")
        assert stats.bytes_on_disk > 0


def test_chunks_come_back_in_the_given_order(store: IndexStore):
    store.write(_corpus())
    ids = [5, 0, 3]
    assert [c.id for c in store.chunks(ids)] == ids
    assert store.chunks([]) == []


def test_manifest_describes_the_index(store: IndexStore):
    store.write(_corpus())
    manifest = json.loads((store.path / "manifest.json").read_text())
    assert manifest == store.manifest
    assert manifest["embedder"] == {"id": "test-embedder", "dimension": DIM}
    assert manifest["chunking"]["size"] == 256
    assert manifest["counts"]["chunks"] == 6
    assert manifest["segments"][0]["kind"] == "flat"
    assert manifest["lexical"]["k1"] == 1.5
    assert len(manifest["fingerprint"]) == 64


def test_catalog_is_plain_sqlite(store: IndexStore):
    store.write(_corpus())
    with sqlite3.connect(store.path / "catalog.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 6
        assert conn.execute("SELECT title FROM documents WHERE doc_id='apple'").fetchone()[0] == "Title apple"


def test_replacing_a_document_leaves_no_stale_chunk(store: IndexStore):
    docs = _corpus()
    store.write(docs)
    store.write([make_doc("volcano", ["a calm mountain meadow"], seed=9, source="news")])
    _, lex = store.lexical_search("volcano lava erupted", 10)
    assert lex.size == 0
    _, dense = store.dense_search(docs[1].vectors, 10)
    texts = {c.text for c in store.chunks(dense[dense >= 0])}
    assert "the volcano erupted last night" not in texts and "lava reached the village" not in texts
    assert [c.text for c in store.chunks(store.lexical_search("meadow", 5)[1])] == ["a calm mountain meadow"]
    assert store.stats().chunks == 5
    assert store.document_hash("volcano") == "hash-volcano-a calm mountain meadow"


def test_delete(store: IndexStore):
    docs = _corpus()
    store.write(docs)
    assert store.delete(["apple", "no-such-doc"]) == 1
    assert store.document_hash("apple") is None
    _, ids = store.dense_search(docs[0].vectors, 6)
    assert not {c.doc_id for c in store.chunks(ids[ids >= 0])} & {"apple"}
    assert store.lexical_search("apple pie", 5)[1].size == 0
    assert [d.doc_id for d in store.documents()] == ["market", "volcano"]


def test_content_hash_lookup(store: IndexStore):
    docs = _corpus()
    store.write(docs)
    assert store.doc_id_for_hash(docs[2].content_hash) == "market"
    assert store.doc_id_for_hash("unknown") is None
    assert store.document_hash("market") == docs[2].content_hash


def test_documents_are_paged_by_id(store: IndexStore):
    store.write(_corpus())
    assert [d.doc_id for d in store.documents(0, 2)] == ["apple", "market"]
    (info,) = store.documents(2, 10)
    assert (info.doc_id, info.chunks, info.date) == ("volcano", 2, "2024-02-10T08:30:00")


def test_filters(store: IndexStore):
    docs = _corpus()
    store.write(docs)
    by_doc = lambda f: sorted({c.doc_id for c in store.chunks(store.allowed_ids(f))})  # noqa: E731
    assert store.allowed_ids(Filters()) is None
    assert by_doc(Filters(source="news")) == ["market", "volcano"]
    assert by_doc(Filters(source=["food", "other"])) == ["apple"]
    assert by_doc(Filters(doc_id=["apple", "market"])) == ["apple", "market"]
    assert by_doc(Filters(date_from="2024-02-01")) == ["market", "volcano"]
    assert by_doc(Filters(date_to="2024-02-10")) == ["apple", "volcano"]  # inclusive of a timestamped day
    assert by_doc(Filters(source="news", date_to="2024-02-28")) == ["volcano"]
    allowed = store.allowed_ids(Filters(source="food"))
    _, ids = store.dense_search(docs[1].vectors[0], 5, allowed)
    assert set(ids[0][ids[0] >= 0]) == set(allowed)
    _, ids = store.lexical_search("the volcano erupted apple", 5, allowed)
    assert {c.doc_id for c in store.chunks(ids)} == {"apple"}
    assert store.dense_search(docs[0].vectors[0], 3, np.array([], dtype=np.int64))[1].tolist() == [[-1, -1, -1]]


def test_compaction_preserves_results(tmp_path: Path):
    params = StoreParams(max_segments=100, merge_factor=100, max_deleted_fraction=1.0)
    store = open_store(tmp_path / "idx", params=params)
    for i in range(6):
        store.write([make_doc(f"d{i}", [f"topic{i} shared words here", f"more text about item{i}"], seed=i)])
    store.write([make_doc("d2", ["replacement text for topic2"], seed=20)])
    store.delete(["d4"])
    queries = unit(5, seed=99)
    before = (store.dense_search(queries, 4), store.lexical_search("shared topic2 item3", 6))
    assert store.stats().segments == 7
    store.compact()
    after = (store.dense_search(queries, 4), store.lexical_search("shared topic2 item3", 6))
    assert store.stats().segments == 1
    np.testing.assert_array_equal(before[0][1], after[0][1])
    np.testing.assert_array_equal(before[1][1], after[1][1])
    np.testing.assert_allclose(before[1][0], after[1][0], rtol=1e-5)
    assert sorted(p.name for p in (store.path / "segments").iterdir()) == [store.manifest["segments"][0]["name"]]
    store.close()


def test_automatic_merges_keep_segments_few(store: IndexStore):
    for i in range(30):
        store.write([make_doc(f"d{i}", [f"note number {i}"], seed=i)])
    assert store.stats().segments <= store.params.max_segments
    assert store.stats().chunks == 30
    assert store.lexical_search("number", 50)[1].size == 30


def test_open_without_create_on_a_missing_index(tmp_path: Path):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        open_store(tmp_path / "nothing", create=False)
    assert not IndexStore.exists(tmp_path / "nothing")


def test_vectors_of_the_wrong_shape_are_refused(store: IndexStore):
    doc = make_doc("x", ["one", "two"], vectors=unit(3))
    with pytest.raises(ValueError, match="expected \\(2, 16\\)"):
        store.write([doc])
    assert store.stats().chunks == 0


def test_fingerprint_follows_the_corpus_not_the_history(tmp_path: Path):
    a, b = make_doc("a", ["alpha"]), make_doc("b", ["beta"])
    with open_store(tmp_path / "one") as one, open_store(tmp_path / "two") as two:
        one.write([a, b])
        one.delete(["b"])
        two.write([make_doc("a", ["an older alpha"])])
        two.write([a])
        assert one.manifest["fingerprint"] == two.manifest["fingerprint"] != "0" * 64
