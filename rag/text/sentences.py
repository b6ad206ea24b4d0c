"""Sentence spans with character offsets, tolerant of abbreviations, initials and decimals."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.memo import PASSAGE_CHARS, per_text

_OPENERS = re.escape("\"'“‘([•·▪–—*-")
# A boundary is one of:
#  - end punctuation (optionally closed by quotes/brackets) followed by space and an upper-case
#    letter, a digit, "$", an opening quote or a bullet;
#  - a blank line;
#  - a single line break after a line without end punctuation (a heading, a byline, a bullet)
#    when the next line starts like a new sentence; `_is_wrapped_line` vetoes hard-wrapped prose.
# Written to start with one character class (the first character of every branch), then the
# branch that character allows, in the order above: the regex engine then skips ahead to the
# next candidate instead of trying every branch at every position (~1.8x faster, same spans).
_NEW_SENTENCE = rf"(?=[{_OPENERS}]*[ \t]?[A-Z0-9$])"
_SPACE = r"[ \t\u00a0]"
_BOUNDARY = re.compile(
    rf"""[.!?…\n \t\u00a0](?:"""
    rf"""(?<=[.!?…])[.!?…]*["'”’)\]»]*\s+{_NEW_SENTENCE}"""
    rf"""|(?<=\n)(?:{_SPACE}*\n)+|(?<={_SPACE}){_SPACE}*\n(?:{_SPACE}*\n)+"""
    rf"""|(?<=[^\s.!?…,;:]\n){_SPACE}*{_NEW_SENTENCE}"""
    rf"""|(?<=[^\s.!?…,;:]{_SPACE}){_SPACE}*\n{_SPACE}*{_NEW_SENTENCE})"""
)
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc inc ltd co corp jan feb mar apr jun jul aug sep sept oct "
    "nov dec no fig e.g i.e u.s u.k u.n a.m p.m approx dept est gov gen sen rep col lt capt sgt "
    "ft op cf al".split()
)
# A line break after one of these words, or after a long line, is a wrap inside a sentence.
_CONTINUING = frozenset("a an the of to and or in on at by for from with that is was as but".split())
_HEADING_MAX_CHARS = 120
_LAST_WORD = re.compile(r"[\w.]+$")
_BULLET = re.compile(r"[•·▪*–—-]+\s+")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Span]:
    """Split `text` into sentences; spans are trimmed and `text[start:end] == span.text`.

    Headings, bylines and bullet items on their own line are sentences of their own; a bullet
    mark at the start of a sentence is left out of its span.
    """
    return list(_split(text))


# Every answer splits the passages it was given: a passage's sentences are remembered (rag.text.memo).
@per_text(maxsize=4_096, max_chars=PASSAGE_CHARS)
def _split(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _is_abbreviation(text, start, match.start()):
            continue
        if _is_wrapped_line(text, start, match):
            continue
        _append(spans, text, start, match.start() + len(match.group(0).rstrip()))
        start = match.end()
    _append(spans, text, start, len(text))
    return tuple(spans)


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = _LAST_WORD.search(text, max(start, dot - 16), dot)
    if not word:
        return False
    token = word.group(0).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _is_wrapped_line(text: str, start: int, match: re.Match[str]) -> bool:
    """A single line break after a line that reads on (long, or ending in "the") is a wrap."""
    if not match.group(0)[0].isspace() or match.group(0).count("\n") != 1:
        return False
    line_start = max(start, text.rfind("\n", start, match.start()) + 1)
    line = text[line_start : match.start()]
    last_word = line.rsplit(None, 1)[-1] if line.strip() else ""
    return len(line) > _HEADING_MAX_CHARS or last_word in _CONTINUING


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    bullet = _BULLET.match(stripped)
    if bullet and len(stripped) > bullet.end():
        stripped = stripped[bullet.end() :]
    if not stripped:
        return
    begin = start + piece.index(stripped)
    spans.append(Span(begin, begin + len(stripped), stripped))
