"""PostgreSQL as users run it: two `rag serve` replicas on one database, the CLI, and the faults."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rag.config import Settings, StoreSettings
from rag.errors import ConfigError, StoreUnavailableError
from rag.testing.postgres_server import PostgresServer, free_port, missing_reason

if missing_reason():
    pytest.skip(f"PostgreSQL tests skipped: {missing_reason()}", allow_module_level=True)

import psycopg  # noqa: E402  (installed with the extra checked above)
from rag.testing.builders import CHUNKING, DIM, EMBEDDER, corpus

pytestmark = pytest.mark.slow

RAG = [sys.executable, "-c", "from rag.cli import main; main()"]
ARTICLE = ("The Quillon observatory opened on a basalt ridge in 1907. Its brass telescope, nicknamed Old "
           "Marrow, tracked comets for sixty years before the dome was sealed.")


def _env(url: str, name: str) -> dict[str, str]:
    return {**os.environ, "RAG_STORE__URL": url, "RAG_STORE__NAME": name, "RAG_LLM__BACKEND": "extractive"}


@contextmanager
def rag_serve(url: str, name: str, cwd: Path) -> Iterator[str]:
    """A real `rag serve` process on a free port, stopped on exit."""
    port = free_port()
    process = subprocess.Popen([*RAG, "serve", "--port", str(port)], cwd=cwd,
                               env=_env(url, name), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
            assert time.monotonic() < deadline, "rag serve never became ready"
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _hits(base: str, query: str) -> list[str]:
    reply = httpx.post(f"{base}/v1/search", json={"query": query, "top_k": 3}, timeout=30)
    assert reply.status_code == 200, reply.text
    return [p["doc_id"] for p in reply.json()["passages"]]


def test_two_serve_replicas_see_each_others_writes_at_once(postgres_url: str, index_name: str, tmp_path: Path):
    with rag_serve(postgres_url, index_name, tmp_path) as first, rag_serve(postgres_url, index_name, tmp_path) as second:
        reply = httpx.post(f"{first}/v1/documents", json={"documents": [
            {"id": "notes/quillon", "text": ARTICLE, "title": "Quillon observatory", "source": "tests"}]}, timeout=60)
        assert reply.status_code == 200, reply.text
        assert _hits(second, "Quillon observatory brass telescope")[0] == "notes/quillon"
        total = httpx.get(f"{second}/v1/documents", params={"limit": 1}).json()["total"]
        assert httpx.get(f"{first}/v1/documents", params={"limit": 1}).json()["total"] == total
        assert httpx.delete(f"{second}/v1/documents/notes/quillon").json()["deleted"] is True
        assert "notes/quillon" not in _hits(first, "Quillon observatory brass telescope")
        answer = httpx.post(f"{second}/v1/ask", json={"question": "How much will Microsoft invest in Japan?"},
                            timeout=60).json()
        assert "2.9 billion" in answer["answer"]  # the sample corpus was seeded once, for both


def test_cli_index_search_rebuild(postgres_url: str, index_name: str, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "quillon.md").write_text(f"# Quillon observatory\n\n{ARTICLE}\n")
    run = lambda *args: subprocess.run([*RAG, *args], cwd=tmp_path,  # noqa: E731
                                       env=_env(postgres_url, index_name), capture_output=True, text=True)
    indexed = run("index", str(docs))
    assert indexed.returncode == 0, indexed.stderr
    assert f"index {index_name!r}" in indexed.stdout and "1 added" in indexed.stdout
    found = run("search", "brass telescope comets", "--json")
    assert found.returncode == 0 and "quillon" in found.stdout
    (docs / "quillon.md").unlink()
    (docs / "other.md").write_text("# Lighthouse\n\nThe Zephyr lighthouse burned whale oil until 1911.\n")
    rebuilt = run("index", "--rebuild", str(docs))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "quillon" not in run("search", "brass telescope comets", "--json").stdout
    assert not (tmp_path / "index").exists()  # nothing was written to the folder store


def test_server_gone_mid_request_is_503_then_recovers(tmp_path: Path):
    from rag.engine import RAG
    from tests.api.conftest import serve_app

    from rag.api import create_app

    with PostgresServer() as server:
        settings = Settings(index_dir=tmp_path / "unused", store={"url": server.url, "connect_timeout": 2})
        app = create_app(settings)
        with serve_app(app) as base:
            assert _hits(base, "Microsoft Japan")  # seeded with the sample corpus
            server.stop_process()
            reply = httpx.post(f"{base}/v1/search", json={"query": "Microsoft Japan"}, timeout=30)
            assert reply.status_code == 503 and reply.headers["retry-after"], reply.text
            error = reply.json()["error"]
            assert error["code"] == "store_unavailable" and "PostgreSQL" in error["message"]
            assert "password" not in error["message"] and "retry" in error["message"]
            server.start_process()
            assert _hits(base, "Microsoft Japan")
        with RAG.open(settings=settings) as rag:
            assert rag.stats().documents > 0


def test_eval_scratch_index_is_dropped(postgres_url: str, tmp_path: Path):
    from rag.engine import RAG
    from rag.store.scratch import scratch_settings
    from rag.types import Document

    with scratch_settings(Settings(index_dir=tmp_path / "live", store={"url": postgres_url})) as scratch:
        with RAG.open(settings=scratch) as rag:
            rag.add(Document(id="q", text=ARTICLE))
        name = scratch.store.name
        assert name != "default"
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT to_regnamespace(%s)", (f"rag_{name}",)).fetchone() == (None,)
    assert not (tmp_path / "live").exists()


def _open(url: str, **kwargs):
    from rag.store.postgres.store import PostgresStore

    return PostgresStore.open(StoreSettings(url=url, connect_timeout=2),
                              **{"embedder_id": EMBEDDER, "dimension": DIM, "chunking": CHUNKING, **kwargs})


def test_wrong_urls_say_what_is_wrong(postgres_server: PostgresServer):
    with pytest.raises(ConfigError, match="postgresql://"):
        _open("mysql://root@127.0.0.1/db")
    with pytest.raises(ConfigError, match="not a valid PostgreSQL URL"):
        _open("postgresql://[broken")
    with pytest.raises(StoreUnavailableError, match=r"cannot connect.*127\.0\.0\.1:\d+/postgres.*RAG_STORE__URL"):
        _open(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    with pytest.raises(StoreUnavailableError, match='database "nosuchdb" does not exist'):
        _open(postgres_server.url.rsplit("/", 1)[0] + "/nosuchdb")


def test_database_without_pgvector_says_how_to_add_it(postgres_server: PostgresServer, index_name: str):
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {index_name} LOGIN")
        admin.execute(f"CREATE DATABASE {index_name}")
    url = f"postgresql://{index_name}@127.0.0.1:{postgres_server.port}/{index_name}"
    with pytest.raises(ConfigError, match=r"no pgvector extension.*CREATE EXTENSION vector"):
        _open(url)


def test_nul_characters_are_stored(postgres_url: str, index_name: str):
    from rag.testing.builders import make_doc

    doc = make_doc("nul", ["binary\x00junk about comets"])
    doc.title, doc.metadata = "t\x00", {"k": "v\x00"}
    with _open(postgres_url, index_name=index_name) as store:
        store.write([doc])
        (hit,) = store.chunks(store.lexical_search("comets", 1)[1])
        assert hit.text == "binary\ufffdjunk about comets" and len(hit.text) == hit.end - hit.start
        assert (hit.title, hit.metadata) == ("t\ufffd", {"k": "v\ufffd"})


def test_mismatch_hint_names_the_index_setting(postgres_url: str, index_name: str):
    from rag.errors import IndexMismatchError

    _open(postgres_url, index_name=index_name).close()
    with pytest.raises(IndexMismatchError, match="dimension 16.*64.*RAG_STORE__NAME"):
        _open(postgres_url, index_name=index_name, dimension=64)


def test_rows_are_in_sql_tables(postgres_url: str, index_name: str):
    """Other tools (psql, dashboards, backups) see plain tables: one schema per index."""
    with _open(postgres_url, index_name=index_name) as store:
        store.write(corpus())
        version = store.version()
        store.delete(["apple"])
        assert store.version() == version + 1
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(f"SELECT doc_id, count(*) FROM rag_{index_name}.chunks GROUP BY doc_id ORDER BY 1")
        assert rows.fetchall() == [("market", 2), ("volcano", 2)]


def test_bench_compares_both_stores_on_the_same_corpus(postgres_url: str):
    from rag.bench.postgres_suite import compare_stores, hnsw_recall, report_rows

    sizes = {"300": compare_stores(postgres_url, 300, 10, seed=3)}
    run = sizes["300"]
    assert run["postgres"]["chunks"] == run["folder"]["chunks"] > 200
    assert run["postgres"]["hit_at_5"] == run["folder"]["hit_at_5"] > 0.8
    hnsw = hnsw_recall(postgres_url, 400, 10, seed=3, dim=32)
    assert hnsw["recall_at_10"] >= 0.9
    rows = report_rows({"sizes": sizes, "hnsw": hnsw})
    assert rows[0][0] == "[postgres 300] ingest chunks/s" and rows[-2][0].startswith("[postgres HNSW 400 x 32]")
