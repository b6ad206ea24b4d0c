"""The `rag` command line: index, search, ask, chat, serve, eval, bench."""

from __future__ import annotations

import json
import sys
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
    from rag.cli_index import finish, index_folder, index_postgres, progress_wanted
    from rag.config import Settings
    from rag.ingest.files import expand_globs

    found, missing = expand_globs(paths)
    if missing:
        raise typer.BadParameter(f"nothing at {', '.join(missing)}; check the path or pattern", param_hint="PATH")
    settings = Settings()
    filters = {"include": include or (), "exclude": exclude or ()}
    if settings.store.is_postgres:
        finish(index_postgres(settings, found, rebuild, progress_wanted(as_json), **filters), as_json, "index")
    else:
        target = Path(index_dir or settings.index_dir)
        outcome = index_folder(settings, found, target, rebuild, progress_wanted(as_json), **filters)
        finish(outcome, as_json, "index_dir")


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
    from rag.present import snippet
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
        typer.echo("   " + snippet(p.text) + "\n")


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


def _print_sources(answer) -> None:
    from rag.present import sources_for_terminal

    for line in sources_for_terminal(answer):
        typer.echo(line)


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
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


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
