"""FAISS's OpenMP threads: few for searches, every core for builds.

Process-wide state, set by one explicit call: `RAG.open` calls `configure_faiss` with
`retrieval.omp_threads`. Code that uses the stores without the facade calls it itself (until then
FAISS keeps its own default, a thread per core).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import faiss

# Measured on a 2-core box (scripts/measure_store.py): one OpenMP thread is faster for single
# queries and batches alike (no thread start-up, no oversubscription), and BLAS from 16 queries
# up makes a batch of 64 about 3x faster than FAISS's default threshold.
# Newer FAISS (default 128,000) compares the threshold with queries x dimension, older FAISS
# (default 20) with the number of queries. A bare 16 under the new rule sent every single query
# through BLAS: 3.7 ms instead of 0.46 ms on 12k rows of 384 dimensions (a 2-core box).
DEFAULT_THREADS = 1
BLAS_FROM_QUERIES = 16
_COUNTS_DIMENSIONS = faiss.cvar.distance_compute_blas_threshold > 1000
DEFAULT_BLAS_THRESHOLD = BLAS_FROM_QUERIES * (384 if _COUNTS_DIMENSIONS else 1)
_configured = False
_search_threads = DEFAULT_THREADS


def configure_faiss(threads: int | None = None, blas_threshold: int | None = None) -> None:
    """Set FAISS OpenMP threads and the batch size from which flat search uses BLAS (None: measured default)."""
    global _configured, _search_threads
    threads = DEFAULT_THREADS if threads is None else threads
    if threads < 1:
        raise ValueError(f"FAISS threads must be >= 1, got {threads}")
    faiss.omp_set_num_threads(threads)
    _search_threads = threads
    _thread_state.threads = threads
    faiss.cvar.distance_compute_blas_threshold = int(
        DEFAULT_BLAS_THRESHOLD if blas_threshold is None else blas_threshold
    )
    _configured = True


# OpenMP's thread count belongs to the calling thread: a server's thread-pool workers would
# otherwise search with one OpenMP thread per core (configure_faiss ran in another thread), and
# concurrent requests then oversubscribe the cores and spin-wait (measured here: an answer in a
# pool thread took about twice as long as in the main thread).
_thread_state = threading.local()


def use_search_threads() -> None:
    """Give the calling thread the configured FAISS search threads (once per thread)."""
    if _configured and getattr(_thread_state, "threads", None) != _search_threads:
        faiss.omp_set_num_threads(_search_threads)
        _thread_state.threads = _search_threads


@contextlib.contextmanager
def build_threads() -> Iterator[None]:
    """All cores for index builds and training (HNSW insertion, IVF/SQ training), then back to the
    configured search threads: one thread is best for single-query search on a small box, but an
    HNSW build is embarrassingly parallel (200k rows: 87 s on one thread)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(os.cpu_count() or 1, 1))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(_search_threads if _configured else before)
