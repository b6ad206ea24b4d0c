"""Fit ranked passages into the prompt's token budget, cutting at sentence boundaries."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache
from typing import cast

from rag.config import Settings
from rag.text.memo import PASSAGE_CHARS, per_text
from rag.text.sentences import split_sentences
from rag.text.tokens import get_token_counter
from rag.types import Passage

TokenCounter = Callable[[str], int]

# Tokens taken by one passage's delimiters and header (<passage id=".." title=".." ...>).
PASSAGE_OVERHEAD = 24


def token_counter(settings: Settings | None = None) -> TokenCounter:
    """The configured token counter's `count` (the model's encoding where known), remembering
    the counts of passages and prompt parts: every answer packs the same retrieved chunks."""
    chunking = (settings or Settings()).chunking
    counter = get_token_counter(chunking.encoding, chunking.encoding_file, quiet=True)
    return _remembered(cast(Hashable, counter))  # counters are plain objects, hashed by identity


@lru_cache(maxsize=16)
def _remembered(counter: Hashable) -> TokenCounter:
    return per_text(maxsize=8_192, max_chars=PASSAGE_CHARS)(counter.count)  # type: ignore[attr-defined]


def pack_passages(
    passages: Sequence[Passage],
    budget_tokens: int,
    count_tokens: TokenCounter,
    *,
    overhead: int = PASSAGE_OVERHEAD,
) -> list[Passage]:
    """Passages in rank order that fit `budget_tokens`; one that overflows is cut after its last
    whole sentence that fits (offsets adjusted), or left out when not even one sentence fits."""
    packed: list[Passage] = []
    left = budget_tokens
    for passage in passages:
        room = left - overhead
        if room <= 0:
            break
        cost = count_tokens(passage.text)
        if cost <= room:
            packed.append(passage)
            left -= cost + overhead
            continue
        cut = _cut_to_fit(passage, room, count_tokens)
        if cut is not None:
            packed.append(cut)
            left -= count_tokens(cut.text) + overhead
        # Keep going: a later, shorter passage may still fit in what is left.
    return packed


def _cut_to_fit(passage: Passage, room: int, count_tokens: TokenCounter) -> Passage | None:
    """The longest prefix of whole sentences that fits in `room` tokens, or None."""
    best: int | None = None
    for span in split_sentences(passage.text):
        if count_tokens(passage.text[: span.end]) > room:
            break
        best = span.end
    if best is None:
        return None
    text = passage.text[:best]
    return passage.model_copy(update={"text": text, "end": passage.start + best})
