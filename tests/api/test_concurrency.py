"""An ingest while 20 clients query: no errors, every reply well-formed, old index or new."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.api import create_app
from tests.api.conftest import Server, make_settings, open_real_rag, serve_app

NEW_DOCS = [
    {"id": f"quokka/{i}", "title": f"Quokka ferry {i}",
     "text": f"The Quokka ferry number {i} sails from Rottnest harbour at {i} o'clock with quokkaberry jam aboard. "
             "Passengers praise the quokkaberry jam sold on deck. " * 3}
    for i in range(40)
]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with an index of its own, since this test changes it."""
    settings = make_settings(tmp_path_factory.mktemp("concurrent") / "index")
    rag = open_real_rag(settings)
    with serve_app(create_app(settings, rag=rag)) as url:
        yield Server(url, None, rag, {})
    rag.close()


def test_ingest_while_twenty_clients_query(own_server: Server) -> None:
    with own_server.client() as http:
        old_ids = {d["doc_id"] for d in http.get("/v1/documents", params={"limit": 1000}).json()["documents"]}
    new_ids = {d["id"] for d in NEW_DOCS}
    stop = threading.Event()
    problems: list[str] = []
    seen_new = []

    def client(n: int) -> None:
        with own_server.client() as http:
            while not stop.is_set():
                if n % 4 == 0:
                    reply = http.post("/v1/ask", json={"question": "When does the Quokka ferry sail?"})
                    body = reply.json()
                    ok = reply.status_code == 200 and isinstance(body.get("answer"), str)
                    passages = body.get("passages", [])
                else:
                    reply = http.post("/v1/search", json={"query": "quokkaberry jam ferry", "top_k": 5})
                    ok = reply.status_code == 200
                    passages = reply.json().get("passages", [])
                ids = {p["doc_id"] for p in passages}
                if not ok or not ids <= old_ids | new_ids:
                    problems.append(f"{reply.status_code}: {reply.text[:200]}")
                seen_new.append(bool(ids & new_ids))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    with own_server.client() as http:
        report = http.post("/v1/documents", json={"documents": NEW_DOCS})
        assert report.status_code == 200, report.text
        after = http.post("/v1/search", json={"query": "quokkaberry jam ferry", "top_k": 5}).json()["passages"]
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not problems, problems[:3]
    assert len(seen_new) >= 20
    assert {p["doc_id"] for p in after} <= new_ids and after  # the new index once the ingest returned
    assert {i["status"] for i in report.json()["items"]} == {"added"}
