"""API keys, CORS, probes and metrics."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from rag.api import create_app, deps
from tests.api.conftest import KEY, Server, make_settings, serve_app
from tests.api.fake_rag import FakeRAG


@pytest.fixture(scope="module")
def keyed(corpus_rag: Any, tmp_path_factory: pytest.TempPathFactory):
    settings = make_settings(tmp_path_factory.mktemp("keyed"), api_keys=f"other-key,{KEY}",
                             server={"cors_origins": "https://ui.example"})
    app = create_app(settings, rag=corpus_rag)
    with serve_app(app) as url:
        yield Server(url, app, corpus_rag, {"Authorization": f"Bearer {KEY}"})


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"},
                                     {"Authorization": "Bearer \u00e9t\u00e9".encode()}])
def test_requests_without_the_right_key_are_401(keyed: Server, headers: dict[str, str]) -> None:
    for method, path in [("POST", "/v1/search"), ("GET", "/v1/documents"), ("GET", "/metrics"),
                         ("DELETE", "/v1/documents/x")]:
        reply = httpx.request(method, f"{keyed.url}{path}", headers=headers, json={"query": "x"})
        assert reply.status_code == 401, (path, reply.text)
        assert reply.json()["error"]["code"] == "unauthorized"
        assert reply.headers["www-authenticate"] == "Bearer"


def test_right_key_passes_and_probes_are_open(keyed: Server) -> None:
    with keyed.client() as http:
        assert http.post("/v1/search", json={"query": "Microsoft Japan"}).status_code == 200
        assert http.get("/metrics").status_code == 200
    assert httpx.get(f"{keyed.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{keyed.url}/readyz").status_code == 200
    assert httpx.get(f"{keyed.url}/openapi.json").status_code == 200


def test_openai_sdk_with_and_without_key(keyed: Server) -> None:
    good = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=KEY, max_retries=0)
    assert [m.id for m in good.models.list()][0] == "rag"
    bad = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.chat.completions.create(model="rag", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["type"] == "authentication_error"


def test_cors_only_for_configured_origins(keyed: Server, server: Server) -> None:
    preflight = {"Origin": "https://ui.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    reply = httpx.options(f"{keyed.url}/v1/ask", headers=preflight)
    assert reply.status_code == 200 and reply.headers["access-control-allow-origin"] == "https://ui.example"
    other = httpx.options(f"{keyed.url}/v1/ask", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in httpx.get(f"{server.url}/healthz", headers=preflight).headers


def test_auth_off_by_default(server: Server) -> None:
    assert httpx.get(f"{server.url}/v1/documents").status_code == 200
    assert httpx.get(f"{server.url}/metrics").status_code == 200


def test_metrics_count_per_route_template(server: Server) -> None:
    with server.client() as http:
        http.post("/v1/ask", json={"question": "How much will Microsoft invest in Japan?"})
        http.delete("/v1/documents/some/missing/doc")
        http.post("/v1/ask", content=b"x" * 30_000, headers={"content-type": "application/json"})
        text = http.get("/metrics").text
    assert 'rag_http_requests_total{method="POST",route="/v1/ask",status="200"}' in text
    assert 'route="/v1/documents/{doc_id:path}",status="404"' in text
    assert 'rag_http_requests_total{method="POST",route="/v1/ask",status="413"}' in text
    assert "some/missing" not in text
    assert 'rag_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/ask"}' in text
    assert "rag_retrieval_seconds_count" in text and "rag_generation_seconds_count{backend=" in text
    documents = next(line for line in text.splitlines() if line.startswith("rag_index_documents "))
    assert float(documents.split()[1]) == server.rag.stats().documents
    assert "rag_index_chunks " in text


class SlowLoadingRAG(FakeRAG):
    """Holds the warm-up (and so readiness) until the test releases it."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.release = threading.Event()

    def backend(self, name: str | None = None) -> object:
        self.release.wait(10)
        return object()


def test_readyz_is_503_until_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deps, "READY_WAIT_S", 0.2)
    settings = make_settings(tmp_path)
    rag = SlowLoadingRAG(settings)
    with serve_app(create_app(settings, rag=rag), wait_ready=False) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        reply = httpx.get(f"{url}/readyz")
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "not_ready"
        reply = httpx.post(f"{url}/v1/search", json={"query": "x"})
        assert reply.status_code == 503 and reply.headers["retry-after"] == "1"
        reply = httpx.post(f"{url}/v1/ask", json={"question": "x?"})
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "not_ready"
        rag.release.set()
        for _ in range(100):
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
            threading.Event().wait(0.02)
        assert httpx.get(f"{url}/readyz").json()["documents"] == rag.stats().documents
    assert not rag.closed  # a RAG handed in belongs to the caller


def test_openapi_documents_every_route(server: Server) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/v1/ask", "/v1/search", "/v1/documents", "/v1/documents/{doc_id}", "/v1/chat/completions",
            "/v1/models", "/healthz", "/readyz", "/metrics"} <= set(schema["paths"])
    body = schema["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
    assert "DocumentsIn" in schema["components"]["schemas"] and "DocumentIn" in schema["components"]["schemas"]
    assert "ErrorBody" in schema["components"]["schemas"]


def test_a_request_sent_while_the_index_loads_waits_for_it(tmp_path: Path) -> None:
    # With several workers, /readyz may answer from a loaded worker while the next request
    # lands on one still loading: that request should be answered, a little later, not refused.
    settings = make_settings(tmp_path)
    rag = SlowLoadingRAG(settings)
    with serve_app(create_app(settings, rag=rag), wait_ready=False) as url:
        threading.Timer(0.5, rag.release.set).start()
        reply = httpx.post(f"{url}/v1/search", json={"query": "x"}, timeout=30)
        assert reply.status_code == 200, reply.text
