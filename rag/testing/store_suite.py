"""The store contract as a test suite every index store runs (Haystack style).

Subclass `StoreContract` in a test module and give it one fixture, `open_store`: a callable
`open_store(name="main", **kwargs)` returning an open store of that name (`kwargs` go to the
store's `open`: embedder_id, dimension, chunking, create). The same tests then hold for the folder
store, the PostgreSQL store and any store of your own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rag.errors import IndexMismatchError
from rag.testing.builders import CHUNKING, DIM, EMBEDDER, corpus, doc_ids, make_doc, unit
from rag.types import Filters

__all__ = ["CHUNKING", "DIM", "EMBEDDER", "StoreContract"]
OpenStore = Callable[..., Any]


class StoreContract:
    """What every store promises the Retriever, the ingestion pipeline and the API."""

    @pytest.fixture
    def store(self, open_store: OpenStore) -> Any:
        store = open_store()
        yield store
        store.close()

    def test_implements_the_protocol(self, store: Any) -> None:
        from rag.store.protocol import Store

        assert isinstance(store, Store)
        assert store.manifest["embedder"] == {"id": EMBEDDER, "dimension": DIM}

    def test_what_goes_in_comes_back(self, store: Any) -> None:
        docs = corpus()
        store.write(docs)
        scores, ids = store.dense_search(docs[1].vectors[0], 2)
        (hit,) = store.chunks([ids[0, 0]])
        assert (hit.doc_id, hit.text, hit.chunk_id, hit.ordinal) == ("volcano", docs[1].chunks[0].text, "volcano#0", 0)
        assert (hit.start, hit.end) == (docs[1].chunks[0].start, docs[1].chunks[0].end)
        assert (hit.title, hit.source, hit.url, hit.date) == (
            "Title volcano",
            "news",
            "https://example.org/volcano",
            "2024-02-10T08:30:00",
        )
        assert hit.metadata == {"n": 2}
        assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
        stats = store.stats()
        assert (stats.documents, stats.chunks, stats.dimension, stats.embedder) == (3, 6, DIM, EMBEDDER)
        assert stats.bytes_on_disk > 0
        assert store.document_hash("market") == docs[2].content_hash
        assert store.doc_id_for_hash(docs[0].content_hash) == "apple"
        assert store.document_hash("nope") is None
        hashes, owners = store.known_documents(["market", "nope"], [docs[0].content_hash, "unknown"])
        assert (hashes, owners) == ({"market": docs[2].content_hash}, {docs[0].content_hash: "apple"})

    def test_dense_search_pads_and_keeps_order(self, store: Any) -> None:
        store.write(corpus())
        scores, ids = store.dense_search(unit(2, seed=9), 10)
        assert ids.shape == scores.shape == (2, 10)
        assert (ids[:, 6:] == -1).all() and np.isneginf(scores[:, 6:]).all()
        assert (np.diff(scores[:, :6], axis=1) <= 1e-6).all()
        assert sorted(ids[0, :6].tolist()) == sorted(ids[1, :6].tolist())

    def test_lexical_search_ranks_by_bm25(self, store: Any) -> None:
        store.write(corpus())
        scores, ids = store.lexical_search("erupting volcanoes", 5)
        assert doc_ids(store, ids) == ["volcano", "volcano"]
        # Both chunks say "volcano" once; the shorter one ranks first (length normalisation).
        assert store.chunks([ids[0]])[0].ordinal == 0 and scores[0] > scores[1] > 0
        assert len(store.lexical_search("zebra quantum", 5)[1]) == 0
        idf = store.term_idf(["volcano", "appl", "zebra"])
        assert idf["zebra"] > idf["volcano"] > 0 and idf["volcano"] == pytest.approx(idf["appl"])

    def test_chunks_come_back_in_the_given_order(self, store: Any) -> None:
        store.write(corpus())
        _, ids = store.dense_search(unit(1, seed=5), 6)
        wanted = [int(ids[0, 4]), int(ids[0, 0]), int(ids[0, 2])]
        assert [c.id for c in store.chunks(wanted)] == wanted
        assert store.chunks([]) == []

    def test_chunk_texts_are_the_chunks_cut_to_id_document_and_text(self, store: Any) -> None:
        store.write(corpus())
        _, ids = store.dense_search(unit(1, seed=5), 6)
        wanted = [int(ids[0, 4]), int(ids[0, 0]), int(ids[0, 2])]
        assert store.chunk_texts(wanted) == [(c.id, c.doc_id, c.text) for c in store.chunks(wanted)]
        assert store.chunk_texts([]) == []

    def test_chunks_read_before_a_delete_are_not_served_after_it(self, store: Any) -> None:
        store.write(corpus())
        _, ids = store.lexical_search("erupting volcanoes", 5)
        wanted = [int(i) for i in ids]
        assert {c.doc_id for c in store.chunks(wanted)} == {t.doc_id for t in store.chunk_texts(wanted)} == {"volcano"}
        store.delete(["volcano"])
        assert store.chunks(wanted) == [] and store.chunk_texts(wanted) == []

    def test_replacing_a_document_drops_its_old_text(self, store: Any) -> None:
        store.write(corpus())
        store.write([make_doc("volcano", ["a calm mountain with snow"], seed=7)])
        assert len(store.lexical_search("lava erupted", 5)[1]) == 0
        _, ids = store.lexical_search("snow mountain", 5)
        assert [c.text for c in store.chunks(ids)] == ["a calm mountain with snow"]
        assert store.stats().chunks == 5
        assert store.term_idf(["lava"])["lava"] > store.term_idf(["appl"])["appl"]

    def test_delete_removes_from_every_search(self, store: Any) -> None:
        docs = corpus()
        store.write(docs)
        assert store.delete(["apple", "never-there"]) == 1
        assert store.delete(["apple"]) == 0
        assert len(store.lexical_search("apple pie", 5)[1]) == 0
        _, ids = store.dense_search(docs[0].vectors[0], 6)
        assert "apple" not in doc_ids(store, ids)
        assert [d.doc_id for d in store.documents()] == ["market", "volcano"]

    def test_filters(self, store: Any) -> None:
        store.write(corpus())
        cases = {
            "source": (Filters(source="food"), {"apple"}),
            "sources": (Filters(source=["food", "news"]), {"apple", "volcano", "market"}),
            "doc_id": (Filters(doc_id="market"), {"market"}),
            "date_from": (Filters(date_from="2024-02-01"), {"volcano", "market"}),
            # A bare date covers the whole day, whatever time of day the document carries.
            "date_to": (Filters(date_to="2024-02-10"), {"apple", "volcano"}),
            "both": (Filters(source="news", date_to="2024-02-28"), {"volcano"}),
        }
        for name, (filters, expected) in cases.items():
            allowed = store.allowed_ids(filters)
            assert len(allowed) == 2 * len(expected) == len(np.asarray(allowed)), name
            assert set(doc_ids(store, np.asarray(allowed))) == expected, name
            _, dense = store.dense_search(unit(1, seed=4), 6, allowed)
            _, lexical = store.lexical_search("apple volcano markets", 6, allowed)
            assert set(doc_ids(store, dense)) == expected, name
            assert set(doc_ids(store, lexical)) == expected, name
        assert store.allowed_ids(Filters()) is None
        assert len(store.allowed_ids(Filters(source="nowhere"))) == 0

    def test_documents_page_in_id_order(self, store: Any) -> None:
        store.write(corpus())
        assert [d.doc_id for d in store.documents(0, 2)] == ["apple", "market"]
        page = store.documents(2, 5)
        assert [(d.doc_id, d.chunks, d.title) for d in page] == [("volcano", 2, "Title volcano")]
        assert page[0].chars == len(corpus()[1].text)

    def test_a_bad_write_changes_nothing(self, store: Any) -> None:
        store.write(corpus())
        bad = make_doc("fresh", ["new text"])
        bad.vectors = unit(1, dim=DIM + 1)
        with pytest.raises(ValueError, match="shape"):
            store.write([make_doc("volcano", ["replacement"]), bad])
        with pytest.raises(ValueError, match="twice"):
            store.write([make_doc("x", ["one"]), make_doc("x", ["two"])])
        assert store.stats().chunks == 6
        assert doc_ids(store, store.lexical_search("lava", 5)[1]) == ["volcano"]

    def test_reopen_keeps_everything(self, open_store: OpenStore) -> None:
        with open_store("keep") as store:
            store.write(corpus())
        with open_store("keep", create=False) as store:
            assert store.stats().documents == 3
            assert doc_ids(store, store.lexical_search("interest rates", 5)[1]) == ["market"]

    def test_other_embedder_or_dimension_is_refused(self, open_store: OpenStore) -> None:
        open_store("mismatch").close()
        with pytest.raises(IndexMismatchError, match="embedding dimension 16.*32"):
            open_store("mismatch", dimension=32)
        with pytest.raises(IndexMismatchError, match="embedder 'contract-embedder'.*'other'"):
            open_store("mismatch", embedder_id="other")
        with pytest.raises(IndexMismatchError, match="chunking size"):
            open_store("mismatch", chunking={**CHUNKING, "size": 512})

    def test_missing_index_without_create(self, open_store: OpenStore) -> None:
        from rag.store.index_store import IndexNotFoundError

        with pytest.raises(IndexNotFoundError, match="rag index"):
            open_store("absent", create=False)
