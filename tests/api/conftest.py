"""Real servers on loopback: uvicorn in a background thread, on a port the OS picks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from rag.api import create_app
from rag.config import Settings
from tests.api.fake_rag import FakeRAG

KEY = "test-key-123"

# Small limits so every one of them is cheap to cross in a test.
LIMITS = {"max_body_bytes": 20_000, "max_upload_bytes": 60_000, "max_question_chars": 500,
          "max_top_k": 10, "max_messages": 8}


@dataclass
class Server:
    url: str
    app: Any
    rag: Any
    headers: dict[str, str]

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=30, **kw)


@contextmanager
def serve_app(app: Any, *, ready_headers: dict[str, str] | None = None, wait_ready: bool = True) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        if wait_ready:
            _wait_ready(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = httpx.get(f"{url}/readyz", timeout=5)
        if reply.status_code == 200:
            return
        assert reply.status_code == 503, reply.text
        if "failed" in reply.text:
            raise AssertionError(reply.text)
        time.sleep(0.05)
    raise AssertionError("server never became ready")


def make_settings(index_dir: Path, **kw: Any) -> Settings:
    server = {**LIMITS, **kw.pop("server", {})}
    return Settings(index_dir=index_dir, server=server, **kw)


def open_real_rag(settings: Settings) -> Any:
    """The real library, its index seeded with the bundled sample corpus."""
    from rag.engine import RAG

    return RAG.open(settings.index_dir, settings=settings, seed_sample=True)


@pytest.fixture(scope="session")
def corpus_rag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real library on the bundled sample corpus, shared by the servers of the session."""
    settings = make_settings(tmp_path_factory.mktemp("index") / "sample")
    rag = open_real_rag(settings)
    yield rag
    rag.close()


@pytest.fixture(scope="module")
def server(corpus_rag: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An open server (no API keys) over the real library."""
    app = create_app(make_settings(tmp_path_factory.mktemp("unused")), rag=corpus_rag)
    with serve_app(app) as url:
        yield Server(url, app, corpus_rag, {})


@pytest.fixture()
def fake_server(tmp_path: Path) -> Iterator[Server]:
    """A server over FakeRAG, for faults; fresh per test because tests arm faults on it."""
    settings = make_settings(tmp_path / "index")
    rag = FakeRAG(settings)
    app = create_app(settings, rag=rag)
    with serve_app(app) as url:
        yield Server(url, app, rag, {})
