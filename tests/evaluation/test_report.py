from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from rag.evaluation import report
from rag.evaluation.runner import run_eval
from tests.evaluation.conftest import FakeRag
from tests.evaluation.test_runner import GOLD


@pytest.fixture
def results(fake_rag: FakeRag):  # noqa: ANN201
    return [run_eval(fake_rag, GOLD, progress=False)]


def test_write_reports_json_markdown_and_plot(tmp_path: Path, results) -> None:  # noqa: ANN001
    paths, notes = report.write_reports(results, tmp_path / "out", {"timestamp": "now", "wall_s": 1.5})
    payload = json.loads(paths["json"].read_text())
    assert payload["wall_s"] == 1.5 and "python" in payload["versions"]
    assert payload["results"][0]["summary"]["all"]["str_em"] == 1.0
    assert len(payload["results"][0]["records"]) == 3
    markdown = paths["markdown"].read_text()
    assert "| config | split | n | errors | STR-EM |" in markdown
    assert "| id | question | gold | answer | cited sources | STR-EM |" in markdown
    assert "| g3 |" in markdown and "abstained" in markdown
    assert paths["plot"].stat().st_size > 0 and notes == []


def test_plot_is_skipped_with_a_hint_without_matplotlib(tmp_path: Path, results, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    path, note = report.write_plot(results, tmp_path / "x.png")
    assert path is None and "pip install 'rag[plot]'" in note


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    assert report._cell("a | b\nc") == "a \\| b c"


def test_print_summary_renders_a_table(results) -> None:  # noqa: ANN001
    from rich.console import Console

    console = Console(record=True, width=200)
    report.print_summary(results, console)
    text = console.export_text()
    assert "STR-EM" in text and "100.0" in text
