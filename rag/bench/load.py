"""A bounded HTTP load against one endpoint: wrk when it is installed, else a built-in asyncio client.

Both drivers report the same figures (requests/s, p50/p95/p99 in ms, errors) so that the ratios
between endpoints measured in one run mean the same whichever driver ran. Every run is bounded in
time and in request count, and only ever targets the URL it is given (the caller binds loopback).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_REQUESTS = 200_000  # a hard stop for the asyncio driver, whatever the duration


@dataclass(frozen=True)
class Target:
    """One endpoint to drive: `GET path`, or `POST path` with a JSON body."""

    name: str
    path: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return "GET" if self.body is None else "POST"

    def all_headers(self) -> dict[str, str]:
        return {**({"Content-Type": "application/json"} if self.body is not None else {}), **self.headers}


def drive(base_url: str, target: Target, connections: int, seconds: float, tool: str = "auto") -> dict[str, Any]:
    """Load `target` for `seconds` with `connections` concurrent clients; tool is auto, wrk or asyncio."""
    use_wrk = tool == "wrk" or (tool == "auto" and shutil.which("wrk") is not None)
    if use_wrk:
        return drive_wrk(base_url, target, connections, seconds)
    return asyncio.run(drive_asyncio(base_url, target, connections, seconds))


# wrk reports latency in microseconds; done() prints one JSON line that drive_wrk parses.
_WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RAGJSON {{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for our ASCII bodies


def drive_wrk(base_url: str, target: Target, connections: int, seconds: float) -> dict[str, Any]:
    headers = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in target.all_headers().items())
    body = _lua_string(json.dumps(target.body)) if target.body is not None else "nil"
    script = _WRK_SCRIPT.format(method=_lua_string(target.method), body=body, headers=headers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        cmd = [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            fh.name,
            base_url.rstrip("/") + target.path,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(fh.name).unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RAGJSON ")), None)
    if line is None:
        return {"error": f"wrk exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-200:]}"}
    raw = json.loads(line[len("RAGJSON ") :])
    duration = raw["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "connections": connections,
        "seconds": round(duration, 2),
        "requests": raw["requests"],
        "req_per_s": round(raw["requests"] / duration, 1),
        **{q: round(raw[q] / 1000, 2) for q in ("p50", "p95", "p99")},
        "errors": raw["non_2xx"] + raw["socket_errors"],
    }


async def drive_asyncio(base_url: str, target: Target, connections: int, seconds: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline and len(latencies) + errors < MAX_REQUESTS:
            start = time.perf_counter()
            try:
                # Reading the whole body matters for streamed endpoints: latency is to the last byte.
                async with client.stream(target.method, target.path, json=target.body, headers=target.headers) as resp:
                    async for _ in resp.aiter_raw():
                        pass
                ok = 200 <= resp.status_code < 300
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                errors += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10.0) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)  # noqa: E731
    return {
        "tool": "asyncio",
        "connections": connections,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50": pick(0.50),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "errors": errors,
    }
