"""`rag eval`: run gold sets (and/or SQuAD) through rag, write reports, gate CI on thresholds.

Exit status: 0 when every threshold holds, 1 naming each metric below its threshold, 2 for
usage or input errors (a bad gold file prints its file and line).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rag.config import RETRIEVAL_MODES
from rag.errors import RagError
from rag.evaluation.gold import GoldItem, load_gold_files
from rag.evaluation.report import print_summary, write_reports
from rag.evaluation.runner import ALL, EvalConfig, EvalResult, run_compare
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad
from rag.ingest.files import expand_globs
from rag.store.scratch import scratch_settings
from rag.types import Document

MODES = RETRIEVAL_MODES
COMPARE_HELP = (
    "a configuration to compare, repeatable: 'mode=dense', 'lexical', 'chunk=128', 'mode=hybrid,top_k=3,llm=extractive',"
    " 'name=small,chunk=128', or 'bm25' for the plain BM25 baseline"
)
# gate option -> (summary key, is a minimum)
GATES = {
    "min_str_em": ("str_em", True),
    "min_recall_at_5": ("answer_recall@5", True),
    "min_citation_precision": ("citation_precision", True),
    "max_false_abstention": ("false_abstention_rate", False),
}


def parse_compare(spec: str) -> EvalConfig:
    """'mode=dense,chunk=128' -> EvalConfig; 'bm25' is the baseline; a bare mode name is a mode."""
    fields: dict[str, Any] = {"name": spec}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        key, _, value = part.partition("=")
        key, value = key.strip().lower().replace("-", "_"), value.strip()
        if not value and key in ("bm25", *MODES):
            fields.update({"kind": "bm25"} if key == "bm25" else {"mode": key})
        elif key == "mode" and value in MODES:
            fields["mode"] = value
        elif key in ("chunk", "chunk_size", "top_k", "k") and value.isdigit() and int(value) > 0:
            fields["chunk_size" if key.startswith("chunk") else "top_k"] = int(value)
        elif key in ("llm", "name") and value:
            fields[key] = value
        else:
            raise ValueError(f"--compare {spec!r}: cannot use {part!r}; {COMPARE_HELP}")
    return EvalConfig(**fields)


def check_gates(summary: dict[str, Any], thresholds: dict[str, float | None]) -> list[str]:
    """A message for every metric on the wrong side of its threshold (or not measured at all)."""
    failures = []
    for option, limit in thresholds.items():
        if limit is None:
            continue
        key, is_min = GATES[option]
        value = summary.get(key)
        flag = "--" + option.replace("_", "-")
        if value is None:
            failures.append(f"{key} was not measured on this gold set, so {flag} {limit} cannot pass")
        elif (value < limit) if is_min else (value > limit):
            side = "below the minimum" if is_min else "above the maximum"
            failures.append(f"{key} = {value:.3f} is {side} {limit} ({flag})")
    return failures


Gold = Annotated[list[Path] | None, typer.Option("--gold", help="gold JSON Lines file, repeatable", metavar="FILE")]
Corpus = Annotated[
    list[str] | None,
    typer.Option(
        "--corpus", help="files, folders or globs to index first; several may follow one --corpus", metavar="PATH"
    ),
]
Squad = Annotated[str | None, typer.Option("--squad", help=f"SQuAD v1.1 JSON, or 'default' for {DEFAULT_SQUAD}")]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="SQuAD: first N questions, their articles indexed")]
IndexDir = Annotated[
    Path | None, typer.Option("--index-dir", help="index to use; with --corpus/--squad a temp dir by default")
]
Llm = Annotated[str | None, typer.Option("--llm", help="LLM backend for answers")]
Mode = Annotated[str | None, typer.Option("--mode", help="retrieval mode: dense, lexical or hybrid")]
TopK = Annotated[int | None, typer.Option("--top-k", min=1, help="passages given to the answerer")]
Compare = Annotated[list[str] | None, typer.Option("--compare", help=COMPARE_HELP, metavar="CONFIG")]
Out = Annotated[Path | None, typer.Option("--out", help="report folder (default eval/out/<timestamp>)")]
MinStrEm = Annotated[float | None, typer.Option("--min-str-em", help="fail below this STR-EM (0-1)")]
MinRecall = Annotated[float | None, typer.Option("--min-recall-at-5", help="fail below this answer recall@5")]
MinCitation = Annotated[float | None, typer.Option("--min-citation-precision", help="fail below this")]
MaxFalseAbstention = Annotated[float | None, typer.Option("--max-false-abstention", help="fail above this")]
JsonOutput = Annotated[bool, typer.Option("--json", help="print the summary as JSON on stdout")]


def eval_command(
    ctx: typer.Context,
    gold: Gold = None,
    corpus: Corpus = None,
    squad: Squad = None,
    limit: Limit = None,
    index_dir: IndexDir = None,
    llm: Llm = None,
    mode: Mode = None,
    top_k: TopK = None,
    compare: Compare = None,
    out: Out = None,
    min_str_em: MinStrEm = None,
    min_recall_at_5: MinRecall = None,
    min_citation_precision: MinCitation = None,
    max_false_abstention: MaxFalseAbstention = None,
    json_output: JsonOutput = False,
) -> None:
    """Evaluate rag on gold questions: retrieval, answers, citations, abstention, latency."""
    started = time.perf_counter()
    try:
        corpus_paths = corpus_inputs(corpus or [], ctx.args)
        items, documents = _load_inputs(gold or [], squad, limit)
        corpus_items: list[Path | Document] = [*corpus_paths, *documents]
        configs = _configs(compare or [], mode=mode, top_k=top_k, llm=llm)
        if mode is not None and mode not in MODES:
            raise ValueError(f"--mode {mode!r}: use one of {', '.join(MODES)}")
        settings = _settings()
        needs_index = any(c.kind == "rag" and c.chunk_size is None for c in configs)
        with _index(index_dir, corpus_items, settings, needs_index) as (engine, index_meta):
            results = run_compare(
                configs, items, rag=engine, corpus=corpus_items, settings=settings, progress=not json_output
            )
    except (RagError, ValueError) as exc:
        _fail_usage(exc, json_output)
    meta = {
        "timestamp": datetime.now().isoformat(timespec="seconds"),
        "wall_s": round(time.perf_counter() - started, 3),
        "questions": len(items),
        "gold_files": ", ".join(map(str, gold or [])),
        "squad": squad or "",
        "limit": limit or 0,
        **index_meta,
        "settings": settings.model_dump(mode="json"),
    }
    thresholds = {
        "min_str_em": min_str_em,
        "min_recall_at_5": min_recall_at_5,
        "min_citation_precision": min_citation_precision,
        "max_false_abstention": max_false_abstention,
    }
    _report(results, out, meta, thresholds, json_output)


def _fail_usage(exc: Exception, json_output: bool) -> NoReturn:
    if json_output:  # under --json, errors are JSON too (the shape `rag` uses for every command)
        typer.echo(json.dumps({"error": {"message": str(exc), "type": type(exc).__name__, "exit_code": 2}}))
    else:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2) from None


def _report(
    results: list[EvalResult],
    out: Path | None,
    meta: dict[str, Any],
    thresholds: dict[str, float | None],
    json_output: bool,
) -> None:
    """Write the reports, print the summary and exit 1 naming each gate that failed."""
    out_dir = out or Path("eval/out") / datetime.now().strftime("%Y%m%d-%H%M%S")
    paths, notes = write_reports(results, out_dir, meta)
    primary = _primary(results)
    failures = check_gates(primary.summary[ALL], thresholds)
    _print(results, paths, notes, failures, json_output, meta)
    if failures:
        for failure in failures:
            typer.echo(f"FAIL ({primary.config.name}): {failure}", err=True)
        raise typer.Exit(1)


def corpus_inputs(given: Sequence[str], extra: Sequence[str]) -> list[Path]:
    """--corpus values plus the arguments after them (a shell-expanded glob), quoted globs expanded."""
    if extra and not given:
        raise ValueError(f"unexpected argument(s) {' '.join(extra)}: corpus files go after --corpus")
    found, missing = expand_globs([*given, *extra])
    if missing:
        raise ValueError(f"--corpus {', '.join(missing)}: no such file or folder (or the pattern matched nothing)")
    return found


def _load_inputs(gold: Sequence[Path], squad: str | None, limit: int | None) -> tuple[list[GoldItem], list[Document]]:
    if not gold and not squad:
        raise ValueError("nothing to evaluate: pass --gold FILE and/or --squad FILE")
    items = load_gold_files(gold) if gold else []
    documents: list[Document] = []
    if squad:
        documents, squad_items = load_squad(DEFAULT_SQUAD if squad == "default" else Path(squad), limit=limit)
        items += squad_items
    return items, documents


def _configs(specs: Sequence[str], *, mode: str | None, top_k: int | None, llm: str | None) -> list[EvalConfig]:
    """--compare configs, each filling unset values from --mode/--top-k/--llm; one config without."""
    if not specs:
        return [EvalConfig(name=mode or "default", mode=mode, top_k=top_k, llm=llm)]
    configs = [parse_compare(spec) for spec in specs]
    return [
        c.model_copy(update={"mode": c.mode or mode, "top_k": c.top_k or top_k, "llm": c.llm or llm}) for c in configs
    ]


def _settings() -> Any:
    from rag.config import Settings

    return Settings()


def _open_engine(index_dir: Path | None, settings: Any, seed_sample: bool) -> Any:
    """Open the facade (tests replace this with a fake); a new default index gets the sample corpus."""
    from rag.engine import RAG

    return RAG.open(index_dir, settings=settings, seed_sample=seed_sample)


@contextlib.contextmanager
def _index(
    index_dir: Path | None, corpus: list[Path | Document], settings: Any, needed: bool
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The index to evaluate: the given or default one, or the corpus indexed into a temp dir."""
    if not needed:
        yield None, {}
        return
    with contextlib.ExitStack() as stack:
        if corpus and index_dir is None:
            settings = stack.enter_context(scratch_settings(settings))
            index_dir = settings.index_dir
        engine = _open_engine(index_dir, settings, seed_sample=not corpus)
        stack.callback(engine.close)
        meta: dict[str, Any] = {"index_dir": str(index_dir or settings.index_dir)}
        if settings.store.is_postgres:
            meta["index_dir"] = engine.location
        if corpus:
            started = time.perf_counter()
            report = engine.add(corpus)
            meta.update(index_s=round(time.perf_counter() - started, 3), ingest_errors=report.count("error"))
        yield engine, meta


def _primary(results: Sequence[EvalResult]) -> EvalResult:
    """The result the gates judge: the first rag config (baselines are for comparison only)."""
    return next((r for r in results if r.config.kind == "rag"), results[0])


def _print(
    results: Sequence[EvalResult],
    paths: dict[str, Path],
    notes: list[str],
    failures: list[str],
    json_output: bool,
    meta: dict[str, Any],
) -> None:
    if json_output:
        payload = {
            "summary": {r.config.name: r.summary for r in results},
            "reports": {k: str(v) for k, v in paths.items()},
            "notes": notes,
            "failures": failures,
            "wall_s": meta["wall_s"],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    print_summary(results)
    for note in notes:
        typer.echo(note, err=True)
    typer.echo(f"reports: {', '.join(str(p) for p in paths.values())}", err=True)
