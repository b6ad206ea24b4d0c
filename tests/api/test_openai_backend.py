"""The `openai` LLM backend behind rag, against the fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from rag.api import create_app
from tests.api.conftest import Server, make_settings, open_real_rag, serve_app
from tests.fakes.openai_server import FakeOpenAIServer

QUESTION = "How much will Microsoft invest in Japan?"


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _server(index_dir: Path, **llm_settings: Any) -> Iterator[Server]:
    llm_settings = {"backend": "openai", "model": "fake-model", "timeout": 1.0, "max_retries": 0, **llm_settings}
    settings = make_settings(index_dir, llm=llm_settings)
    rag = open_real_rag(settings)
    with serve_app(create_app(settings, rag=rag)) as url:
        yield Server(url, None, rag, {})
    rag.close()


@pytest.fixture(scope="module")
def via_openai(llm: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server(tmp_path_factory.mktemp("openai") / "index", base_url=llm.url)


@pytest.fixture()
def fresh(llm: FakeOpenAIServer) -> FakeOpenAIServer:
    llm.reset()
    return llm


def test_chat_through_openai_backend(via_openai: Server, fresh: FakeOpenAIServer) -> None:
    fresh.reply("Microsoft plans to invest $2.9 billion in Japan over two years [1].")
    sdk = openai.OpenAI(base_url=f"{via_openai.url}/v1", api_key="x", max_retries=0)
    completion = sdk.chat.completions.create(model="rag-openai", messages=[{"role": "user", "content": QUESTION}])
    content = completion.choices[0].message.content
    assert "$2.9 billion" in content and "Sources:\n[1]" in content
    assert fresh.completions and "Microsoft" in str(fresh.completions[-1].body["messages"])


def test_client_temperature_and_max_tokens_reach_the_model(via_openai: Server, fresh: FakeOpenAIServer) -> None:
    fresh.reply("Microsoft plans to invest $2.9 billion in Japan [1].")
    sdk = openai.OpenAI(base_url=f"{via_openai.url}/v1", api_key="x", max_retries=0)
    sdk.chat.completions.create(
        model="rag-openai", messages=[{"role": "user", "content": QUESTION}], temperature=0.7, max_tokens=77
    )
    sent = fresh.completions[-1].body
    assert sent["temperature"] == 0.7 and sent["max_tokens"] == 77


def test_stream_through_openai_backend(via_openai: Server, fresh: FakeOpenAIServer) -> None:
    fresh.reply("Microsoft plans to invest $2.9 billion in Japan [1].", chunks=5)
    body = {"question": QUESTION, "stream": True}
    text = httpx.post(f"{via_openai.url}/v1/ask", json=body, timeout=30).text
    assert text.count("event: delta") >= 2 and "event: citations" in text and "event: done" in text


def test_upstream_500_is_502_naming_openai(via_openai: Server, fresh: FakeOpenAIServer) -> None:
    fresh.fail(500, "model exploded")
    reply = httpx.post(f"{via_openai.url}/v1/ask", json={"question": QUESTION}, timeout=30)
    assert reply.status_code == 502, reply.text
    assert "openai" in reply.json()["error"]["message"]


def test_upstream_too_slow_is_504(via_openai: Server, fresh: FakeOpenAIServer) -> None:
    fresh.slow(3)
    reply = httpx.post(f"{via_openai.url}/v1/ask", json={"question": QUESTION}, timeout=30)
    assert reply.status_code == 504, reply.text
    assert reply.json()["error"]["code"] == "backend_timeout"


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def test_closed_port_is_502_and_fallback_answers(tmp_path: Path) -> None:
    for server in _server(tmp_path / "a", base_url=_closed_port_url()):
        reply = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION}, timeout=30)
        assert reply.status_code in (502, 504) and "openai" in reply.json()["error"]["message"]
    for server in _server(tmp_path / "b", base_url=_closed_port_url(), fallback="extractive"):
        answer = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION}, timeout=30).json()
        assert answer["fallback_from"] == "openai" and answer["backend"] == "extractive"
