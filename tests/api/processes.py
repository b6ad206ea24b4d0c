"""`rag serve` and `rag index` as real processes, for the tests that need more than one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

RAG = [sys.executable, "-c", "import sys; sys.argv[0] = 'rag'; from rag.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rag_env(index: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "RAG_INDEX_DIR": str(index), "HF_HUB_OFFLINE": "1", "RAG_INGEST__WORKERS": "1", **extra}


@contextmanager
def rag_serve(index: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `rag serve ARGS` on a free loopback port until ready; yield its URL; stop it (all workers)."""
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([*RAG, "serve", "--port", str(port), *args], env=env or rag_env(index),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, url, log)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"rag serve never became ready: {log.read_text()[-2000:]}"
        time.sleep(0.2)
