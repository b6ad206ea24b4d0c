"""A failing LLM backend: 502/504 naming it, the fallback flag, errors mid-stream, disconnects."""

from __future__ import annotations

import json
import httpx
import openai
import pytest

from rag.errors import BackendError
from tests.api.conftest import Server

QUESTION = "How much will Microsoft invest in Japan?"


@pytest.mark.parametrize(("timeout", "status", "kind"), [(False, 502, "backend_error"), (True, 504, "backend_timeout")])
def test_backend_failure_status_names_backend(fake_server: Server, timeout: bool, status: int, kind: str) -> None:
    fake_server.rag.fail = BackendError("upstream said 500", backend="openai", timeout=timeout)
    for body in ({"question": QUESTION}, {"question": QUESTION, "stream": True}):
        reply = httpx.post(f"{fake_server.url}/v1/ask", json=body)
        assert reply.status_code == status
        error = reply.json()["error"]
        assert error["code"] == kind and "'openai'" in error["message"] and error["type"] == "server_error"
    sdk = openai.OpenAI(base_url=f"{fake_server.url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.InternalServerError) as caught:
        sdk.chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}], stream=True)
    assert caught.value.status_code == status and "openai" in caught.value.body["message"]


def test_fallback_flag_passes_through(fake_server: Server) -> None:
    fake_server.rag.answer_extra = {"fallback_from": "openai", "backend": "extractive"}
    answer = httpx.post(f"{fake_server.url}/v1/ask", json={"question": QUESTION}).json()
    assert answer["fallback_from"] == "openai" and answer["backend"] == "extractive"


def test_failure_mid_stream_is_an_error_event(fake_server: Server) -> None:
    fake_server.rag.fail_mid_stream = BackendError("connection dropped", backend="openai")
    reply = httpx.post(f"{fake_server.url}/v1/ask", json={"question": QUESTION, "stream": True})
    assert reply.status_code == 200
    last = reply.text.strip().split("\n\n")[-1]
    assert last.startswith("event: error\n")
    assert json.loads(last.split("data: ", 1)[1])["error"]["code"] == "backend_error"
    sdk = openai.OpenAI(base_url=f"{fake_server.url}/v1", api_key="x", max_retries=0)
    stream = sdk.chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}], stream=True)
    with pytest.raises(openai.APIError, match="connection dropped"):
        list(stream)


def test_client_disconnect_stops_generation(fake_server: Server) -> None:
    fake_server.rag.piece_delay = 0.2
    for path, body in [("/v1/ask", {"question": QUESTION, "stream": True}),
                       ("/v1/chat/completions", {"model": "rag", "stream": True,
                                                 "messages": [{"role": "user", "content": QUESTION}]})]:
        fake_server.rag.stream_closed.clear()
        with httpx.stream("POST", f"{fake_server.url}{path}", json=body) as reply:
            next(reply.iter_raw())  # the first piece arrived; now hang up
        assert fake_server.rag.stream_closed.wait(5), f"{path}: generation went on after the client left"


def test_unexpected_error_is_500_without_internals(fake_server: Server) -> None:
    fake_server.rag.fail = RuntimeError("secret internal detail")
    reply = httpx.post(f"{fake_server.url}/v1/ask", json={"question": QUESTION})
    assert reply.status_code == 500 and "secret" not in reply.text
    assert reply.json()["error"]["code"] == "internal_error"
