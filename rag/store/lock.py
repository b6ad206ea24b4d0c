"""The index's write lock: one writer at a time across threads *and* processes.

An `fcntl.flock` on `write.lock` beside the catalog. The kernel drops it when its holder dies,
even on `kill -9`, so a crashed writer never leaves the index locked; what the dead writer left
on disk (a segment folder its commit never listed) is cleaned by the next lock holder.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import IndexBusyError

__all__ = ["IndexBusyError", "LOCK_FILE", "WriteLock"]

LOCK_FILE = "write.lock"
# flock cannot wait with a timeout, so a waiter polls; a few ms between polls keeps the index busy
# when writers queue (measured: polls of up to 50 ms halved 4-writer throughput).
_POLL_SECONDS = (0.0005, 0.001, 0.002, 0.005)


class WriteLock:
    """Re-entrant within a thread, exclusive across threads and processes."""

    def __init__(self, folder: Path, timeout: float) -> None:
        self.path = Path(folder) / LOCK_FILE
        self.timeout = timeout
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lock for the block; raise IndexBusyError when it stays taken past `timeout`."""
        timeout = max(self.timeout if timeout is None else timeout, 0.0)
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            raise self._busy(timeout)
        try:
            if self._depth == 0:
                self._fd = self._acquire_file(deadline, timeout)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None
        finally:
            self._threads.release()

    @contextmanager
    def in_process(self) -> Iterator[None]:
        """Wait only for this process's own writers (closing must not wait for other processes)."""
        with self._threads:
            yield

    def _acquire_file(self, deadline: float, timeout: float) -> int:
        attempt = 0
        while True:
            fd = self._try_lock()
            if fd is not None:
                return fd
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._busy(timeout)
            time.sleep(min(_POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)], left))
            attempt += 1

    def _try_lock(self) -> int | None:
        """A locked descriptor of the lock file now at our path, or None when another holds it."""
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:
                return None  # the folder is being swapped by `rag index --rebuild`; wait for it
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            except BaseException:
                os.close(fd)
                raise
            if self._still_ours(fd):
                return fd
            os.close(fd)  # the folder was swapped while we waited: lock the new one's file

    def _still_ours(self, fd: int) -> bool:
        """Whether the file we locked is still the one at our path."""
        try:
            here = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (mine.st_dev, mine.st_ino) == (here.st_dev, here.st_ino)

    def _busy(self, timeout: float) -> IndexBusyError:
        return IndexBusyError(
            f"another process is writing the index at {self.path.parent} (waited {timeout:g}s for {self.path.name}); "
            "retry when it has finished, or raise ingest.lock_timeout (RAG_INGEST__LOCK_TIMEOUT)"
        )
