"""Serving throughput: a real `rag serve` on loopback driven by a bounded load, endpoint by endpoint.

`/healthz` is measured in the same run as `/v1/ask` and streamed `/v1/chat/completions`: on a
noisy machine the absolute requests/s move from run to run, the ratio ask/healthz much less.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from rag.bench.load import Target, drive

QUESTION = "How much will Microsoft invest in Japan?"


def targets(question: str = QUESTION) -> list[Target]:
    chat = {"model": "rag", "stream": True, "messages": [{"role": "user", "content": question}]}
    return [
        Target("healthz", "/healthz"),
        Target("ask", "/v1/ask", {"question": question}),
        Target("chat_stream", "/v1/chat/completions", chat),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_index(index_dir: Path, corpus: list[Path]) -> int:
    """Index `corpus` (the bundled sample when empty) into `index_dir`; returns the document count."""
    from rag import RAG
    from rag.engine import sample_corpus_dir

    with RAG.open(index_dir, seed_sample=False) as rag:
        rag.add(corpus or [sample_corpus_dir()])
        return rag.stats().documents


class Server:
    """`rag serve` in its own process group on 127.0.0.1, stopped with everything it started."""

    def __init__(self, index_dir: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "RAG_API_KEYS"}
        cmd = [
            sys.executable,
            "-c",
            "from rag.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--index-dir",
            str(index_dir),
        ]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"rag serve exited {self.proc.returncode}: {self.log.read().decode()[-400:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"rag serve was not ready after {timeout:.0f} s")

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the server and its workers (its process group); None off Linux."""
        return process_group_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def run_serve(
    corpus: list[Path], workers: int, connections: int, seconds: float, tool: str = "auto", question: str = QUESTION
) -> dict[str, Any]:
    """Build an index, start `rag serve --workers N`, and drive each endpoint in turn."""
    with tempfile.TemporaryDirectory(prefix="rag-bench-serve-") as tmp:
        index_dir = Path(tmp) / "index"
        documents = build_index(index_dir, corpus)
        server = Server(index_dir, workers)
        try:
            server.wait_ready()
            for target in targets(question):  # warm every worker's caches before measuring
                drive(server.url, target, connections, 1.0, tool)
            results = {t.name: drive_counting_cpu(server, t, connections, seconds, tool) for t in targets(question)}
        finally:
            server.stop()
    health = results["healthz"].get("req_per_s")
    ratios = {
        name: round(r["req_per_s"] / health, 3)
        for name, r in results.items()
        if name != "healthz" and health and "req_per_s" in r
    }
    return {
        "workers": workers,
        "connections": connections,
        "documents": documents,
        "question": question,
        "endpoints": results,
        "ratio_to_healthz": ratios,
        "cpu_ratio_to_healthz": cpu_ratios(results),
    }


def drive_counting_cpu(server: Server, target: Target, connections: int, seconds: float, tool: str) -> dict[str, Any]:
    """`drive`, plus the server's CPU milliseconds per request.

    On a machine shared with other work, requests/s follow whatever else runs; the server's own
    CPU time per request does not, and says how many requests/s its cores could serve.
    """
    before = server.cpu_seconds()
    result = drive(server.url, target, connections, seconds, tool)
    after = server.cpu_seconds()
    if before is not None and after is not None and result.get("requests"):
        result["server_cpu_ms"] = round((after - before) * 1000 / result["requests"], 3)
    return result


def cpu_ratios(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """healthz's CPU per request over each endpoint's: the ask/healthz throughput ratio of CPU-bound servers."""
    health = results.get("healthz", {}).get("server_cpu_ms")
    return {
        name: round(health / r["server_cpu_ms"], 3)
        for name, r in results.items()
        if name != "healthz" and health and r.get("server_cpu_ms")
    }


def process_group_cpu(pgid: int) -> float | None:
    """User + system CPU seconds of the live processes in group `pgid`, read from /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited while we read
        if int(fields[2]) == pgid:  # fields[2] is the process group (field 5 of stat)
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / ticks
