from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rag.evaluation import command
from rag.evaluation.command import check_gates, eval_command, parse_compare
from tests.evaluation.conftest import FakeRag

GOLD_LINES = [
    {"id": "g1", "question": "How much money went to research grants?", "answers": ["2.9 billion"], "sources": ["budget"]},
    {"id": "g2", "question": "How many berths will the harbour add?", "answers": ["four"]},
]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, fake_rag: FakeRag) -> typer.Typer:
    monkeypatch.setattr(command, "_open_engine", lambda index_dir, settings, seed_sample: fake_rag)
    cli = typer.Typer()
    cli.command("eval")(eval_command)
    cli.command("other")(lambda: None)  # two commands, so "eval" is a subcommand as in rag's CLI
    return cli


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in GOLD_LINES) + "\n")
    return path


def invoke(app: typer.Typer, *args: str):  # noqa: ANN201
    return CliRunner().invoke(app, ["eval", *args])


def test_passes_gates_and_writes_reports(app: typer.Typer, gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(app, "--gold", str(gold), "--out", str(out), "--min-str-em", "0.9", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["summary"]["default"]["all"]["str_em"] == 1.0 and payload["failures"] == []
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md"}


def test_gate_failure_exits_1_naming_the_metric(app: typer.Typer, gold: Path, tmp_path: Path, fake_rag: FakeRag) -> None:
    fake_rag.answers["How many berths will the harbour add?"] = ("No idea.", [], True)
    result = invoke(app, "--gold", str(gold), "--out", str(tmp_path / "o"), "--min-str-em", "0.9",
                    "--max-false-abstention", "0.1", "--min-recall-at-5", "0.5")
    assert result.exit_code == 1
    assert "str_em = 0.500 is below the minimum 0.9" in result.output
    assert "false_abstention_rate = 0.500 is above the maximum 0.1" in result.output
    assert "answer_recall@5" not in result.output


def test_bad_gold_file_exits_2_with_file_and_line(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(GOLD_LINES[0]) + "\n{oops\n")
    result = invoke(app, "--gold", str(bad), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert f"{bad}: line 2: bad JSON" in result.output


@pytest.mark.parametrize("args", [[], ["--compare", "mode=fast"], ["--mode", "fuzzy"], ["--compare", "chunk=64"]])
def test_usage_errors_exit_2(app: typer.Typer, gold: Path, tmp_path: Path, args: list[str]) -> None:
    gold_args = ["--gold", str(gold)] if args else []
    result = invoke(app, *gold_args, *args, "--out", str(tmp_path / "o"))
    assert result.exit_code == 2, result.output
    assert "error:" in result.output


def test_compare_with_corpus_runs_baseline_side_by_side(app: typer.Typer, gold: Path, tmp_path: Path,
                                                        fake_rag: FakeRag) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ports.txt").write_text("The harbour expansion will add four new berths by 2027.")
    result = invoke(app, "--gold", str(gold), "--corpus", str(corpus), "--compare", "hybrid", "--compare", "bm25",
                    "--out", str(tmp_path / "o"), "--json")
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)["summary"]) == ["hybrid", "bm25"]
    assert fake_rag.added == [[corpus]] and fake_rag.closed


def test_parse_compare() -> None:
    assert parse_compare("mode=dense").mode == "dense"
    assert parse_compare("lexical").mode == "lexical"
    config = parse_compare("name=small, chunk=128, top_k=3, llm=extractive")
    assert (config.name, config.chunk_size, config.top_k, config.llm) == ("small", 128, 3, "extractive")
    assert parse_compare("bm25").kind == "bm25"
    with pytest.raises(ValueError, match="cannot use 'chunk=0'"):
        parse_compare("chunk=0")


def test_unmeasured_metric_fails_its_gate() -> None:
    assert check_gates({}, {"min_citation_precision": 0.5})[0].startswith("citation_precision was not measured")
    assert check_gates({"str_em": 0.5}, {"min_str_em": 0.5, "max_false_abstention": None}) == []
