"""Worker-process side of parallel ingestion: clean and hash, then chunk, embed and analyse.

The parent (`rag.ingest.pipeline.Ingestor`) keeps everything that depends on order or on the
index: de-duplication, the report items, and the single atomic write. Workers are forked, so
they inherit the embedder and the token counter without pickling; only plain strings, integers
and numpy arrays cross the process boundary.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from rag.answer.facts import dumps_with_terms
from rag.chunking import chunk_text
from rag.ingest.clean import clean_text
from rag.store.terms import text_hashes

# Inputs smaller than this are ingested in-process: forking workers costs more than it saves.
MIN_DOCUMENTS = 200
MIN_CHARS = 2_000_000
MAX_WORKERS = 4
# One task: this many documents, or fewer when they hold this many characters. Short documents
# (a sentence each) pay per task (pickling, queues, futures): 128 took ~8% less CPU than 48 on the
# distinct SQuAD documents, 256 about the same as 128 (docs/tuning.md, "Ingest").
BATCH_DOCUMENTS = 128
BATCH_CHARS = 200_000

_state: dict[str, Any] = {}


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def can_fork(embedder: Any) -> bool:
    """Whether this process may fork ingest workers for `embedder`.

    Only embedders that declare `parallel_safe = True` (pure Python/numpy state, e.g. hashing):
    model embedders hold torch and its threads, which a forked child must not touch. Only on
    Linux (fork is unsafe on macOS and absent on Windows), and never from a daemonic process,
    which may not have children.
    """
    return (
        bool(getattr(type(embedder), "parallel_safe", False))
        and sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def start_pool(workers: int, embedder: Any, counter: Any, size: int, overlap: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_init,
        initargs=(embedder, counter, size, overlap),
    )


def _init(embedder: Any, counter: Any, size: int, overlap: int) -> None:
    _state.update(embedder=embedder, counter=counter, size=size, overlap=overlap)


def clean_batch(texts: list[str]) -> list[tuple[str, str]]:
    """(cleaned text, sha256 of it) per text."""
    out = []
    for text in texts:
        cleaned = clean_text(text)
        out.append((cleaned, hashlib.sha256(cleaned.encode("utf-8")).hexdigest()))
    return out


Prepared = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray], list[bytes]]


def prepare_batch(texts: list[str]) -> Prepared:
    """Chunk, embed and analyse cleaned texts, as arrays (cheap to send back):

    `counts` (chunks per text), `spans` ((n_chunks, 3): start, end, n_tokens), `vectors`
    ((n_chunks, d)), the BM25 terms of each chunk (`rag.store.terms.analyse_terms`) as
    (terms per chunk, all term hashes concatenated), and each chunk's sentence facts as the store
    keeps them (`rag.store.rows.chunk_facts`). The terms come from the sentences' facts
    (`rag.store.terms.text_hashes`): a chunk's words are split and stemmed once, not twice.
    """
    embedder, counter = _state["embedder"], _state["counter"]
    spans: list[tuple[int, int, int]] = []
    counts = np.zeros(len(texts), dtype=np.int64)
    chunk_texts: list[str] = []
    for i, text in enumerate(texts):
        chunks = chunk_text("", text, counter, _state["size"], _state["overlap"])
        counts[i] = len(chunks)
        spans.extend((c.start, c.end, c.n_tokens) for c in chunks)
        chunk_texts.extend(c.text for c in chunks)
    if chunk_texts:
        vectors = np.asarray(embedder.embed_documents(chunk_texts), dtype=np.float32)
    else:
        vectors = np.empty((0, embedder.dimension), dtype=np.float32)
    facts: list[bytes] = []
    terms: list[np.ndarray] = []
    for text in chunk_texts:
        stored, sentence_terms = dumps_with_terms(text)
        facts.append(stored)
        terms.append(text_hashes(text, sentence_terms))  # the words are split once, not twice
    term_lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    flat = np.concatenate(terms) if terms else np.empty(0, dtype=np.uint64)
    return counts, np.asarray(spans, dtype=np.int64).reshape(-1, 3), vectors, (term_lengths, flat), facts
