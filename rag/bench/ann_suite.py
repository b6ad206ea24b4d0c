"""Approximate and compressed dense indexes on real (hashing-embedder) vectors of synthetic text.

rag's store switches a segment to HNSW above `StoreParams.flat_max_rows` rows; this suite
builds that same `HNSWIndex` class directly (no catalog, no BM25) so the 1M-row figures are
about the vector index itself, and compares it with exact search and FAISS scalar quantizers.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.bench.synthetic import PARAGRAPHS_PER_DOC, Generator
from rag.bench.timing import latencies, percentiles, rss_mb, timed

K = 10


def corpus_vectors(n_rows: int, seed: int, n_queries: int, embedder: Any) -> tuple[np.ndarray, np.ndarray]:
    """Paragraph vectors (each paragraph ~160 tokens, one chunk) and held-out query vectors."""
    gen = Generator(seed)
    n_docs = -(-n_rows // PARAGRAPHS_PER_DOC)
    parts, batch = [], []
    for doc in gen.iter_documents(n_docs):
        batch.extend(doc.text.split("\n\n"))
        if len(batch) >= 4096:
            parts.append(embedder.embed_documents(batch))
            batch = []
    if batch:
        parts.append(embedder.embed_documents(batch))
    vectors = np.vstack(parts)[:n_rows]
    queries = embedder.embed_documents([q.text for q in gen.queries(n_docs, n_queries)])
    return vectors, queries


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f[f >= 0].tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]
    return round(float(np.mean(hits)), 4)


def index_bytes(index: Any) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "i.faiss"
        faiss.write_index(index, str(path))
        return os.path.getsize(path)


def run_ann(args: dict[str, Any]) -> dict[str, Any]:
    from rag.embed.registry import get_embedder
    from rag.config import EmbedderSettings
    from rag.store.dense import FlatIndex, HNSWIndex, HNSWParams

    n, threads = args["n_rows"], args.get("build_threads", 1)
    embedder = get_embedder(EmbedderSettings())
    (vectors, queries), embed_s = timed(lambda: corpus_vectors(n, args.get("seed", 0), args.get("queries", 200), embedder))
    ids = np.arange(len(vectors), dtype=np.int64)
    rows = list(queries[:, None, :])
    out: dict[str, Any] = {"rows": len(vectors), "dimension": vectors.shape[1], "embed_s": round(embed_s, 1),
                           "embed_rows_per_s": round(len(vectors) / embed_s)}
    faiss.omp_set_num_threads(1)
    flat = FlatIndex(vectors.shape[1])
    flat.add(ids, vectors)
    _, truth = flat.search(queries, K)
    out["flat"] = {"p50_ms": percentiles(latencies(lambda q: flat.search(q, K), rows))["p50"],
                   "bytes_per_row": round(index_bytes(flat._index) / n, 1)}
    params = HNSWParams()
    hnsw = HNSWIndex(vectors.shape[1], params)
    faiss.omp_set_num_threads(threads)
    before = rss_mb()
    _, build_s = timed(lambda: hnsw.add(ids, vectors))
    faiss.omp_set_num_threads(1)
    _, found = hnsw.search(queries, K)
    out["hnsw"] = {"params": vars(params) if hasattr(params, "__dict__") else str(params),
                   "build_s": round(build_s, 1), "build_threads": threads, "recall@10": recall_at_k(found, truth),
                   "p50_ms": percentiles(latencies(lambda q: hnsw.search(q, K), rows))["p50"],
                   "bytes_per_row": round(index_bytes(hnsw._index) / n, 1),
                   "rss_growth_mb": round(rss_mb() - before, 1), "ef_sweep": ef_sweep(hnsw, queries, truth)}
    out["compressed"] = {name: quantized(vectors, queries, truth, qtype)
                         for name, qtype in (("sq8", faiss.ScalarQuantizer.QT_8bit), ("fp16", faiss.ScalarQuantizer.QT_fp16))}
    return out


def ef_sweep(hnsw: Any, queries: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Recall@10 and p50 at larger efSearch: what the default trades away."""
    out, default = {}, hnsw.ef_search
    rows = list(queries[:, None, :])
    for ef in (128, 256, 512):
        hnsw.ef_search = ef
        _, found = hnsw.search(queries, K)
        p50 = percentiles(latencies(lambda q: hnsw.search(q, K), rows[:100]))["p50"]
        out[str(ef)] = {"recall@10": recall_at_k(found, truth), "p50_ms": p50}
    hnsw.ef_search = default
    return out


def quantized(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, qtype: int) -> dict[str, Any]:
    """A FAISS `IndexScalarQuantizer` (exact scan over compressed codes): memory and recall cost."""
    index = faiss.IndexScalarQuantizer(vectors.shape[1], qtype, faiss.METRIC_INNER_PRODUCT)
    _, train_s = timed(lambda: (index.train(vectors[:100_000]), index.add(vectors)))
    _, found = index.search(queries, K)
    rows = list(queries[:, None, :])
    return {"recall@10": recall_at_k(found, truth), "build_s": round(train_s, 1),
            "p50_ms": percentiles(latencies(lambda q: index.search(q, K), rows))["p50"],
            "bytes_per_row": round(index_bytes(index) / len(vectors), 1)}
