"""How an answer's sources read to people: one format for the CLI and the chat endpoint.

A source line is "[n] Title — source (date) <url>". Titles, sources and URLs come from documents,
not from rag, so they are shown as text: the URL only when it is a web address (never
`javascript:` or `data:`), and for Markdown front ends every character that could open a link,
a tag or code is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rag.text.urls import is_web_url

if TYPE_CHECKING:  # `rag search` prints passages only: the answer package stays unloaded
    from rag.answer.types import Answer, Citation

SOURCES_HEADING = "\n\nSources:\n"
_MARKDOWN = re.compile(r"([\\`\[\]<>])")  # what can open a link, an HTML tag or code


def one_line(value: str) -> str:
    return " ".join(value.split())


def markdown_text(value: str) -> str:
    """`value` on one line with Markdown and HTML syntax escaped, so a front end shows it verbatim."""
    return _MARKDOWN.sub(r"\\\1", one_line(value))


def snippet(text: str, limit: int = 240) -> str:
    """`text` on one line, cut at a word boundary with an ellipsis when longer than `limit`."""
    flat = one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def source_line(citation: Citation, as_text: Callable[[str], str] = one_line) -> str:
    line = f"[{citation.n}] {as_text(citation.title or citation.doc_id)}"
    line += f" — {as_text(citation.source)}" if citation.source else ""
    line += f" ({as_text(citation.date)})" if citation.date else ""
    line += f" <{citation.url}>" if citation.url and is_web_url(citation.url) else ""
    return line


def distinct(citations: Iterable[Citation]) -> list[Citation]:
    """One citation per marker number, in marker order."""
    seen: set[int] = set()
    kept = []
    for citation in sorted(citations, key=lambda c: c.n):
        if citation.n not in seen:
            seen.add(citation.n)
            kept.append(citation)
    return kept


def sources_markdown(citations: list[Citation]) -> str:
    """'\\n\\nSources:\\n[1] Title — source (date) <url>' per distinct marker, escaped; '' for none."""
    lines = [source_line(c, markdown_text) for c in distinct(citations)]
    return SOURCES_HEADING + "\n".join(lines) if lines else ""


def strip_sources(text: str) -> str:
    """A reply without the Sources list `sources_markdown` appended to it."""
    return text.split(SOURCES_HEADING, 1)[0]


def sources_for_terminal(answer: Answer, quote_limit: int = 300) -> list[str]:
    """The lines a terminal shows under an answer: each source with its quote, then the notes."""
    if answer.abstained or not answer.citations:
        return []
    lines = ["", "Sources:"]
    for citation in distinct(answer.citations):
        lines.append(source_line(citation))
        lines.append(f"    “{snippet(citation.quote, quote_limit)}”")
    # The extractive answer already ends with its note: say it once.
    lines.extend(f"Note: {note}" for note in answer.disagreements if note not in answer.answer)
    return lines
