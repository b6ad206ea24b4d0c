"""The `rag` command as a user runs it: a fresh directory, JSON for scripts, no torch on the default path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the CLI in-process, then reports which model libraries got imported on the way.
NO_TORCH = (
    "import sys; sys.argv = ['rag'] + sys.argv[1:]\n"
    "from rag.cli import main\n"
    "code = 0\n"
    "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code or 0\n"
    "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
    "print('HEAVY', heavy, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def rag_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", NO_TORCH, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


def test_first_ask_in_an_empty_directory_indexes_the_sample_corpus(workdir: Path) -> None:
    result = rag_cli("ask", "How much will Microsoft invest in Japan?", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "2.9 billion" in result.stdout and "[1]" in result.stdout
    assert "Sources:" in result.stdout
    assert "sample corpus" in result.stderr
    assert (workdir / "index" / "default" / "manifest.json").is_file()
    assert "HEAVY []" in result.stderr


def test_search_json_is_machine_readable_and_loads_no_model_library(workdir: Path) -> None:
    result = rag_cli("search", "Azure data centres", "--json", "-k", "3", cwd=workdir)
    assert result.returncode == 0, result.stderr
    passages = json.loads(result.stdout)
    assert len(passages) == 3
    assert {"chunk_id", "doc_id", "title", "source", "text", "start", "end", "score", "scores"} <= set(passages[0])
    assert "HEAVY []" in result.stderr


def test_index_reports_per_file_problems_and_keeps_going(workdir: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.md").write_text("# Harbour\n\nThe Corlin harbour handles four hundred ships a month.\n", encoding="utf-8")
    (docs / "bad.txt").write_bytes(b"\xff\xfe\x00\x00broken")
    index_dir = tmp_path / "idx"
    result = rag_cli("index", str(docs), "--index-dir", str(index_dir), "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    statuses = {Path(i["source"] or "").name: i["status"] for i in report["report"]["items"]}
    assert statuses["ok.md"] == "added" and statuses["bad.txt"] == "error"
    again = rag_cli("index", str(docs), "--index-dir", str(index_dir), cwd=workdir)
    assert "1 unchanged" in again.stdout


def test_index_dir_from_the_environment(workdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "env-index"
    result = rag_cli("ask", "What is GENIAC?", "--json", cwd=workdir, env={"RAG_INDEX_DIR": str(target)})
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["citations"] and not answer["abstained"]
    assert (target / "manifest.json").is_file()


def test_an_unanswerable_question_abstains_without_citations(workdir: Path) -> None:
    result = rag_cli("ask", "How much is Microsoft investing in South Korea?", "--json", cwd=workdir)
    answer = json.loads(result.stdout)
    assert answer["abstained"] is True and answer["citations"] == []


def test_an_empty_question_is_a_clear_error(workdir: Path) -> None:
    result = rag_cli("ask", "   ", cwd=workdir)
    assert result.returncode == 2
    assert "empty" in result.stderr
