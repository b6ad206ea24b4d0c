#!/usr/bin/env python
"""Throughput and latency of POST /v1/ask over HTTP, at several client concurrencies.

Starts `rag.api.asgi:app` with uvicorn in a subprocess on a free loopback port (so the clients
do not share the server's GIL), once per corpus: the bundled sample corpus and, when present,
../shared/corpus, each indexed into a temp dir. Prints a table; --json writes the numbers.

    python scripts/bench_server.py --levels 1,8,32 --requests 200 --json bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
QUESTIONS = [
    "How much will Microsoft invest in Japan?",
    "How many people does Microsoft want to train in AI skills?",
    "Where are Microsoft's Azure data centre regions in Japan?",
    "What is GENIAC?",
    "How much does Amazon Web Services plan to invest in Japanese data centres?",
    "Who welcomed the Microsoft commitment?",
]


def build_index(corpus: Path | None, index_dir: Path) -> dict:
    """Index `corpus` (None: the bundled sample) and return the index stats."""
    from rag.config import Settings
    from rag.engine import RAG

    settings = Settings(index_dir=index_dir)
    with RAG.open(index_dir, settings=settings, seed_sample=corpus is None) as rag:
        if corpus is not None:
            rag.add([corpus])
        return rag.stats().model_dump()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(index_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir)}
    env.pop("_RAG_SERVE_SETTINGS_JSON", None)
    cmd = [sys.executable, "-m", "uvicorn", "rag.api.asgi:app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not become ready within 120 s")


def run_level(url: str, clients: int, requests: int) -> dict:
    """`requests` asks spread over `clients` threads, each with its own keep-alive connection."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60) as http:
            for n in counter:  # shared iterator: threads take the next request number
                started = time.perf_counter()
                reply = http.post("/v1/ask", json={"question": QUESTIONS[n % len(QUESTIONS)]})
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors += reply.status_code != 200

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"clients": clients, "requests": len(latencies), "errors": errors, "seconds": round(wall, 3),
            "rps": round(len(latencies) / wall, 1), "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1)}


def bench_corpus(name: str, corpus: Path | None, levels: list[int], requests: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        stats = build_index(corpus, index_dir)
        proc, url = start_server(index_dir)
        try:
            run_level(url, 2, 10)  # warm-up: first-request costs stay out of the numbers
            rows = [run_level(url, clients, requests) for clients in levels]
        finally:
            proc.terminate()
            proc.wait(10)
    return {"corpus": name, "documents": stats["documents"], "chunks": stats["chunks"], "levels": rows}


def print_table(results: list[dict]) -> None:
    print(f"{'corpus':<14}{'docs':>6}{'chunks':>8}{'clients':>9}{'req':>6}{'err':>5}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for result in results:
        for row in result["levels"]:
            print(f"{result['corpus']:<14}{result['documents']:>6}{result['chunks']:>8}{row['clients']:>9}"
                  f"{row['requests']:>6}{row['errors']:>5}{row['rps']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,8,32", help="client concurrencies, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="requests per level")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--no-shared", action="store_true", help="skip ../shared/corpus even when present")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    corpora: list[tuple[str, Path | None]] = [("sample", None)]
    if SHARED_CORPUS.is_dir() and not args.no_shared:
        corpora.append(("shared", SHARED_CORPUS))
    results = [bench_corpus(name, path, levels, args.requests) for name, path in corpora]
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps({"endpoint": "/v1/ask", "results": results}, indent=2))


if __name__ == "__main__":
    main()
