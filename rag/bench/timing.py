"""Timing helpers: latency percentiles, peak memory, and running one measurement in a subprocess."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank) of latencies in milliseconds, rounded to microseconds."""
    if not ms:
        return {"p50": float("nan"), "p95": float("nan")}
    ordered = sorted(ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(pick(0.5), 4), "p95": round(pick(0.95), 4)}


def latencies(fn: Callable[[T], Any], items: Iterable[T], warmup: int = 3) -> list[float]:
    """Milliseconds of `fn(item)` for each item, after calling it on the first `warmup` items."""
    items = list(items)
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """(result, seconds)."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """Current resident memory of this process."""
    try:
        with open("/proc/self/statm") as fh:
            return round(int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except OSError:
        return float("nan")


def dir_size_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
    return round(total / 2**20, 2)


def run_task(task: str, args: dict[str, Any], out_file: Path, timeout: float) -> dict[str, Any]:
    """Run `rag.bench.worker <task>` in a fresh interpreter so its peak memory is its own."""
    cmd = [sys.executable, "-m", "rag.bench.worker", task, json.dumps(args), str(out_file)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    if proc.returncode != 0 or not out_file.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    return json.loads(out_file.read_text(encoding="utf-8"))
