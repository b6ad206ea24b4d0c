"""Question-independent analysis of passage text, computed once per process and reused by every answer.

Every answer re-reads the same few retrieved chunks: splitting them into sentences, tokenising
and stemming those sentences, tagging their figures and names. None of that depends on the
question, so it is cached here, keyed by the text itself. A text key needs no invalidation: a
re-indexed chunk whose text changed is a new key, one whose text did not change may reuse the
old analysis, whatever the index generation. The caches are bounded (least recently used
entries go first) and only hold texts up to a passage's size, so indexing a large corpus, which
runs the same functions over every chunk once, cannot fill memory with texts never asked about.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache, wraps
from typing import Generic, TypeVar

T = TypeVar("T")

# A sentence is rarely over 600 characters; a 512-token chunk is about 2,500.
SENTENCE_CHARS = 1_000
PASSAGE_CHARS = 8_000


def per_text(maxsize: int, max_chars: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Cache a pure function of one text whose result is immutable (a tuple, a frozen dataclass).

    Texts longer than `max_chars` are computed every time and never held.
    """

    def decorate(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def lookup(text: str) -> T:
            return cached(text) if len(text) <= max_chars else fn(text)

        lookup.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        lookup.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return lookup

    return decorate


class TextCache(Generic[T]):
    """A bounded, thread-safe cache of one batch analysis per text (a tagger's entities, say).

    `get_many` computes the texts it has not seen in one batch call, so a model that tags
    sentences in batches keeps doing so for whatever is new.
    """

    def __init__(self, maxsize: int = 16_384, max_chars: int = SENTENCE_CHARS) -> None:
        self.maxsize = maxsize
        self.max_chars = max_chars
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, texts: Sequence[str], compute: Callable[[list[str]], list[T]], key: Hashable = None) -> list[T]:
        """The analysis of each text, computing the missing ones with `compute(missing_texts)`.

        `key` separates analyses of the same text that differ in how they were made (a model's name).
        """
        found: dict[str, T] = {}
        with self._lock:
            for text in texts:
                entry = self._entries.get((key, text))
                if entry is not None:
                    self._entries.move_to_end((key, text))
                    found[text] = entry
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            computed = compute(missing)
            found.update(zip(missing, computed, strict=True))
            self._store(key, [(t, found[t]) for t in missing if len(t) <= self.max_chars])
        return [found[text] for text in texts]

    def get(self, text: str, compute: Callable[[str], T], key: Hashable = None) -> T:
        with self._lock:
            entry = self._entries.get((key, text))
            if entry is not None:
                self._entries.move_to_end((key, text))
                return entry
        value = compute(text)
        if len(text) <= self.max_chars:
            self._store(key, [(text, value)])
        return value

    def has(self, text: str, key: Hashable = None) -> bool:
        return (key, text) in self._entries

    def peek(self, text: str, key: Hashable = None) -> T | None:
        """The entry for `text` if there is one, without computing it."""
        with self._lock:
            return self._entries.get((key, text))

    def put(self, text: str, value: T, key: Hashable = None) -> None:
        """Remember an analysis made elsewhere (stored with the index, say)."""
        if len(text) <= self.max_chars:
            self._store(key, [(text, value)])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _store(self, key: Hashable, items: list[tuple[str, T]]) -> None:
        with self._lock:
            for text, value in items:
                self._entries[(key, text)] = value
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
