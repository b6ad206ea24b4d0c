"""One error body across the whole API: OpenAI's {"error": {"message", "type", "param", "code"}}."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from rag.api import create_app
from tests.api.conftest import KEY, Server, make_settings, serve_app
from tests.api.fake_rag import FakeRAG

SHAPE = {"message", "type", "param", "code"}


@pytest.fixture()
def keyed(tmp_path: Path) -> Iterator[Server]:
    settings = make_settings(tmp_path / "index", api_keys=[KEY])
    with serve_app(create_app(settings, rag=FakeRAG(settings))) as url:
        yield Server(url, None, None, {"Authorization": f"Bearer {KEY}"})


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "kind", "code", "param"), [
    ("POST", "/v1/ask", {"json": {"question": "why " * 200}}, 422, "invalid_request_error", "question_too_long", None),
    ("POST", "/v1/ask", {"json": {"question": "x", "topk": 3}}, 422, "invalid_request_error", "invalid_request", "topk"),
    ("POST", "/v1/search", {"json": {}}, 422, "invalid_request_error", "invalid_request", "query"),
    ("DELETE", "/v1/documents/nope", {}, 404, "invalid_request_error", "document_not_found", None),
    ("POST", "/v1/documents", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415,
     "invalid_request_error", "unsupported_media_type", None),
    ("POST", "/v1/documents", {"content": b"x" * 70_000, "headers": {"content-type": "text/plain"}}, 413,
     "invalid_request_error", "payload_too_large", None),
    ("POST", "/v1/chat/completions", {"json": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}},
     404, "invalid_request_error", "model_not_found", "model"),
    ("GET", "/v1/nothing", {}, 404, "invalid_request_error", "not_found", None),
    ("GET", "/v1/ask", {}, 405, "invalid_request_error", "method_not_allowed", None),
])
def test_every_route_family_answers_errors_in_one_shape(
    keyed: Server, method: str, path: str, kwargs: dict, status: int, kind: str, code: str, param: str | None
) -> None:
    with keyed.client() as http:
        reply = http.request(method, path, **kwargs)
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == SHAPE
    assert (body["error"]["type"], body["error"]["code"], body["error"]["param"]) == (kind, code, param)
    assert body["error"]["message"]


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/documents", "/metrics", "/v1/models"])
def test_missing_key_is_an_authentication_error_everywhere(keyed: Server, path: str) -> None:
    reply = httpx.get(keyed.url + path) if path in ("/metrics", "/v1/models", "/v1/documents") else \
        httpx.post(keyed.url + path, json={"question": "x"})
    assert reply.status_code == 401
    assert reply.json()["error"] == {"message": "missing API key: send 'Authorization: Bearer <key>'",
                                     "type": "authentication_error", "param": None, "code": "unauthorized"}


def test_validation_lists_every_problem(keyed: Server) -> None:
    with keyed.client() as http:
        error = http.post("/v1/ask", json={"question": "", "top_k": "many"}).json()["error"]
    assert "question" in error["message"] and "top_k" in error["message"] and error["param"] == "question"


def test_the_sdk_reads_rag_route_errors_too(keyed: Server) -> None:
    client = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.delete("/documents/nope", cast_to=object)
    assert caught.value.code == "document_not_found" and "GET /v1/documents" in caught.value.message
