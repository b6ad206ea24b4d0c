"""`rag documents list` and `rag documents delete`: what the index holds, and removing from it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

documents_app = typer.Typer(
    help="List the indexed documents, or delete some.", no_args_is_help=True, rich_markup_mode=None
)

IndexDir = Annotated[
    Optional[Path],
    typer.Option("--index-dir", help="index folder [env RAG_INDEX_DIR; default index/default]", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for machines")]


def _open(index_dir: Path | None):
    from rag.config import Settings
    from rag.engine import RAG

    return RAG.open(index_dir, Settings(), seed_sample=True)


@documents_app.command("list")
def list_documents(
    offset: Annotated[int, typer.Option("--offset", min=0, help="skip this many")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="show at most this many")] = 50,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """A page of the indexed documents: id, title, date, passages, and the total."""
    with _open(index_dir) as rag:
        documents, stats = rag.documents(offset, limit), rag.stats()
    if as_json:
        page = {"documents": [d.model_dump() for d in documents], "total": stats.documents,
                "offset": offset, "limit": limit}
        typer.echo(json.dumps(page))
        return
    for doc in documents:
        date = f" ({doc.date})" if doc.date else ""
        title = f" — {doc.title}" if doc.title and doc.title != doc.doc_id else ""
        typer.echo(f"{doc.doc_id}{title}{date}, {doc.chunks} passage{'s' if doc.chunks != 1 else ''}")
    shown = f"{offset + 1}-{offset + len(documents)}" if documents else "none"
    typer.echo(f"{shown} of {stats.documents} documents; {stats.chunks} passages ({stats.embedder})", err=True)


@documents_app.command("delete")
def delete_documents(
    doc_ids: Annotated[list[str], typer.Argument(help="document ids, as `rag documents list` shows them",
                                                 metavar="DOC_ID", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Remove documents and their passages from the index (asks first on a terminal)."""
    if not yes and not as_json and sys.stdin.isatty():
        typer.confirm(f"Delete {len(doc_ids)} document(s) from the index: {', '.join(doc_ids)}?", abort=True)
    with _open(index_dir) as rag:
        deleted = {doc_id: rag.delete(doc_id) for doc_id in doc_ids}
    missing = [doc_id for doc_id, found in deleted.items() if not found]
    if as_json:
        typer.echo(json.dumps({"deleted": [d for d, found in deleted.items() if found], "not_found": missing}))
    else:
        for doc_id, found in deleted.items():
            typer.echo(f"deleted {doc_id}" if found else f"not found: {doc_id} (see `rag documents list`)",
                       err=not found)
    if missing:
        raise typer.Exit(1)
