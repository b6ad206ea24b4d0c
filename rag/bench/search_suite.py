"""Search measurements on an open `RAG`: latency per mode, overhead over raw FAISS, batches, threads."""

from __future__ import annotations

from functools import partial
from typing import Any

import faiss
import numpy as np

from rag.bench.baselines import BM25sBaseline, flat_ip
from rag.bench.timing import latencies, percentiles, timed

# FAISS's own BLAS threshold, read before rag's IndexStore.open applies its measured default.
FAISS_DEFAULT_BLAS = int(faiss.cvar.distance_compute_blas_threshold)
POOL = 50  # the retriever's default candidate pool (RetrievalSettings.candidates)
FETCH = 20  # chunks the retriever fetches for k=5: max(4k, 20)


def stored_vectors(rag: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of every live chunk, read from the loaded segments (benchmark-only access)."""
    ids, vecs = [], []
    for live in rag.store._snapshot.segments:
        seg_ids = live.segment.dense.ids()
        keep = ~np.isin(seg_ids, live.deleted.ids)
        ids.append(seg_ids[keep])
        vecs.append(live.segment.dense.vectors()[keep])
    return np.concatenate(ids), np.vstack(vecs)


def mode_latencies(rag: Any, queries: list[str], targets: list[str]) -> dict[str, Any]:
    """End-to-end `RAG.search` p50/p95 per mode, with hit@5 (a passage names the target entity)."""
    out: dict[str, Any] = {}
    for mode in ("dense", "lexical", "hybrid"):
        out[mode] = percentiles(latencies(partial(rag.search, k=5, mode=mode), queries))
        hits = [any(t in p.text for p in rag.search(q, 5, mode=mode)) for q, t in zip(queries, targets)]
        out[mode]["hit@5"] = round(float(np.mean(hits)), 3) if hits else None
    out["embed_query"] = percentiles(latencies(rag.embedder.embed_query, queries))
    return out


def dense_overhead(rag: Any, queries: list[str], vectors: np.ndarray) -> dict[str, Any]:
    """Store path with precomputed query vectors vs a plain IndexFlatIP on the same vectors."""
    qv = rag.embedder.embed_documents(queries)
    rows = list(qv[:, None, :])
    store = rag.store
    raw = flat_ip(vectors)

    def store_path(v: np.ndarray) -> None:
        _, ids = store.dense_search(v, POOL)
        store.chunks([int(i) for i in ids[0][:FETCH] if i >= 0])

    out = {
        "raw_faiss": percentiles(latencies(lambda v: raw.search(v, POOL), rows)),
        "store_dense_search": percentiles(latencies(lambda v: store.dense_search(v, POOL), rows)),
        "store_dense_plus_fetch": percentiles(latencies(store_path, rows)),
        "chunk_fetch_20": percentiles(latencies(lambda v: store.chunks(list(range(FETCH))), rows)),
    }
    return out


def batch_throughput(rag: Any, queries: list[str], vectors: np.ndarray, repeats: int = 10) -> dict[str, Any]:
    """Queries/s for (64, d) batches via the store and raw FAISS, at FAISS's BLAS threshold and rag's."""
    from rag.store.dense import DEFAULT_BLAS_THRESHOLD

    batch = rag.embedder.embed_documents((queries * 64)[:64])
    raw = flat_ip(vectors)
    out: dict[str, Any] = {"faiss_default_threshold": FAISS_DEFAULT_BLAS}
    before = faiss.cvar.distance_compute_blas_threshold
    for label, threshold in (("faiss_default", FAISS_DEFAULT_BLAS), ("rag_16", DEFAULT_BLAS_THRESHOLD)):
        faiss.cvar.distance_compute_blas_threshold = threshold
        for name, fn in (
            ("store", lambda: rag.store.dense_search(batch, 10)),
            ("raw_faiss", lambda: raw.search(batch, 10)),
        ):
            fn()
            _, seconds = timed(partial(_repeat, fn, repeats))
            out[f"{name}@{label}"] = round(64 * repeats / seconds, 1)
    faiss.cvar.distance_compute_blas_threshold = before
    return out


def thread_latency(rag: Any, queries: list[str], vectors: np.ndarray) -> dict[str, Any]:
    """Single-query dense p50 with 1 and 2 OpenMP threads (rag.search and raw FAISS)."""
    raw = flat_ip(vectors)
    rows = list(rag.embedder.embed_documents(queries)[:, None, :])
    out: dict[str, Any] = {}
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        out[f"rag_dense_p50@{threads}"] = percentiles(latencies(lambda q: rag.search(q, 5, mode="dense"), queries))[
            "p50"
        ]
        out[f"raw_faiss_p50@{threads}"] = percentiles(latencies(lambda v: raw.search(v, POOL), rows))["p50"]
    faiss.omp_set_num_threads(1)
    return out


def lexical_baseline(rag: Any, queries: list[str], ids: np.ndarray) -> dict[str, Any]:
    """bm25s alone over the same chunk texts vs the store's BM25, top 50, single queries."""
    texts = [c.text for c in rag.store.chunks([int(i) for i in ids])]
    bm25, build_s = timed(lambda: BM25sBaseline(texts))
    return {
        "bm25s_build_s": round(build_s, 2),
        "bm25s": percentiles(latencies(lambda q: bm25.search(q, POOL), queries)),
        "store_lexical_search": percentiles(latencies(lambda q: rag.store.lexical_search(q, POOL), queries)),
    }


def _repeat(fn: Any, times: int) -> list[Any]:
    return [fn() for _ in range(times)]
