"""The README's commands, run as written, so the README cannot drift from the code.

Fenced blocks whose info string has the word `offline` (```bash offline, ```python offline) are
run in order in one temporary folder, with HOME pointed at another, both holding the files the
README names (~/articles, notes.md, feed.jsonl). A block marked `server` as well starts with the
server command: that line runs in the background (on a free port instead of 8000) until the
test ends, and the following `server` blocks talk to it. Every block must exit 0 and print no
error. The set-up commands at the top (a fresh venv and install) are what `.ci/run` runs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.M | re.S)
MIN_BLOCKS = 5  # as marked today: a lost marker (or a reworded fence) must not skip blocks silently


@dataclass
class Block:
    language: str
    tags: set[str]
    code: str
    line: int


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [
        Block(m.group(1), set(m.group(2).split()), m.group(3), text.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(text)
        if "offline" in m.group(2).split()
    ]


def test_the_readme_marks_its_runnable_blocks() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= MIN_BLOCKS, f"only {len(blocks)} README blocks are marked offline"
    assert {b.language for b in blocks} == {"bash", "python"}
    assert sum("server" in b.tags for b in blocks) >= 2


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working folder and a home holding the files the README's examples name."""
    home, work = tmp_path / "home", tmp_path / "work"
    articles = home / "articles"
    (articles / "drafts").mkdir(parents=True)
    work.mkdir()
    (articles / "harbour.md").write_text("# Corlin harbour\n\nThe Corlin harbour handles 400 ships a month.\n")
    (articles / "README.md").write_text("# About these articles\n\nNotes for editors.\n")
    (articles / "drafts" / "tram.txt").write_text("Trams in Corlin may run all night from May.\n")
    (work / "notes.md").write_text("# Ferry notes\n\nThe Quokka ferry carries forty cyclists.\n")
    (work / "feed.jsonl").write_text('{"id": "feed-1", "text": "Quokka Island has no cars.", "title": "Island"}\n')
    env = {**os.environ, "HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("RAG_INDEX_DIR", None)
    env.pop("RAG_API_KEYS", None)
    return work, env


@pytest.mark.slow
def test_readme_blocks_run_as_written(folders: tuple[Path, dict[str, str]]) -> None:
    if shutil.which("curl") is None:
        pytest.fail("the README's HTTP examples use curl; install it (apt-get install curl)")
    work, env = folders
    port = _free_port()
    with _servers() as started:
        for block in readme_blocks():
            code = block.code.replace("8000", str(port)) if "server" in block.tags else block.code
            if "server" in block.tags and not started:
                first, _, code = code.partition("\n")
                started.append(_start_server(first, work, env, port))
            output = _run(block, code, work, env)
            assert "Traceback" not in output and '{"error"' not in output, (block.line, output[-3000:])


def _run(block: Block, code: str, work: Path, env: dict[str, str]) -> str:
    if block.language == "python":
        command = [sys.executable, "-c", code]
    else:
        command = ["bash", "-euo", "pipefail", "-c", code]
    result = subprocess.run(command, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"README line {block.line}: exit {result.returncode}\n{output[-3000:]}"
    return output


def _start_server(line: str, work: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    command = line.split("#", 1)[0].strip()
    log = work.parent / "server.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", command], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"`{command}` did not become ready on port {port}")


class _servers:
    """Started servers, stopped (their whole process group) when the test ends."""

    def __enter__(self) -> list[subprocess.Popen]:
        self.started: list[subprocess.Popen] = []
        return self.started

    def __exit__(self, *exc: object) -> None:
        for process in self.started:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
