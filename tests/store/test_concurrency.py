"""Many reader threads while one thread writes: no errors, and never a half-written state."""

from __future__ import annotations

import threading

import numpy as np

from rag.store import IndexStore
from rag.types import Filters

from .conftest import make_doc, unit


def test_readers_during_writes_never_fail(store: IndexStore):
    store.write([make_doc(f"base{i}", [f"base text {i} alpha", f"second part {i}"], seed=i) for i in range(20)])
    errors: list[BaseException] = []
    stop = threading.Event()
    queries = unit(4, seed=7)

    def reader() -> None:
        try:
            while not stop.is_set():
                _, ids = store.dense_search(queries, 5)
                chunks = store.chunks(ids[ids >= 0])
                assert all(c.text for c in chunks)
                _, lex = store.lexical_search("alpha text replaced", 10)
                assert len(set(lex.tolist())) == len(lex)
                store.allowed_ids(Filters(source="news"))
                store.stats()
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i in range(25):
            store.write([make_doc(f"base{i % 20}", [f"replaced text {i} alpha"], seed=100 + i),
                         make_doc(f"new{i}", [f"new text {i}"], seed=200 + i)])
            if i % 10 == 9:
                store.delete([f"new{i - 5}"])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[0]
    assert store.stats().documents == 20 + 25 - 2
    _, lex = store.lexical_search("base", 50)
    assert lex.size == 0  # every base document was replaced
    assert np.isin(store.dense_search(queries, 50)[1], store.allowed_ids(Filters(source="news"))).any()
