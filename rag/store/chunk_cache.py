"""Chunks read from the catalog, kept per snapshot so that a search reads each one from SQLite once.

Every search fetches the few dozen chunks at the head of its candidate list (focus re-scores their
sentences), and a server sees the same chunks again and again. A chunk id is never reused and its
catalog row is never updated in place, so a row read once stays right for as long as the chunk
lives; deletion is the only change, and it comes with a new snapshot, which starts with an empty
cache. Bounded: the least recently used chunks go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

DEFAULT_CHUNKS = 4_096  # ~2.5 KB of text and facts each: about 10 MB


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=_HasId)


class ChunkCache(Generic[T]):
    """A bounded, thread-safe map of chunk id -> what was read of it (treat the values as read-only)."""

    def __init__(self, maxsize: int = DEFAULT_CHUNKS) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[int, T] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, ids: Sequence[int], fetch: Callable[[list[int]], list[T]]) -> list[T]:
        """The chunks of `ids` in that order, reading the missing ones with `fetch(missing_ids)`;
        ids `fetch` does not return (deleted meanwhile) are left out."""
        wanted = [int(i) for i in ids]
        found: dict[int, T] = {}
        with self._lock:
            entries = self._entries
            for chunk_id in wanted:
                chunk = entries.get(chunk_id)
                if chunk is not None:
                    entries.move_to_end(chunk_id)
                    found[chunk_id] = chunk
        missing = [i for i in dict.fromkeys(wanted) if i not in found]
        if missing:
            fresh = fetch(missing)
            found.update((chunk.id, chunk) for chunk in fresh)
            self._store(fresh)
        return [found[i] for i in wanted if i in found]

    def _store(self, chunks: list[T]) -> None:
        with self._lock:
            for chunk in chunks:
                self._entries[chunk.id] = chunk
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
