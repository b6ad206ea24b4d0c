"""Files and folders → `Document`s (txt, md, html, jsonl, pdf); a bad file is a problem, never a raise.

`iter_documents` yields a `Document` per article and an `IngestProblem` per input it could not
use (status "error") or did not try (status "skipped"), so one bad file never stops a batch.
Texts are returned as read; cleaning is the caller's next step (`rag.ingest.clean.clean_text`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from rag.ingest.clean import clean_text
from rag.ingest.files import IngestProblem, input_files
from rag.text.urls import is_web_url, web_url_or_none
from rag.types import Document

MAX_BYTES = 50_000_000
SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf")
_JSONL_FIELDS = ("text", "id", "title", "url", "date", "source")


def iter_documents(
    paths: Iterable[str | Path],
    *,
    max_bytes: int = MAX_BYTES,
    select: Callable[[str], bool] | None = None,
    on_file: Callable[[], None] | None = None,
) -> Iterator[Document | IngestProblem]:
    """Documents from files and folders (folders recurse in sorted order, hidden entries skipped).

    A file's id and source are its path relative to the folder given, with forward slashes (a
    file given directly: its name); JSONL lines without an id get `<file>:<line number>`.
    `select(relative path)` chooses which files inside folders are read (files named directly
    always are); `on_file()` is called after each file, for progress.
    """
    for path, rel in input_files(paths, select):
        if isinstance(path, IngestProblem):
            yield path
            continue
        yield from _load(path, rel, max_bytes)
        if on_file is not None:
            on_file()


def _load(path: Path, rel: str, max_bytes: int) -> Iterator[Document | IngestProblem]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield IngestProblem(rel, f"skipped: {suffix or 'no'} extension is not one of {', '.join(SUFFIXES)}", "skipped")
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _Problem(
                f"too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB limit); split it into "
                f"smaller files or raise the max_bytes limit"
            )
        if suffix == ".pdf":
            yield _document(rel, _read_pdf(path), path)
        elif suffix == ".jsonl":
            yield from _read_jsonl(path, rel)
        else:
            yield _read_text_file(path, rel, suffix)
    except _Problem as problem:
        yield IngestProblem(rel, str(problem))
    except PermissionError:
        yield IngestProblem(rel, "permission denied; make the file readable by this user")
    except OSError as exc:
        yield IngestProblem(rel, f"cannot read: {exc.strerror or exc}")


class _Problem(Exception):
    """A file-level problem whose message is shown to the user as it is."""


def _read_text_file(path: Path, rel: str, suffix: str) -> Document:
    data = path.read_bytes()
    if suffix in (".html", ".htm"):
        return _from_html(data, rel)
    text = _decode(data)
    if suffix in (".md", ".markdown"):
        meta, text = _split_front_matter(text)
        heading = re.search(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
        doc = _document(rel, strip_markdown(text), path)
        updates: dict[str, Any] = {key: value for key, value in meta.items() if key in ("title", "date")}
        if web_url_or_none(meta.get("url")):
            updates["url"] = web_url_or_none(meta.get("url"))
        if heading and "title" not in updates:
            updates["title"] = strip_markdown(heading.group(1))
        return doc.model_copy(update=updates)
    return _document(rel, text, path)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise _Problem("looks binary (it contains NUL bytes); only text, Markdown, HTML, JSONL and PDF are read")
    try:
        return data.decode("utf-8-sig")  # utf-8, with a leading byte-order mark dropped
    except UnicodeDecodeError as exc:
        raise _Problem(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; convert the file "
            f"to UTF-8 (e.g. `iconv -f cp1252 -t utf-8 in.txt > out.txt`)"
        ) from None


def _document(rel: str, text: str, path: Path) -> Document:
    if not text.strip():
        raise _Problem("empty: no text in this file")
    return Document(text=text, id=rel, title=guess_title(text, path.stem), source=rel, date=find_date(text))


def _read_jsonl(path: Path, rel: str) -> Iterator[Document | IngestProblem]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield _jsonl_document(_decode(raw), rel, number)
            except _Problem as problem:
                yield IngestProblem(rel, f"line {number}: {problem}", line=number)


def _jsonl_document(line: str, rel: str, number: int) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Problem(f"not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
        raise _Problem('each line needs a non-empty string "text" field, e.g. {"id": "a1", "text": "..."}')
    fields: dict[str, Any] = {key: record[key] for key in _JSONL_FIELDS if record.get(key) is not None}
    fields = {key: value if key == "text" else str(value) for key, value in fields.items()}
    extra = {key: value for key, value in record.items() if key not in _JSONL_FIELDS}
    if "url" in fields and not is_web_url(fields["url"].strip()):
        raise _Problem(f'"url" {fields["url"][:80]!r} is not an http:// or https:// address; fix it or leave it out')
    fields.setdefault("id", f"{rel}:{number}")
    fields.setdefault("source", rel)
    fields.setdefault("title", guess_title(fields["text"], None))
    fields.setdefault("date", find_date(fields["text"]))
    return Document(**fields, metadata=extra)


def _from_html(data: bytes, rel: str) -> Document:
    import trafilatura

    try:
        found = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False, favor_recall=True)
    except Exception:  # noqa: BLE001 - trafilatura fails in many ways on broken pages; fall back
        found = None
    text = getattr(found, "text", None) or _html_to_text(data)
    if not text or not text.strip():
        raise _Problem("no readable text found in this HTML page")
    title = getattr(found, "title", None) or guess_title(text, Path(rel).stem)
    when = _iso_date(getattr(found, "date", None)) or find_date(text)
    return Document(text=text, id=rel, title=title, source=rel, url=web_url_or_none(getattr(found, "url", None)),
                    date=when)


def _html_to_text(data: bytes) -> str:
    # Used when trafilatura finds no main content: every visible text node, one per line.
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.hidden += tag in ("script", "style", "noscript")

        def handle_endtag(self, tag: str) -> None:
            self.hidden -= tag in ("script", "style", "noscript") and self.hidden > 0

        def handle_data(self, chunk: str) -> None:
            if not self.hidden and chunk.strip():
                self.parts.append(chunk.strip())

    parser = _Text()
    parser.feed(data.decode("utf-8", errors="replace"))
    return "\n".join(parser.parts)


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise _Problem("reading PDF needs pypdf; install it with `pip install 'rag[pdf]'`") from None
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise _Problem("the PDF is encrypted; decrypt it (e.g. `qpdf --decrypt`) and index the copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except _Problem:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise _Problem(f"cannot read this PDF ({type(exc).__name__}: {exc}); is it damaged?") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise _Problem("the PDF has no text layer (a scan?); run OCR on it first")
    return text


_MONTHS = "january february march april may june july august september october november december".split()
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_ABBREVIATIONS = [month[:3] for month in _MONTHS]
_WRITTEN = re.compile(r"\b(" + "|".join(_MONTH_ABBREVIATIONS) + r")[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE)


def find_date(text: str, window: int = 600) -> str | None:
    """An ISO date (YYYY-MM-DD) from an ISO or "April 10, 2024" date near the top of `text`."""
    head = text[:window]
    found: list[tuple[int, str | None]] = []
    for match in _ISO.finditer(head):
        found.append((match.start(), _iso_date(match.group(0))))
    for match in _WRITTEN.finditer(head):
        month_name, day, year = match.groups()
        month = _MONTH_ABBREVIATIONS.index(month_name[:3].lower()) + 1
        found.append((match.start(), _iso_date(f"{year}-{month:02d}-{int(day):02d}")))
    return next((value for _, value in sorted(found) if value), None)


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


TITLE_WORDS = 12
_DATE_LABEL = re.compile(
    r"^\W*(?:(?:date|published|updated|posted)\b\W*)?(?:\d{4}-\d{2}-\d{2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})\W*",
    re.IGNORECASE,
)


def guess_title(text: str, fallback: str | None) -> str | None:
    """The first line of the cleaned text: whole when it reads like a headline, else the opening
    words of its first sentence ("…" where cut); `fallback` (the file name) only for a text with none.

    A file name is often an id or a hash, so even a prose first line says more about the article.
    """
    first = next((line.strip() for line in clean_text(text[:4000]).splitlines() if line.strip()), "")
    if first and len(first) <= 150 and len(first.split()) <= 25 and first[-1] not in ".!?":
        return first
    sentence = re.split(r"(?<=[.!?])\s", _DATE_LABEL.sub("", first), maxsplit=1)[0].strip()
    words = sentence.split()
    if not words:
        return fallback
    if len(words) <= TITLE_WORDS:
        return sentence.rstrip(".")
    return " ".join(words[:TITLE_WORDS]).rstrip(",;:") + "…"


_MD_RULES = [
    (re.compile(r"^```.*$|^~~~.*$", re.MULTILINE), ""),                   # code fences (content kept)
    (re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.MULTILINE), ""),          # horizontal rules
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),                         # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),                          # links -> their text
    (re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE), r"\1"),  # headings
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),                        # block quotes
    (re.compile(r"^(\s*)[*+]\s+", re.MULTILINE), r"\1- "),                  # list bullets
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),                               # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),      # italics
    (re.compile(r"`([^`]+)`"), r"\1"),                                      # inline code
    (re.compile(r"<[^>\n]+>"), ""),                                         # inline HTML tags
]


def strip_markdown(text: str) -> str:
    """Markdown as plain text: headings, emphasis, links and images reduced to their words."""
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return text


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    match = re.match(r"---\s*\n(.*?)\n---\s*\n", text, re.DOTALL)
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    if "date" in meta:
        meta["date"] = _iso_date(meta["date"])  # a date filters can compare, or none
        meta = {key: value for key, value in meta.items() if value}
    return meta, text[match.end() :]
