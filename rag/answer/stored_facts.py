"""Sentence facts as the index stores them (`rag.answer.facts.dumps`), kept until an answer needs them.

Every chunk a search reads hands over its stored facts; they are decoded only if the chunk is
answered from (a search reads a few dozen candidates, an answer uses a handful). Keeping them
here, apart from the code that analyses and decodes them, spares `rag search` importing that
code (with the figure patterns and the sentence splitter: ~10 ms of its cold start).
"""

from __future__ import annotations

from collections.abc import Callable

from rag.text.memo import PASSAGE_CHARS, TextCache

STORED: TextCache[bytes] = TextCache(maxsize=8_192, max_chars=PASSAGE_CHARS)
# Whether a text's facts are already decoded or computed (set by rag.answer.facts when imported).
_analysed: list[Callable[[str], bool]] = []


def remember(text: str, stored: bytes | None) -> None:
    """Keep a chunk's stored facts for when an answer first needs them."""
    if stored and not any(check(text) for check in _analysed):
        STORED.put(text, stored)


def analysed_by(check: Callable[[str], bool]) -> None:
    """Register the test for facts already at hand, so that they are not kept twice."""
    _analysed[:] = [check]
