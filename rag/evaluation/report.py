"""Eval reports: a rich table on the terminal, JSON (everything), Markdown (tables) and a recall@k plot."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from rag.evaluation.runner import ALL, KS, EvalResult, QuestionRecord

# (column title, summary key, kind): kind "pct" prints as a percentage, "ms" as milliseconds.
COLUMNS: list[tuple[str, str, str]] = [
    ("STR-EM", "str_em", "pct"),
    ("Words", "answer_words", "num"),
    ("F1", "f1", "pct"),
    ("EM", "em", "pct"),
    ("Lead EM", "lead_em", "pct"),
    ("Lead F1", "lead_f1", "pct"),
    ("R@1", "answer_recall@1", "pct"),
    ("R@5", "answer_recall@5", "pct"),
    ("R@10", "answer_recall@10", "pct"),
    ("MRR", "answer_mrr", "pct"),
    ("Src@5", "source_recall@5", "pct"),
    ("Cit P", "citation_precision", "pct"),
    ("Cit R", "citation_recall", "pct"),
    ("Abst P", "abstention_precision", "pct"),
    ("Abst R", "abstention_recall", "pct"),
    ("False abst", "false_abstention_rate", "pct"),
    ("p50 ms", "latency_p50_ms", "ms"),
    ("p95 ms", "latency_p95_ms", "ms"),
]
TERMINAL = (
    "STR-EM",
    "Lead EM",
    "Lead F1",
    "Words",
    "R@1",
    "R@5",
    "MRR",
    "Src@5",
    "Cit P",
    "Cit R",
    "Abst R",
    "False abst",
    "p50 ms",
    "p95 ms",
)
MARKDOWN_ROWS = 1000  # per config; the JSON report always has every question
PLOT_HINT = "plot skipped: matplotlib is not installed (pip install 'rag[plot]')"


def fmt(value: float | int | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{100 * value:.1f}"
    return f"{value:.1f}" if kind == "num" else f"{value:.0f}"


def summary_rows(results: Sequence[EvalResult]) -> list[list[str]]:
    """One row per config and split: name, split, questions, errors, then COLUMNS."""
    rows = []
    for result in results:
        for split, values in result.summary.items():
            head = [result.config.name, split, str(values.get("questions", 0)), str(values.get("errors", 0))]
            rows.append(head + [fmt(values.get(key), kind) for _, key, kind in COLUMNS])
    return rows


def headers() -> list[str]:
    return ["config", "split", "n", "errors"] + [title for title, _, _ in COLUMNS]


def print_summary(results: Sequence[EvalResult], console: Any = None) -> None:
    """The summary table on the terminal (percentages, latency in ms)."""
    from rich.console import Console
    from rich.table import Table

    # The terminal gets the headline columns; the Markdown and JSON reports have them all.
    keep = [i for i, title in enumerate(headers()) if i < 4 or title in TERMINAL]
    table = Table(title="rag eval (percentages; latency in ms)")
    for i in keep:
        table.add_column(headers()[i], justify="left" if i < 2 else "right")
    for row in summary_rows(results):
        table.add_row(*(row[i] for i in keep))
    if console is None:
        console = Console(stderr=True)
        console.width = max(console.width, 150)  # a pipe reports 80 columns; keep the numbers legible
    console.print(table)


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in ("rag", "numpy", "bm25s", "faiss-cpu", "pydantic", "sentence-transformers"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def write_json(results: Sequence[EvalResult], path: Path, meta: dict[str, Any]) -> Path:
    """Every aggregate, every per-question record, each config, versions and wall time."""
    payload = {**meta, "versions": versions(), "results": [r.model_dump(mode="json") for r in results]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_markdown(results: Sequence[EvalResult], path: Path, meta: dict[str, Any]) -> Path:
    """The summary table, then one per-question table per config."""
    lines = ["# rag eval", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items() if isinstance(value, str | int | float)]
    lines += ["", "## Summary", "", "Percentages; latency in milliseconds.", ""]
    lines += _table(headers(), summary_rows(results))
    for result in results:
        lines += ["", f"## Questions: {result.config.name}", ""]
        shown = result.records[:MARKDOWN_ROWS]
        lines += _table(QUESTION_HEADERS, [question_row(r) for r in shown])
        if len(result.records) > len(shown):
            lines += ["", f"{len(result.records) - len(shown)} more questions in report.json."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


QUESTION_HEADERS = [
    "id",
    "question",
    "gold",
    "answer",
    "cited sources",
    "STR-EM",
    "F1",
    "R@5",
    "Cit P",
    "Cit R",
    "note",
]


def question_row(record: QuestionRecord) -> list[str]:
    metrics = record.metrics
    if record.error:
        note = f"error: {record.error}"
    else:
        note = "abstained" if record.abstained else ("unanswerable" if not record.answerable else "")
    return [
        record.id,
        record.question,
        " / ".join(record.gold) or "(unanswerable)",
        record.answer,
        ", ".join(record.cited_sources),
        _mark(metrics.get("str_em")),
        fmt(_num(metrics.get("f1")), "pct"),
        _mark(metrics.get("answer_recall@5")),
        fmt(_num(metrics.get("citation_precision")), "pct"),
        fmt(_num(metrics.get("citation_recall")), "pct"),
        note,
    ]


def write_plot(results: Sequence[EvalResult], path: Path) -> tuple[Path | None, str | None]:
    """Recall@k curves per config (answer recall solid, source recall dashed); (None, note) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, never a window
        import matplotlib.pyplot as plt
    except ImportError:
        return None, PLOT_HINT
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for index, result in enumerate(results):
        values = result.summary[ALL]
        for prefix, style in (("answer_recall", "-o"), ("source_recall", "--s")):
            found = [values.get(f"{prefix}@{k}") for k in KS]
            ys = [float(y) for y in found if y is not None]
            if len(ys) == len(found):
                # One colour per config; solid = answer recall, dashed = source recall.
                ax.plot(
                    KS, ys, style, color=f"C{index % 10}", label=f"{result.config.name} ({prefix.replace('_', ' ')})"
                )
    ax.set(xlabel="k", ylabel="recall@k", ylim=(0, 1.02), xticks=list(KS), title="Recall@k")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path, None


def write_reports(
    results: Sequence[EvalResult], out_dir: Path, meta: dict[str, Any]
) -> tuple[dict[str, Path], list[str]]:
    """JSON, Markdown and PNG into `out_dir`; returns the paths written and notes (a skipped plot)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": write_json(results, out_dir / "report.json", meta),
        "markdown": write_markdown(results, out_dir / "report.md", meta),
    }
    plot, note = write_plot(results, out_dir / "recall_at_k.png")
    if plot is not None:
        paths["plot"] = plot
    return paths, [note] if note else []


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _cell(text: str) -> str:
    # A pipe or a line break would end the Markdown row early.
    return " ".join(text.split()).replace("|", "\\|")


def _mark(value: float | bool | None) -> str:
    return "–" if value is None else ("✓" if value else "✗")


def _num(value: float | bool | None) -> float | None:
    return None if value is None else float(value)
