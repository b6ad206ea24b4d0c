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
    "print('SPACY', 'spacy' in sys.modules, file=sys.stderr)\n"
    "answering = ('rag.answer.pipeline', 'rag.answer.facts', 'numpy.ma')\n"
    "extra = [m for m in ('scipy', 'jinja2', *answering, 'fastapi', 'uvicorn') if m in sys.modules]\n"
    "print('ANSWERING_OR_SERVING', extra, file=sys.stderr)\n"
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
    assert "SPACY False" in result.stderr  # the entity model is for answers only
    # Cold start: a search loads neither the answer pipeline and its sentence analysis, nor the
    # server (nor scipy, nor numpy.ma, which numpy's hash-based unique pulls in).
    assert "ANSWERING_OR_SERVING []" in result.stderr


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


def test_a_disagreement_between_sources_is_noted_once(workdir: Path) -> None:
    # The sample articles give two amounts for the university partnerships.
    result = rag_cli("ask", "How much money backs the AI partnerships between US and Japanese universities?", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Sources differ") == 1, result.stdout


def test_an_unanswerable_question_abstains_without_citations(workdir: Path) -> None:
    result = rag_cli("ask", "How much is Microsoft investing in South Korea?", "--json", cwd=workdir)
    answer = json.loads(result.stdout)
    assert answer["abstained"] is True and answer["citations"] == []


def test_an_empty_question_is_a_clear_error(workdir: Path) -> None:
    result = rag_cli("ask", "   ", cwd=workdir)
    assert result.returncode == 2
    assert "empty" in result.stderr


def test_json_errors_are_json(workdir: Path) -> None:
    result = rag_cli("ask", "--json", "--llm", "openai", "Who leads Microsoft AI London?", cwd=workdir,
                     env={"RAG_LLM__MODEL": ""})
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "RAG_LLM__MODEL" in error["message"]
    usage = rag_cli("search", "--json", "--nope", "x", cwd=workdir)
    assert usage.returncode == 2 and "--nope" in json.loads(usage.stdout)["error"]["message"]


def test_help_shows_plain_flags(workdir: Path) -> None:
    result = rag_cli("index", "--help", cwd=workdir)
    assert result.returncode == 0
    assert "--rebuild" in result.stdout and "<bool>" not in result.stdout
    assert "--include" in result.stdout and "--exclude" in result.stdout


def test_index_include_exclude_globs_and_plural_errors(workdir: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "news").mkdir(parents=True)
    (docs / "README.md").write_text("# About this folder\n\nNotes for editors, not an article.\n")
    (docs / "news" / "harbour.md").write_text("# Harbour\n\nThe Corlin harbour handles four hundred ships.\n")
    (docs / "news" / "tram.txt").write_text("Trams in Corlin run every ten minutes during the day.\n")
    for name in ("a.txt", "b.txt"):
        (docs / name).write_bytes(b"\xff\xfe broken")
    index_dir = tmp_path / "idx"
    result = rag_cli("index", str(docs), "--exclude", "README.md", "--exclude", "*.txt", "--index-dir",
                     str(index_dir), "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    ids = {item["doc_id"] for item in json.loads(result.stdout)["report"]["items"]}
    assert ids == {"news/harbour.md"}
    again = rag_cli("index", str(docs), "--include", "*.txt", "--index-dir", str(index_dir), cwd=workdir)
    assert "1 added, 2 errors;" in again.stdout  # tram.txt added; a.txt and b.txt are not UTF-8
    quoted = rag_cli("index", str(docs / "news" / "*.md"), "--index-dir", str(index_dir), cwd=workdir)
    assert "1 duplicate" in quoted.stdout  # the quoted glob found the file (indexed already, by another id)
    missing = rag_cli("index", str(docs / "nothing" / "*.md"), "--index-dir", str(index_dir), cwd=workdir)
    assert missing.returncode == 2 and "nothing at" in missing.stderr


def test_documents_list_and_delete(workdir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    note = tmp_path / "ferry.md"
    note.write_text("# Ferry notes\n\nThe Quokka ferry carries forty cyclists.\n")
    assert rag_cli("index", str(note), "--index-dir", str(index_dir), cwd=workdir).returncode == 0
    listed = rag_cli("documents", "list", "--index-dir", str(index_dir), "--json", cwd=workdir)
    page = json.loads(listed.stdout)
    assert page["total"] == 1 and page["documents"][0]["title"] == "Ferry notes"
    plain = rag_cli("documents", "list", "--index-dir", str(index_dir), cwd=workdir)
    assert "ferry.md — Ferry notes" in plain.stdout and "1-1 of 1 documents" in plain.stderr and "1 passage" in plain.stdout
    deleted = rag_cli("documents", "delete", "ferry.md", "nope.md", "--index-dir", str(index_dir), cwd=workdir)
    assert deleted.returncode == 1 and "deleted ferry.md" in deleted.stdout and "not found: nope.md" in deleted.stderr
    after = json.loads(rag_cli("documents", "list", "--index-dir", str(index_dir), "--json", cwd=workdir).stdout)
    assert after["total"] == 0


@pytest.mark.slow
def test_eval_takes_several_corpus_paths_and_quoted_globs(workdir: Path, tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[1] / "rag" / "sample_corpus"
    gold = Path(__file__).resolve().parents[1] / "eval" / "gold" / "dev.jsonl"
    files = sorted(str(p) for p in corpus.glob("*.md"))
    one = tmp_path / "one.jsonl"  # one gold question keeps the two runs short
    one.write_text(gold.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    for args in ([*files], [str(corpus / "*.md")]):
        result = rag_cli("eval", "--gold", str(one), "--corpus", *args, "--out", str(tmp_path / "out"), "--json",
                         cwd=workdir)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["summary"]
    stray = rag_cli("eval", "--gold", str(gold), *files[:1], cwd=workdir)
    assert stray.returncode == 2 and "go after --corpus" in stray.stderr
    missing = rag_cli("eval", "--gold", str(gold), "--corpus", str(tmp_path / "none" / "*.txt"), "--json", cwd=workdir)
    assert missing.returncode == 2 and "matched nothing" in json.loads(missing.stdout)["error"]["message"]


def test_a_failed_rebuild_keeps_the_old_index(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pier.md").write_text("# Pier\n\nThe Velmar pier is four hundred metres long.\n", encoding="utf-8")
    index = str(tmp_path / "idx")
    assert rag_cli("index", str(docs), "--index-dir", index, cwd=tmp_path).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\xff\xfe not UTF-8")
    for bad, why in (([str(tmp_path / "no-such-folder")], "nothing at"), ([str(empty)], "holds no document"),
                     ([str(docs), str(broken)], "failed")):
        result = rag_cli("index", "--rebuild", *bad, "--index-dir", index, cwd=tmp_path)
        assert result.returncode in (1, 2) and why in result.stderr, result.stderr
        listed = rag_cli("search", "Velmar pier", "--json", "--index-dir", index, cwd=tmp_path)
        assert json.loads(listed.stdout)[0]["doc_id"].endswith("pier.md")  # the old index is still there
    (docs / "quay.md").write_text("# Quay\n\nThe Ostra quay opened in spring.\n", encoding="utf-8")
    (docs / "pier.md").unlink()
    assert rag_cli("index", "--rebuild", str(docs), "--index-dir", index, cwd=tmp_path).returncode == 0
    found = json.loads(rag_cli("search", "pier quay", "--json", "--index-dir", index, cwd=tmp_path).stdout)
    assert [p["doc_id"] for p in found] == [found[0]["doc_id"]] and found[0]["doc_id"].endswith("quay.md")
    assert sorted(os.listdir(tmp_path)) == ["broken.txt", "docs", "empty", "idx"]  # no build folder left behind


def test_a_rebuild_reaches_an_index_that_another_process_has_open(tmp_path: Path) -> None:
    from rag import RAG, Document

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pier.md").write_text("# Pier\n\nThe Velmar pier is four hundred metres long.\n", encoding="utf-8")
    index = tmp_path / "idx"
    assert rag_cli("index", str(docs), "--index-dir", str(index), cwd=tmp_path).returncode == 0
    server = RAG.open(index)  # as a running server would hold it
    assert server.search("Velmar pier", 1)[0].doc_id.endswith("pier.md")
    (docs / "pier.md").unlink()
    (docs / "quay.md").write_text("# Quay\n\nThe Ostra quay opened in spring.\n", encoding="utf-8")
    assert rag_cli("index", "--rebuild", str(docs), "--index-dir", str(index), cwd=tmp_path).returncode == 0
    assert [d.doc_id for d in server.documents()] == ["quay.md"]  # switched, nothing stale
    assert [p.doc_id for p in server.search("Ostra quay", 3)] == ["quay.md"]
    server.add(Document(id="late", text="The Lumen ferry docks at the Ostra quay."))  # lands in the new index
    server.close()
    with RAG.open(index) as fresh:
        assert sorted(d.doc_id for d in fresh.documents()) == ["late", "quay.md"]
