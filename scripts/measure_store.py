"""Measure the index store: single-document adds, BM25 and flat dense query latency, FAISS threads and BLAS.

Run: python scripts/measure_store.py [--dim 384] [--lexical-rows 10000 100000] [--million]
Synthetic data: random unit vectors and Zipf-distributed pseudo-words (60 words per chunk).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from rag.store import BM25Index, FlatIndex, IndexStore, StoredDocument, configure_faiss
from rag.store.bm25 import SegmentView, search_segments
from rag.types import Chunk

WORDS_PER_CHUNK = 60
CHUNKS_PER_DOC = 10


def vocabulary(n: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return np.array(["".join(rng.choice(letters, size=rng.integers(4, 10))) for _ in range(n)])


def texts(rows: int, vocab: np.ndarray, rng: np.random.Generator) -> list[str]:
    ranks = np.minimum(rng.zipf(1.2, size=(rows, WORDS_PER_CHUNK)), len(vocab)) - 1
    return [" ".join(row) for row in vocab[ranks]]


def unit(rows: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal((rows, dim), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 milliseconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def queries(vocab: np.ndarray, rng: np.random.Generator, n: int = 200) -> list[str]:
    # 5-10 terms: a few common words plus rarer ones, like a natural-language question.
    out = []
    for _ in range(n):
        common = vocab[rng.integers(0, 50, size=rng.integers(2, 4))]
        rare = vocab[rng.integers(50, len(vocab), size=rng.integers(3, 7))]
        out.append(" ".join([*common, *rare]))
    return out


def make_docs(start: int, n_docs: int, vocab, dim: int, rng) -> list[StoredDocument]:
    docs = []
    for d in range(start, start + n_docs):
        body = texts(CHUNKS_PER_DOC, vocab, rng)
        chunks = [Chunk(f"doc{d}", i, t, 0, len(t), WORDS_PER_CHUNK) for i, t in enumerate(body)]
        docs.append(StoredDocument(f"doc{d}", f"h{d}", " ".join(body), None, "synthetic", None, "2024-01-01", {},
                                   chunks, unit(CHUNKS_PER_DOC, dim, rng)))
    return docs


def measure_adds(dim: int, rows: int, vocab, rng) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore.open(Path(tmp) / "idx", embedder_id="synthetic", dimension=dim, chunking={})
        start = time.perf_counter()
        store.write(make_docs(0, rows // CHUNKS_PER_DOC, vocab, dim, rng))
        print(f"bulk write of {rows:,} chunks: {time.perf_counter() - start:.1f} s")
        times = []
        for i in range(40):
            doc = make_docs(10**6 + i, 1, vocab, dim, rng)
            begin = time.perf_counter()
            store.write(doc)
            times.append((time.perf_counter() - begin) * 1000)
        print(f"single-doc add ({CHUNKS_PER_DOC} chunks) into {rows:,}: median {statistics.median(times):.1f} ms, "
              f"max {max(times):.1f} ms over 40 adds (includes automatic merges), segments now "
              f"{store.stats().segments}")
        qs = queries(vocab, rng)
        med, p95 = timed(lambda it=iter(qs * 5): store.lexical_search(next(it), 50), 200)
        print(f"IndexStore.lexical_search k=50 over {store.stats().segments} segments: median {med:.2f} ms, "
              f"p95 {p95:.2f} ms")
        q = unit(1, dim, rng)
        med, p95 = timed(lambda: store.dense_search(q, 50), 200)
        print(f"IndexStore.dense_search k=50 (flat, 1 query): median {med:.2f} ms, p95 {p95:.2f} ms")
        store.close()


def measure_bm25(rows: int, vocab, rng) -> None:
    start = time.perf_counter()
    index = BM25Index.build(np.arange(rows), texts(rows, vocab, rng))
    build = time.perf_counter() - start
    view = [SegmentView.of(index)]
    qs = queries(vocab, rng)
    med, p95 = timed(lambda it=iter(qs * 5): search_segments(view, next(it), 50), 200)
    print(f"BM25 {rows:>9,} chunks: build {build:.1f} s, query k=50 median {med:.2f} ms, p95 {p95:.2f} ms")


def measure_dense(dim: int, rows: int, rng) -> None:
    index = FlatIndex(dim)
    index.add(np.arange(rows), unit(rows, dim, rng))
    one, batch = unit(1, dim, rng), unit(64, dim, rng)
    for threads in (1, 2):
        configure_faiss(threads)
        med, p95 = timed(lambda: index.search(one, 10), 300)
        print(f"flat {rows:,}x{dim}, 1 query, {threads} thread(s): median {med:.3f} ms, p95 {p95:.3f} ms")
    for threads in (1, 2):
        for threshold in (128_000, 16):
            configure_faiss(threads, threshold)
            med, _ = timed(lambda: index.search(batch, 10), 30)
            print(f"flat {rows:,}x{dim}, batch 64, {threads} thread(s), BLAS threshold {threshold:>6}: "
                  f"median {med:.2f} ms ({med / 64:.3f} ms/query)")
    configure_faiss()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--lexical-rows", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--store-rows", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also BM25 at 1,000,000 chunks (slow build)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vocab = vocabulary(30_000, rng)
    print(f"faiss {faiss.__version__}, omp max threads {faiss.omp_get_max_threads()}")
    measure_dense(args.dim, 10_000, rng)
    for rows in args.lexical_rows + ([1_000_000] if args.million else []):
        measure_bm25(rows, vocab, rng)
    configure_faiss(1)
    measure_adds(args.dim, args.store_rows, vocab, rng)


if __name__ == "__main__":
    main()
