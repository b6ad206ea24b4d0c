"""Real processes on one index: `rag serve --workers 2`, a CLI writer, API uploads and deletes at once.

Every worker must see every commit, whichever process made it: each search below goes over a
fresh connection, so it lands on either worker.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.processes import RAG, rag_env, rag_serve

pytestmark = pytest.mark.slow

DELETED = ["microsoft-japan-investment.md", "aws-oracle-japan-cloud.md"]
# Words found only in the documents to delete, to prove no worker still serves them.
DELETED_PROBES = {"microsoft-japan-investment.md": "deflation", "aws-oracle-japan-cloud.md": "Oracle Japanese appetite"}


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[str]:
    with rag_serve(tmp_path / "index", tmp_path / "serve.log", "--workers", "2") as url:
        yield url


def _top_doc(url: str, query: str) -> list[str]:
    # A new client per call: a new connection, so the kernel may hand it to either worker.
    with httpx.Client(base_url=url, timeout=30) as http:
        reply = http.post("/v1/search", json={"query": query, "top_k": 3, "mode": "lexical"})
        assert reply.status_code == 200, reply.text
        return [p["doc_id"] for p in reply.json()["passages"]]


def _upload(url: str, i: int, errors: list[str]) -> None:
    doc = {"id": f"api-{i}", "text": f"The harbour log names the ship Velkan{i} as the tender of pier {i}."}
    with httpx.Client(base_url=url, timeout=60) as http:
        reply = http.post("/v1/documents", json={"documents": [doc]})
        if reply.status_code != 200:
            errors.append(f"upload {i}: {reply.status_code} {reply.text}")


def test_two_workers_a_cli_writer_and_api_writes_lose_nothing(workers: str, tmp_path: Path) -> None:
    url = workers
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"cli-{i}.md").write_text(f"# Note {i}\n\nThe lighthouse keeper Orlanth{i} logged a storm.\n")
    errors: list[str] = []
    threads = [threading.Thread(target=_upload, args=(url, i, errors)) for i in range(8)]
    cli = subprocess.Popen([*RAG, "index", str(docs)], env=rag_env(tmp_path / "index"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    for thread in threads:
        thread.start()
    for doc_id in DELETED:
        reply = httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=60)
        assert reply.status_code == 200, reply.text
    for thread in threads:
        thread.join()
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, err
    assert not errors, errors

    expected = {f"Velkan{i}": f"api-{i}" for i in range(8)} | {f"Orlanth{i}": f"cli-{i}.md" for i in range(6)}
    deadline = time.monotonic() + 1.0  # every commit is done: each worker must show it within a second
    for word, doc_id in expected.items():
        for _ in range(3):
            hits = _top_doc(url, word)
            while (not hits or hits[0] != doc_id) and time.monotonic() < deadline:
                time.sleep(0.05)
                hits = _top_doc(url, word)
            assert hits and hits[0] == doc_id, (word, hits)
    for doc_id, probe in DELETED_PROBES.items():
        for _ in range(6):
            assert doc_id not in _top_doc(url, probe)
    listed = httpx.get(f"{url}/v1/documents", params={"limit": 1000}).json()
    ids = {d["doc_id"] for d in listed["documents"]}
    assert set(expected.values()) <= ids and not ids & set(DELETED)


def test_a_commit_on_one_worker_is_seen_by_the_other_at_once(workers: str) -> None:
    url = workers
    for i in range(4):
        reply = httpx.post(f"{url}/v1/documents", timeout=60, json={"documents": [
            {"id": f"fresh-{i}", "text": f"The signal tower Quendrel{i} was repainted."}]})
        assert reply.status_code == 200, reply.text
        for _ in range(4):  # no retry: the next request on any worker must already see it
            assert _top_doc(url, f"Quendrel{i}")[:1] == [f"fresh-{i}"]
        assert httpx.delete(f"{url}/v1/documents/fresh-{i}", timeout=60).status_code == 200
        for _ in range(4):
            assert f"fresh-{i}" not in _top_doc(url, f"Quendrel{i}")
