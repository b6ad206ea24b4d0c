"""Fit ranked passages into the prompt's token budget, cutting at sentence boundaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.config import Settings
from rag.text.sentences import split_sentences
from rag.types import Passage

TokenCounter = Callable[[str], int]

# Tokens taken by one passage's delimiters and header (<passage id=".." title=".." ...>).
PASSAGE_OVERHEAD = 24


def estimate_tokens(text: str) -> int:
    """Conservative estimate: English BPE averages ~4 chars a token; we assume 3 to overestimate."""
    return (len(text) + 2) // 3 + text.count("\n")


def token_counter(settings: Settings | None = None) -> TokenCounter:
    """The project's token counter when `rag.text.tokens` provides one, else `estimate_tokens`."""
    try:
        from rag.text.tokens import get_token_counter  # written by another module owner
    except ImportError:
        return estimate_tokens
    try:
        if settings is None:
            counter = get_token_counter()
        else:
            counter = get_token_counter(settings.chunking.encoding, settings.chunking.encoding_file)
    except Exception:  # noqa: BLE001 - any failure to build a counter must not break answering
        return estimate_tokens
    count = getattr(counter, "count", counter)
    return count if callable(count) else estimate_tokens


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
