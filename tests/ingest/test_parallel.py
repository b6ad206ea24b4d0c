"""Parallel ingestion (forked workers) stores and reports exactly what in-process ingestion does."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from rag import RAG
from rag.bench.synthetic import Generator
from rag.config import Settings
from rag.ingest import parallel
from rag.types import Document

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel ingest forks (Linux only)")


_START_POOL = parallel.start_pool


def _docs(n: int = 230) -> list[Document]:
    docs = list(Generator(3).iter_documents(n))
    docs.insert(4, Document(text=docs[2].text, id="copy-of-2"))  # duplicate inside the batch
    docs.insert(7, Document(text=" \n\n "))  # nothing left after cleaning
    docs.insert(9, Document(text=docs[8].text))  # no id: named by hash, duplicate of docs[8]'s text
    return docs


def _ingest(tmp_path, name: str, workers: int, docs, monkeypatch) -> tuple[list, list, dict]:
    started: list[int] = []
    real = _START_POOL

    def spy(n, *args):
        started.append(n)
        return real(n, *args)

    monkeypatch.setattr(parallel, "start_pool", spy)
    rag = RAG.open(tmp_path / name, Settings(ingest={"workers": workers}))
    try:
        first = rag.add([*docs, str(tmp_path / "missing.txt")])
        again = rag.add(docs[:50])
        store = rag.store
        n = store.stats().chunks
        chunks = [(c.chunk_id, c.text, c.start, c.end) for c in store.chunks(list(range(n)))]
        queries = ["Lanen founded a museum", "the count in Nortbury", docs[20].text[:80]]
        vectors = rag.embedder.embed_documents(queries)
        dense = [store.dense_search(v[None, :], 5) for v in vectors]
        lexical = [store.lexical_search(q, 5) for q in queries]
        found = {"dense": dense, "lexical": lexical, "started": started}
    finally:
        rag.close()
    return [i.model_dump() for i in first.items], [i.model_dump() for i in again.items], {"chunks": chunks, **found}


def test_parallel_matches_serial(tmp_path, monkeypatch):
    docs = _docs()
    serial = _ingest(tmp_path, "serial", 1, docs, monkeypatch)
    forked = _ingest(tmp_path, "forked", 2, docs, monkeypatch)
    assert serial[2]["started"] == [] and forked[2]["started"] == [2]
    assert forked[0] == serial[0]  # the same items, in input order, the missing file last
    assert [i["status"] for i in forked[0][:11]] == ["added"] * 4 + ["duplicate", "added", "added", "skipped",
                                                                    "added", "duplicate", "added"]
    assert forked[0][-1]["status"] == "error"
    assert forked[1] == serial[1] and {i["status"] for i in forked[1]} == {"unchanged", "duplicate", "skipped"}
    assert forked[2]["chunks"] == serial[2]["chunks"]
    for (fs, fi), (ss, si) in zip(forked[2]["dense"] + forked[2]["lexical"], serial[2]["dense"] + serial[2]["lexical"]):
        assert np.array_equal(fi, si)
        assert np.allclose(fs, ss, atol=1e-6)


def test_small_batches_and_unsafe_embedders_stay_in_process(tmp_path, monkeypatch):
    small = _ingest(tmp_path, "small", 2, _docs(60), monkeypatch)
    assert small[2]["started"] == []
    assert not parallel.can_fork(object())  # no `parallel_safe`: e.g. a torch model

    class Unsafe:
        parallel_safe = False

    assert not parallel.can_fork(Unsafe())


def test_workers_setting(monkeypatch):
    assert Settings().ingest.workers is None
    assert 1 <= parallel.default_workers() <= parallel.MAX_WORKERS
    monkeypatch.setenv("RAG_INGEST__WORKERS", "1")
    assert Settings().ingest.workers == 1
