"""`rag index`: what it does to a folder index or a PostgreSQL one, and how it reports.

A `--rebuild` builds aside (a sibling folder, or a staging schema) and swaps the new index in only
when every input indexed and it holds at least one document; otherwise the old index stays and
the command says why.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer


@dataclass
class Outcome:
    report: Any  # rag.types.IngestReport
    stats: Any  # rag.types.IndexStats
    where: str
    kept_old_index: str | None  # why a rebuild was discarded, or None


def index_folder(settings: Any, found: list, target: Path, rebuild: bool, progress: bool,
                 **filters: Any) -> Outcome:
    from rag.engine import RAG

    build_dir = Path(tempfile.mkdtemp(prefix=".rebuild-", dir=_parent(target))) if rebuild else target
    try:
        with RAG.open(build_dir, settings) as rag:
            report, stats = rag.add(found, progress=progress, **filters), rag.stats()
        kept = rebuild_refusal(report, stats, target) if rebuild else None
        if rebuild and kept is None:
            swap_in(build_dir, target, settings.ingest.lock_timeout)
    except Exception:
        if rebuild:
            typer.echo(f"the rebuild failed, so the index at {target} was left as it was", err=True)
        raise
    finally:
        if rebuild and build_dir.exists():
            shutil.rmtree(build_dir, ignore_errors=True)
    return Outcome(report, stats, str(target), kept)


def index_postgres(settings: Any, found: list, rebuild: bool, progress: bool, **filters: Any) -> Outcome:
    """--rebuild fills a staging index and swaps it in by renaming schemas."""
    from rag.engine import RAG
    from rag.store.postgres.admin import drop_index, finish_rebuild, start_rebuild

    store = start_rebuild(settings.store) if rebuild else settings.store
    try:
        with RAG.open(settings=settings.model_copy(update={"store": store})) as rag:
            report, stats = rag.add(found, progress=progress, **filters), rag.stats()
            where = rag.location.replace(repr(store.name), repr(settings.store.name))
        kept = rebuild_refusal(report, stats, where) if rebuild else None
        if rebuild and kept is None:
            finish_rebuild(store, settings.store.name)
    finally:
        if rebuild:
            drop_index(store)  # the staging index, gone after a swap, left over after a refusal or failure
    return Outcome(report, stats, where, kept)


def finish(outcome: Outcome, as_json: bool, where_key: str) -> None:
    """Print the outcome; exit 1 when a rebuild was refused or nothing at all could be indexed."""
    report, stats, kept = outcome.report, outcome.stats, outcome.kept_old_index
    if as_json:
        typer.echo(json.dumps({"report": report.model_dump(), "stats": stats.model_dump(), where_key: outcome.where,
                               **({"kept_old_index": kept} if kept else {})}))
    else:
        print_report(report, stats, "discarded new build" if kept else f"index {outcome.where}")
    if kept:
        typer.echo(kept, err=True)
        raise typer.Exit(1)
    if report.count("error") and not report.chunks_added and report.count("unchanged") == 0:
        raise typer.Exit(1)


def print_report(report: Any, stats: Any, where: str) -> None:
    for item in report.items:
        if item.status in ("error", "skipped", "duplicate"):
            typer.echo(f"{item.status}: {item.source or item.doc_id}: {item.message}", err=True)
    counts = {s: report.count(s) for s in ("added", "replaced", "unchanged", "duplicate", "skipped", "error")}
    summary = ", ".join(f"{n} {'errors' if s == 'error' and n != 1 else s}" for s, n in counts.items() if n)
    typer.echo(f"{summary or 'nothing to do'}; {report.chunks_added} chunks in {report.seconds:.2f}s")
    typer.echo(f"{where}: {stats.documents} documents, {stats.chunks} chunks ({stats.embedder})")


def rebuild_refusal(report: Any, stats: Any, target: Path | str) -> str | None:
    """Why the new build must not replace the index at `target`, or None when it may."""
    failed = report.count("error")
    if failed:
        return (f"{failed} input(s) failed (listed above), so the new build was discarded and the index at {target} "
                "was kept as it was; fix or leave out those inputs and run the rebuild again")
    if stats.documents == 0:
        return (f"the new build holds no document, so it was discarded and the index at {target} was kept as it "
                "was; check the paths you gave")
    return None


def swap_in(build_dir: Path, target: Path, lock_timeout: float) -> None:
    from rag.store.lock import WriteLock

    # Rename the old index aside first so that a crash between the two renames loses nothing.
    old = target.with_name(target.name + ".old")
    if target.exists():
        # Under the old index's write lock, so no writer elsewhere is mid-commit during the swap;
        # running servers notice the new catalog on their next request and switch to it.
        with WriteLock(target, lock_timeout).hold():
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            build_dir.rename(target)
    else:
        build_dir.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def progress_wanted(as_json: bool) -> bool:
    return not as_json and sys.stderr.isatty()
