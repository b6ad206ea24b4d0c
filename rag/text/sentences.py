"""Sentence spans with character offsets, tolerant of abbreviations, initials and decimals."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A boundary is end punctuation (optionally closed by quotes/brackets) followed by space and an
# upper-case letter, digit or opening quote, or a blank line. Abbreviations are vetoed afterwards.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])|\n\s*\n""")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc inc ltd co corp jan feb mar apr jun jul aug sep sept oct "
    "nov dec no fig e.g i.e u.s u.k u.n a.m p.m approx dept est gov".split()
)


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Span]:
    """Split `text` into sentences; spans are trimmed and `text[start:end] == span.text`."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _is_abbreviation(text, start, match.start()):
            continue
        cut = match.start() + len(match.group(0).rstrip())
        _append(spans, text, start, cut)
        start = match.end()
    _append(spans, text, start, len(text))
    return spans


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([\w.]+)$", text[start:dot])
    if not word:
        return False
    token = word.group(1).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    begin = start + lead
    spans.append(Span(begin, begin + len(stripped), stripped))
