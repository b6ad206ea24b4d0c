"""/v1/ask (JSON and server-sent events), /v1/search and the request limits."""

from __future__ import annotations

import json
import re

import httpx

from tests.api.conftest import Server

QUESTION = "How much will Microsoft invest in Japan?"


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_returns_cited_answer(server: Server) -> None:
    reply = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "top_k": 3, "mode": "hybrid"})
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert re.search(r"\[\d+\]", answer["answer"]) and answer["citations"]
    assert answer["backend"] and answer["timings"]["total_ms"] > 0
    assert len(answer["passages"]) <= 3


def test_ask_stream_sends_deltas_citations_done(server: Server) -> None:
    with httpx.stream("POST", f"{server.url}/v1/ask", json={"question": QUESTION, "stream": True}) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = sse_events(reply.read().decode())
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"}
    text = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert done["answer"].startswith(text.strip()[:20]) and done["citations"] == events[-2][1]["citations"]
    assert events[-2][1]["abstained"] is False


def test_search_returns_scored_passages(server: Server) -> None:
    reply = httpx.post(f"{server.url}/v1/search", json={"query": "GPUs in Azure data centres", "top_k": 4})
    assert reply.status_code == 200
    passages = reply.json()["passages"]
    assert 1 <= len(passages) <= 4
    assert all({"doc_id", "chunk_id", "text", "score"} <= set(p) for p in passages)
    assert passages[0]["score"] >= passages[-1]["score"]


def error_of(reply: httpx.Response, status: int) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def test_question_too_long(server: Server) -> None:
    error = error_of(httpx.post(f"{server.url}/v1/ask", json={"question": "why " * 200}), 422)
    assert error["code"] == "question_too_long" and "500" in error["message"]


def test_empty_question(server: Server) -> None:
    assert "question" in error_of(httpx.post(f"{server.url}/v1/ask", json={"question": ""}), 422)["message"]
    error = error_of(httpx.post(f"{server.url}/v1/ask", json={"question": "   \t "}), 422)
    assert "empty" in error["message"]


def test_top_k_out_of_range(server: Server) -> None:
    for top_k in (0, 11):
        error = error_of(httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "top_k": top_k}), 422)
        assert error["code"] == "top_k_out_of_range" and "between 1 and 10" in error["message"]
    error_of(httpx.post(f"{server.url}/v1/search", json={"query": "x", "top_k": 99}), 422)


def test_unknown_field_rejected(server: Server) -> None:
    error = error_of(httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "topk": 3}), 422)
    assert error["code"] == "invalid_request" and "topk" in error["message"]


def test_malformed_json_and_unknown_route(server: Server) -> None:
    reply = httpx.post(f"{server.url}/v1/ask", content=b"{nope", headers={"content-type": "application/json"})
    error_of(reply, 422)
    assert error_of(httpx.get(f"{server.url}/v1/nothing"), 404)["code"] == "not_found"
    assert error_of(httpx.get(f"{server.url}/v1/ask"), 405)["code"] == "method_not_allowed"


def test_body_size_by_content_length_and_by_counting(server: Server) -> None:
    big = json.dumps({"question": "x" * 30_000}).encode()
    error = error_of(httpx.post(f"{server.url}/v1/ask", content=big, headers={"content-type": "application/json"}), 413)
    assert "max_body_bytes" in error["message"]

    def chunked():  # no Content-Length: only counting catches it
        for _ in range(30):
            yield b" " * 1000

    reply = httpx.post(f"{server.url}/v1/ask", content=chunked(), headers={"content-type": "application/json"})
    assert reply.request.headers.get("transfer-encoding") == "chunked"
    error_of(reply, 413)


def test_unknown_llm_names_valid_ones(server: Server) -> None:
    error = error_of(httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "llm": "nope"}), 400)
    assert "extractive" in error["message"]
