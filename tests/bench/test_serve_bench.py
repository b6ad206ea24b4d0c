"""The HTTP throughput section drives a real `rag serve` on loopback and reports comparable figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.bench.load import drive
from rag.bench.serve_suite import Server, build_index, targets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    index_dir = tmp_path_factory.mktemp("serve-bench") / "index"
    assert build_index(index_dir, []) > 0
    srv = Server(index_dir, workers=1)
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()
    assert srv.proc.poll() is not None  # stopped with its whole process group


@pytest.mark.parametrize("tool", ["asyncio", "wrk"])
def test_every_endpoint_answers_under_load(server: Server, tool: str) -> None:
    if tool == "wrk" and shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk)")
    for target in targets():
        r = drive(server.url, target, connections=2, seconds=1.0, tool=tool)
        assert r["tool"] == tool
        assert r["errors"] == 0, (target.name, r)
        assert r["requests"] >= 2 and r["req_per_s"] > 0
        assert 0 < r["p50"] <= r["p95"] <= r["p99"]


def test_streamed_chat_is_read_to_the_end(server: Server) -> None:
    # The load client must count a streamed answer only once its last event arrived.
    import httpx

    chat = targets()[2]
    with httpx.stream("POST", server.url + chat.path, json=chat.body, timeout=30) as resp:
        body = "".join(resp.iter_text())
    assert resp.status_code == 200 and body.rstrip().endswith("data: [DONE]")


def test_bench_serve_writes_ratios(tmp_path) -> None:
    import typer

    from rag.bench.command import bench_command

    app = typer.Typer()
    app.command()(bench_command)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["--serve", "--workers", "1", "--connections", "2", "--duration", "1",
                                      "--load-tool", "asyncio", "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    serve = json.loads((out / "bench.json").read_text())["serve"]
    assert set(serve["endpoints"]) == {"healthz", "ask", "chat_stream"}
    assert all(r["errors"] == 0 for r in serve["endpoints"].values()), serve
    assert set(serve["ratio_to_healthz"]) == {"ask", "chat_stream"}
    if Path("/proc/self/stat").exists():  # CPU accounting reads /proc
        cpu = {name: r["server_cpu_ms"] for name, r in serve["endpoints"].items()}
        assert all(ms > 0 for ms in cpu.values()), cpu
        assert cpu["ask"] > cpu["healthz"], cpu  # an answer costs more than a liveness probe
        assert set(serve["cpu_ratio_to_healthz"]) == {"ask", "chat_stream"}
    assert "vs /healthz" in result.output


def test_bench_serve_rejects_a_missing_corpus(tmp_path) -> None:
    import typer

    from rag.bench.command import bench_command

    app = typer.Typer()
    app.command()(bench_command)
    result = CliRunner().invoke(app, ["--serve", "--serve-corpus", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "no such file or folder" in result.output
