"""Contract details a hostile or careless client finds: bounded metrics, bounds in the schema,
strict types, keys before bodies, web-only links, honest upload status, no stale temp folders."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from rag.api import create_app
from rag.api.uploads import UPLOAD_PREFIX
from tests.api.conftest import KEY, LIMITS, Server, make_settings, serve_app

QUESTION = "How much will Microsoft invest in Japan?"


def error_of(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    return reply.json()["error"]


@pytest.fixture(scope="module")
def keyed(corpus_rag: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    app = create_app(make_settings(tmp_path_factory.mktemp("keyed"), api_keys=KEY), rag=corpus_rag)
    with serve_app(app) as url:
        yield Server(url, app, corpus_rag, {"Authorization": f"Bearer {KEY}"})


def test_made_up_methods_share_one_metrics_label(server: Server) -> None:
    with server.client() as http:
        for i in range(60):
            http.request(f"MADEUP{i}", f"/v1/nowhere/{i}")
        text = http.get("/metrics").text
    assert "MADEUP" not in text and "/v1/nowhere" not in text
    assert 'method="other",route="unmatched"' in text


def test_offsets_and_limits_are_bounded_and_published(server: Server) -> None:
    with server.client() as http:
        error = error_of(http.get("/v1/documents", params={"offset": 2**63}), 422)
        assert "offset" in error["message"]
        schema = http.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/v1/documents"]["get"]["parameters"]}
    assert params["offset"]["minimum"] == 0 and params["offset"]["maximum"] >= 10**9
    assert params["limit"]["maximum"] == 1000
    components = schema["components"]["schemas"]
    top_k = next(b for b in components["SearchRequest"]["properties"]["top_k"]["anyOf"] if b["type"] == "integer")
    assert (top_k["minimum"], top_k["maximum"]) == (1, LIMITS["max_top_k"])
    history = next(b for b in components["AskRequest"]["properties"]["history"]["anyOf"] if b["type"] == "array")
    assert history["maxItems"] == LIMITS["max_messages"]


@pytest.mark.parametrize("path,body", [
    ("/v1/ask", {"question": QUESTION, "stream": 0}),
    ("/v1/ask", {"question": QUESTION, "stream": "true"}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}], "stream": 1}),
])
def test_booleans_are_strict(server: Server, path: str, body: dict[str, Any]) -> None:
    error = httpx.post(f"{server.url}{path}", json=body).json()["error"]
    assert "stream" in error["message"] and "bool" in error["message"].lower()


def test_ask_history_obeys_max_messages(server: Server) -> None:
    turns = [{"role": "user", "content": f"turn {i}"} for i in range(LIMITS["max_messages"] + 1)]
    error = error_of(httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "history": turns}), 422)
    assert error["code"] == "too_many_messages" and error["param"] == "history" and "server.max_messages" in error["message"]
    ok = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "history": turns[:2]}, timeout=30)
    assert ok.status_code == 200


def test_the_key_is_checked_before_the_body(keyed: Server) -> None:
    for path in ("/v1/ask", "/v1/search", "/v1/documents", "/v1/chat/completions"):
        reply = httpx.post(f"{keyed.url}{path}", content=b"{not json", headers={"content-type": "application/json"})
        assert reply.status_code == 401, (path, reply.text)
        assert reply.headers["www-authenticate"] == "Bearer"
    with keyed.client() as http:
        reply = http.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
        assert reply.status_code == 422
        assert httpx.get(f"{keyed.url}/healthz").status_code == 200  # probes stay open


def test_the_empty_message_error_reads_well(server: Server) -> None:
    error = error_of(httpx.post(f"{server.url}/v1/chat/completions",
                                json={"messages": [{"role": "user", "content": "  "}]}), 422)
    assert error["message"] == "the last user message is empty or only whitespace; send some text"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "example.org/x",
                                 "https://example.org/a b", "ftp://example.org/x"])
def test_only_web_addresses_are_accepted_as_document_urls(server: Server, url: str) -> None:
    body = {"documents": [{"id": "bad-url", "text": "Some text about harbours.", "url": url}]}
    error = error_of(httpx.post(f"{server.url}/v1/documents", json=body), 422)
    assert "http:// or https://" in error["message"]
    assert "bad-url" not in [d["doc_id"] for d in httpx.get(f"{server.url}/v1/documents").json()["documents"]]


def test_titles_and_sources_reach_chat_as_text_not_markup(server: Server) -> None:
    doc = {"id": "markup-test", "title": "<script>alert(1)</script> [click](javascript:alert(2))",
           "source": "<img src=x onerror=alert(3)>", "url": "https://example.org/fine",
           "text": "The Quillon ferry to Marrow Island carries 90 cars on each crossing."}
    with server.client() as http:
        assert http.post("/v1/documents", json={"documents": [doc]}).status_code == 200
        try:
            reply = http.post("/v1/chat/completions", json={
                "messages": [{"role": "user", "content": "How many cars does the Quillon ferry carry?"}]})
            content = reply.json()["choices"][0]["message"]["content"]
        finally:
            http.delete("/v1/documents/markup-test")
    line = content.split("Sources:\n", 1)[1]
    assert "90" in content and line.startswith("[1] ") and line.endswith(" <https://example.org/fine>")
    shown = line[len("[1] "):-len(" <https://example.org/fine>")]
    # Every character that could open a tag or a link is escaped, so front ends show it as text.
    assert re.findall(r"(?<!\\)[<\[]", shown) == []
    assert shown.replace("\\", "") == doc["title"] + " — " + doc["source"]


def test_an_upload_where_no_file_could_be_indexed_is_422(server: Server) -> None:
    files = [("files", ("blank.txt", b"   \n\n  ", "text/plain")), ("files", ("empty.md", b"", "text/markdown"))]
    error = error_of(httpx.post(f"{server.url}/v1/documents", files=files), 422)
    assert error["code"] == "nothing_indexed" and "blank.txt" in error["message"] and "empty.md" in error["message"]
    mixed = files + [("files", ("real.txt", b"The Ostrel canal is nine kilometres long.", "text/plain"))]
    reply = httpx.post(f"{server.url}/v1/documents", files=mixed)
    assert reply.status_code == 200, reply.text
    httpx.delete(f"{server.url}/v1/documents/real.txt")


def test_upload_folders_of_dead_servers_are_removed_at_start(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    root = Path(tempfile.gettempdir())
    stale = root / f"{UPLOAD_PREFIX}{int(dead.stdout)}-test"
    live = root / f"{UPLOAD_PREFIX}{os.getpid()}-test"
    for folder in (stale, live):
        folder.mkdir(exist_ok=True)
        (folder / "part.txt").write_text("half an upload")
    try:
        settings = make_settings(tmp_path / "index")
        from tests.api.fake_rag import FakeRAG

        with serve_app(create_app(settings, rag=FakeRAG(settings))):
            assert not stale.exists() and live.exists()
    finally:
        for folder in (stale, live):
            if folder.exists():
                (folder / "part.txt").unlink()
                folder.rmdir()


def test_the_report_json_is_unchanged_for_good_uploads(server: Server) -> None:
    reply = httpx.post(f"{server.url}/v1/documents", json={"documents": [
        {"id": "good-one", "text": "The Brisk tower has nine floors.", "url": "HTTPS://Example.org/x"}]})
    try:
        assert reply.status_code == 200 and json.loads(reply.text)["items"][0]["status"] in ("added", "replaced")
    finally:
        httpx.delete(f"{server.url}/v1/documents/good-one")


def test_a_write_blocked_by_another_process_is_503_and_loses_nothing(tmp_path: Path) -> None:
    from rag.engine import RAG
    from rag.store.lock import WriteLock

    settings = make_settings(tmp_path / "index", ingest={"lock_timeout": 0.3})
    rag = RAG.open(settings.index_dir, settings=settings)
    doc = {"documents": [{"id": "late", "text": "The Tamsin bridge opens at dawn."}]}
    try:
        with serve_app(create_app(settings, rag=rag)) as url:
            with WriteLock(settings.index_dir, 1).hold():  # as another process writing a long batch would
                error = error_of(httpx.post(f"{url}/v1/documents", json=doc, timeout=30), 503)
            assert error["code"] == "index_busy" and "another process is writing" in error["message"]
            assert "retry" in error["message"]
            assert httpx.post(f"{url}/v1/documents", json=doc, timeout=30).status_code == 200
            hits = httpx.post(f"{url}/v1/search", json={"query": "Tamsin bridge"}).json()["passages"]
            assert hits[0]["doc_id"] == "late"
    finally:
        rag.close()
