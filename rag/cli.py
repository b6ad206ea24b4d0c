"""The `rag` command line: index, search, ask, chat, serve, eval, bench."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from rag.cli_documents import documents_app

if TYPE_CHECKING:
    from rag.engine import RAG

app = typer.Typer(
    help="Retrieval-augmented answers with citations over your own articles.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich mode labels every flag "<bool>"
)
app.add_typer(documents_app, name="documents")

IndexDir = Annotated[
    Optional[Path],
    typer.Option("--index-dir", help="index folder [env RAG_INDEX_DIR; default index/default]", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
TopK = Annotated[Optional[int], typer.Option("--top-k", "-k", min=1, max=100, help="passages to retrieve")]
Mode = Annotated[Optional[str], typer.Option("--mode", help="dense | lexical | hybrid")]
LLM = Annotated[Optional[str], typer.Option("--llm", help="LLM backend: extractive | openai | transformers | ...")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _open(index_dir: Path | None, *, seed: bool = True) -> RAG:
    from rag.config import Settings
    from rag.engine import RAG

    return RAG.open(index_dir, Settings(), seed_sample=seed)


@app.command()
def index(
    paths: Annotated[list[str], typer.Argument(help="files, folders or quoted globs ('notes/*.md') to index",
                                               metavar="PATH", show_default=False)],
    index_dir: IndexDir = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="start a new index instead of updating this one")] = False,
    include: Annotated[Optional[list[str]], typer.Option(
        "--include", help="in folders, read only files matching this glob ('*.md', 'news/*'); repeatable")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option(
        "--exclude", help="in folders, skip files matching this glob ('README.md', 'drafts/*'); repeatable")] = None,
    as_json: AsJson = False,
) -> None:
    """Index files and folders (.txt, .md, .html, .jsonl, .pdf); unchanged files are skipped."""
    from rag.config import Settings
    from rag.engine import RAG
    from rag.ingest.files import expand_globs

    found, missing = expand_globs(paths)
    if missing:
        raise typer.BadParameter(f"nothing at {', '.join(missing)}; check the path or pattern", param_hint="PATH")
    settings = Settings()
    if settings.store.is_postgres:
        _index_postgres(settings, found, rebuild, as_json, include=include or (), exclude=exclude or ())
        return
    target = Path(index_dir or settings.index_dir)
    build_dir = Path(tempfile.mkdtemp(prefix=".rebuild-", dir=_parent(target))) if rebuild else target
    kept = None
    try:
        with RAG.open(build_dir, settings) as rag:
            report = rag.add(found, progress=not as_json and sys.stderr.isatty(),
                             include=include or (), exclude=exclude or ())
            stats = rag.stats()
        kept = _rebuild_refusal(report, stats, target) if rebuild else None
        if rebuild and kept is None:
            _swap_in(build_dir, target, settings.ingest.lock_timeout)
    except Exception:
        if rebuild:
            _err(f"the rebuild failed, so the index at {target} was left as it was")
        raise
    finally:
        if rebuild and build_dir.exists():
            shutil.rmtree(build_dir, ignore_errors=True)
    if as_json:
        typer.echo(json.dumps({"report": report.model_dump(), "stats": stats.model_dump(), "index_dir": str(target),
                               **({"kept_old_index": kept} if kept else {})}))
    else:
        _print_report(report, stats, "discarded new build" if kept else f"index {target}")
    if kept:
        _err(kept)
        raise typer.Exit(1)
    failed = report.count("error")
    if failed and not report.chunks_added and report.count("unchanged") == 0:
        raise typer.Exit(1)


def _index_postgres(settings, found: list, rebuild: bool, as_json: bool, **filters: Any) -> None:  # type: ignore[no-untyped-def]
    """`rag index` into PostgreSQL; --rebuild fills a staging index and swaps it in by renaming schemas."""
    from rag.engine import RAG
    from rag.store.postgres.admin import drop_index, finish_rebuild, start_rebuild

    store = start_rebuild(settings.store) if rebuild else settings.store
    try:
        with RAG.open(settings=settings.model_copy(update={"store": store})) as rag:
            report = rag.add(found, progress=not as_json and sys.stderr.isatty(), **filters)
            stats, where = rag.stats(), rag.store.location.replace(repr(store.name), repr(settings.store.name))
        kept = _rebuild_refusal(report, stats, where) if rebuild else None
        if rebuild and kept is None:
            finish_rebuild(store, settings.store.name)
    finally:
        if rebuild:
            drop_index(store)  # the staging index, gone after a swap, left over after a refusal or failure
    if as_json:
        typer.echo(json.dumps({"report": report.model_dump(), "stats": stats.model_dump(), "index": where,
                               **({"kept_old_index": kept} if kept else {})}))
    else:
        _print_report(report, stats, "discarded new build" if kept else f"index {where}")
    if kept:
        _err(kept)
        raise typer.Exit(1)
    if report.count("error") and not report.chunks_added and report.count("unchanged") == 0:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="what to look for")],
    top_k: TopK = None,
    mode: Mode = None,
    source: Annotated[Optional[list[str]], typer.Option("--source", help="only these sources")] = None,
    doc_id: Annotated[Optional[list[str]], typer.Option("--doc-id", help="only these documents")] = None,
    date_from: Annotated[Optional[str], typer.Option(help="ISO date, inclusive")] = None,
    date_to: Annotated[Optional[str], typer.Option(help="ISO date, inclusive")] = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Print the passages that best match QUERY, with scores and sources."""
    from rag.types import Filters

    filters = Filters(source=source or None, doc_id=doc_id or None, date_from=date_from, date_to=date_to)
    with _open(index_dir) as rag:
        passages = rag.search(query, top_k, filters=filters, mode=mode)
    if as_json:
        typer.echo(json.dumps([p.model_dump() for p in passages]))
        return
    if not passages:
        _err("no passage matches")
    for p in passages:
        where = p.source or p.doc_id
        typer.echo(f"{p.rank}. [{p.score:.4f}] {p.title or p.doc_id} — {where}" + (f" ({p.date})" if p.date else ""))
        typer.echo("   " + _snippet(p.text) + "\n")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="your question")],
    llm: LLM = None,
    top_k: TopK = None,
    mode: Mode = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Answer QUESTION from the index, with numbered citations."""
    from rag.answer.types import Answer

    with _open(index_dir) as rag:
        if as_json:
            answer = rag.ask(question, top_k=top_k, llm=llm, mode=mode)
            typer.echo(answer.model_dump_json())
            return
        final = None
        for piece in rag.stream(question, top_k=top_k, llm=llm, mode=mode):
            if isinstance(piece, Answer):
                final = piece
            else:
                typer.echo(piece, nl=False)
        typer.echo()
    if final is not None:
        _print_sources(final)


@app.command()
def chat(
    llm: LLM = None,
    top_k: TopK = None,
    index_dir: IndexDir = None,
) -> None:
    """A conversation in the terminal; follow-ups are read in the light of earlier turns."""
    from rag.answer.types import Answer
    from rag.errors import RagError
    from rag.llm.base import Message

    history: list[Message] = []
    with _open(index_dir) as rag:
        _err("Ask about the indexed articles; an empty line or Ctrl-D ends the chat.")
        while True:
            try:
                question = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if not question:
                break
            typer.echo("rag> ", nl=False)
            final = None
            try:
                for piece in rag.stream(question, history=history, top_k=top_k, llm=llm):
                    if isinstance(piece, Answer):
                        final = piece
                    else:
                        typer.echo(piece, nl=False)
            except RagError as exc:
                _err(f"\nerror: {exc}")
                continue
            typer.echo()
            if final is not None:
                _print_sources(final)
                history += [Message(role="user", content=question), Message(role="assistant", content=final.answer)]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes [default: one per CPU core]", show_default=False)
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Run the HTTP service (ask, OpenAI-compatible chat, search, documents)."""
    from rag.api.server import serve as run_server
    from rag.config import Settings

    settings = Settings()
    if index_dir is not None:
        settings = settings.model_copy(update={"index_dir": index_dir})
    run_server(settings, host=host, port=port, workers=workers)


def _print_report(report, stats, where: str) -> None:  # type: ignore[no-untyped-def]
    for item in report.items:
        if item.status in ("error", "skipped", "duplicate"):
            _err(f"{item.status}: {item.source or item.doc_id}: {item.message}")
    counts = {s: report.count(s) for s in ("added", "replaced", "unchanged", "duplicate", "skipped", "error")}
    summary = ", ".join(f"{n} {'errors' if s == 'error' and n != 1 else s}" for s, n in counts.items() if n)
    typer.echo(f"{summary or 'nothing to do'}; {report.chunks_added} chunks in {report.seconds:.2f}s")
    typer.echo(f"{where}: {stats.documents} documents, {stats.chunks} chunks ({stats.embedder})")


def _print_sources(answer) -> None:  # type: ignore[no-untyped-def]
    if answer.abstained or not answer.citations:
        return
    typer.echo("\nSources:")
    for c in answer.citations:
        where = c.url or c.source or c.doc_id
        typer.echo(f"[{c.n}] {c.title or c.doc_id} — {where}" + (f" ({c.date})" if c.date else ""))
        typer.echo(f"    “{_snippet(c.quote, 300)}”")
    for note in answer.disagreements:
        if note not in answer.answer:  # the extractive answer already ends with it: say it once
            typer.echo(f"Note: {note}")


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def _rebuild_refusal(report, stats, target: Path | str) -> str | None:  # type: ignore[no-untyped-def]
    """Why the new build must not replace the index at `target`, or None when it may."""
    failed = report.count("error")
    if failed:
        return (f"{failed} input(s) failed (listed above), so the new build was discarded and the index at {target} "
                "was kept as it was; fix or leave out those inputs and run the rebuild again")
    if stats.documents == 0:
        return (f"the new build holds no document, so it was discarded and the index at {target} was kept as it "
                "was; check the paths you gave")
    return None


def _swap_in(build_dir: Path, target: Path, lock_timeout: float) -> None:
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


def _mount_optional_commands() -> None:
    # Heavier command groups are mounted only when asked for, to keep `rag search` cold start low.
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    if wanted in ("eval", "--help", "-h", ""):
        from rag.evaluation.command import eval_command

        # Extra arguments are more --corpus paths: `--corpus ../shared/corpus/*.txt` after the shell expands it.
        app.command("eval", help="Score answers and retrieval on a gold Q&A set or SQuAD.",
                    context_settings={"allow_extra_args": True})(eval_command)
    if wanted in ("bench", "--help", "-h", ""):
        from rag.bench.command import bench_command

        app.command("bench", help="Benchmark ingest, search and ask against baselines.")(bench_command)


# Click's base error class, whether typer vendors click (newer) or uses it (older).
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    from rag.errors import RagError

    _mount_optional_commands()
    as_json = "--json" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)
    except RagError as exc:
        _fail(str(exc), type(exc).__name__, 2, as_json)
    except typer.Abort:
        _fail("aborted", "Abort", 1, as_json)
    except _CLICK_ERROR as exc:
        if not as_json:
            exc.show()
            sys.exit(exc.exit_code)
        _fail(exc.format_message(), type(exc).__name__, exc.exit_code, as_json)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, kind: str, code: int, as_json: bool) -> None:
    """Errors as the command's output is: JSON on stdout under --json, else a line on stderr."""
    if as_json:
        typer.echo(json.dumps({"error": {"message": message, "type": kind, "exit_code": code}}))
    else:
        _err(f"error: {message}")
    sys.exit(code)
