"""Sentence-aware, token-aware chunks with character offsets into the cleaned text.

Whole sentences are packed up to `size` tokens; the next chunk repeats the trailing sentences of
the previous one that fit in `overlap` tokens. A sentence is cut (at word boundaries) only when
it alone exceeds `size`. Tokens are counted once per sentence; each finished chunk is counted
once more, exactly, so `n_tokens` is true and never above `size`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.errors import ConfigError
from rag.text.sentences import split_sentences
from rag.text.tokens import TokenCounter
from rag.types import Chunk

# A chunk that is this full may end early at a paragraph break rather than run on past it.
_PARAGRAPH_FILL = 0.75
_WORD = re.compile(r"\S+")
# Texts longer than this many characters per token of `size` skip the one-chunk check: English
# runs ~4 characters per token, so they cannot fit and counting them whole would be wasted.
_MAX_CHARS_PER_TOKEN = 8


@dataclass(slots=True)
class _Unit:
    """A sentence, or a piece of one too long for a chunk, with its token count."""

    start: int
    end: int
    tokens: int
    paragraph: bool  # starts after a blank line


def chunk_text(doc_id: str, text: str, counter: TokenCounter, size: int, overlap: int) -> list[Chunk]:
    """Chunks of `text`, ordinals from 0, with `text[chunk.start:chunk.end] == chunk.text`."""
    if size < 1 or not 0 <= overlap < size:
        raise ConfigError(
            f"chunking needs size >= 1 and 0 <= overlap < size, got size={size}, overlap={overlap}; "
            f"fix RAG_CHUNKING__SIZE / RAG_CHUNKING__OVERLAP"
        )
    if len(text) <= _MAX_CHARS_PER_TOKEN * size:
        whole = _whole(doc_id, text, counter, size)
        if whole is not None:
            return whole
    units = _units(text, counter, size)
    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last = _pack(units, first, size)
        last, tokens = _fit(text, units, first, last, counter, size)
        start, end = units[first].start, units[last - 1].end
        chunks.append(Chunk(doc_id, len(chunks), text[start:end], start, end, tokens))
        if last >= len(units):
            break
        first = _overlap_start(units, first, last, overlap, size)
    return chunks


def _whole(doc_id: str, text: str, counter: TokenCounter, size: int) -> list[Chunk] | None:
    """The one chunk of a text that fits `size` whole, else None: one count instead of one per
    sentence plus a recount (most documents of a news or QA corpus are this short)."""
    tokens = counter.count(text)
    if tokens > size:
        return None
    spans = split_sentences(text)
    if not spans:
        return []
    start, end = spans[0].start, spans[-1].end
    if (start, end) != (0, len(text)):
        tokens = counter.count(text[start:end])
    return [Chunk(doc_id, 0, text[start:end], start, end, tokens)]


def _units(text: str, counter: TokenCounter, size: int) -> list[_Unit]:
    spans = split_sentences(text)
    counts = counter.count_batch([span.text for span in spans])
    units: list[_Unit] = []
    previous_end = 0
    for span, tokens in zip(spans, counts):
        gap = text[previous_end : span.start]
        paragraph = gap.count("\n") >= 2
        # Line breaks between sentences are tokens of their own; spaces merge into the next word.
        joining = gap.count("\n") if units else 0
        if tokens + joining <= size:
            units.append(_Unit(span.start, span.end, tokens + joining, paragraph))
        else:
            pieces = _split_long(text, span.start, span.end, counter, size)
            units.extend(_Unit(s, e, n, paragraph and i == 0) for i, (s, e, n) in enumerate(pieces))
        previous_end = span.end
    return units


def _pack(units: list[_Unit], first: int, size: int) -> int:
    """End (exclusive) of the longest run from `first` within `size`; ends at a paragraph when full."""
    total = units[first].tokens
    last = first + 1
    while last < len(units) and total + units[last].tokens <= size:
        total += units[last].tokens
        last += 1
    if last < len(units) and not units[last].paragraph:
        running = 0
        best = None
        for index in range(first, last):
            if index > first and units[index].paragraph and running >= _PARAGRAPH_FILL * size:
                best = index
            running += units[index].tokens
        last = best or last
    return last


def _fit(text: str, units: list[_Unit], first: int, last: int, counter: TokenCounter, size: int) -> tuple[int, int]:
    """Drop trailing units until the exact count of the chunk is within `size` (rarely needed)."""
    while True:
        tokens = counter.count(text[units[first].start : units[last - 1].end])
        if tokens <= size or last - first == 1:
            return last, tokens
        last -= 1


def _overlap_start(units: list[_Unit], first: int, last: int, overlap: int, size: int) -> int:
    """First unit of the next chunk: trailing units of this one within `overlap`, plus room for one more."""
    start = last
    carried = 0
    room = size - units[last].tokens
    while start - 1 > first and carried + units[start - 1].tokens <= min(overlap, room):
        start -= 1
        carried += units[start].tokens
    return start


def _split_long(text: str, start: int, end: int, counter: TokenCounter, size: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) pieces of one over-long sentence, cut between words, each within `size`."""
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
    costs = counter.count_batch([" " + text[s:e] for s, e in words])
    pieces: list[tuple[int, int, int]] = []
    index = 0
    while index < len(words):
        stop, total = index, 0
        while stop < len(words) and total + costs[stop] <= size:
            total += costs[stop]
            stop += 1
        if stop == index:  # one "word" over `size` (a URL, a data blob): cut it by characters
            pieces.extend(_split_chars(text, *words[index], counter, size))
            index += 1
            continue
        while True:  # word counts are estimates of the joined count; confirm it
            piece_start, piece_end = words[index][0], words[stop - 1][1]
            tokens = counter.count(text[piece_start:piece_end])
            if tokens <= size or stop - index == 1:
                break
            stop -= 1
        if tokens <= size:
            pieces.append((piece_start, piece_end, tokens))
        else:  # a lone word that only fit with a space before it
            pieces.extend(_split_chars(text, piece_start, piece_end, counter, size))
        index = stop
    return pieces


def _split_chars(text: str, start: int, end: int, counter: TokenCounter, size: int) -> list[tuple[int, int, int]]:
    pieces: list[tuple[int, int, int]] = []
    while start < end:
        low, high = start + 1, end  # largest cut with count(text[start:cut]) <= size
        while low < high:
            middle = (low + high + 1) // 2
            if counter.count(text[start:middle]) <= size:
                low = middle
            else:
                high = middle - 1
        pieces.append((start, low, counter.count(text[start:low])))
        start = low
    return pieces
