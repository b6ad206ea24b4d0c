"""One corpus size, end to end, in its own process: ingest, search, baselines, single-doc updates."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from rag.bench import search_suite as ss
from rag.bench.baselines import LLAMA_SKIPPED, llama_available, llama_retriever
from rag.bench.synthetic import CHUNKS_PER_DOC, Generator
from rag.bench.timing import dir_size_mb, latencies, peak_rss_mb, percentiles, rss_mb, timed


def run_size(args: dict[str, Any]) -> dict[str, Any]:
    """Build an index of about `n_chunks` synthetic chunks through `RAG.add` and measure it."""
    from rag import RAG

    n_docs = max(1, round(args["n_chunks"] / CHUNKS_PER_DOC))
    gen = Generator(args.get("seed", 0))
    corpus, gen_s = timed(lambda: gen.corpus(n_docs, args.get("queries", 200)))
    queries, targets = [q.text for q in corpus.queries], [q.target for q in corpus.queries]
    workdir = Path(args.get("workdir") or tempfile.mkdtemp(prefix="rag-bench-"))
    with RAG.open(workdir / f"synthetic-{args['n_chunks']}") as rag:
        result: dict[str, Any] = {"n_docs": n_docs, "generate_s": round(gen_s, 2), "rss_before_mb": rss_mb()}
        result["ingest"] = ingest(rag, corpus.documents, args.get("batch_docs", 0))
        corpus = None  # type: ignore[assignment]  # let the documents go before measuring search
        ids, vectors = ss.stored_vectors(rag)
        result["search"] = ss.mode_latencies(rag, queries, targets)
        result["dense_overhead"] = ss.dense_overhead(rag, queries, vectors)
        result["batch_qps"] = ss.batch_throughput(rag, queries, vectors)
        result["threads"] = ss.thread_latency(rag, queries[:100], vectors)
        result["lexical"] = ss.lexical_baseline(rag, queries, ids)
        if args.get("llama", True):
            result["llama"] = llama_vs_rag(rag, queries, ids, vectors)
        result["updates"] = updates(rag, gen, n_docs)
    return result


def ingest(rag: Any, documents: list, batch_docs: int) -> dict[str, Any]:
    """`RAG.add` in one call (batch_docs=0) or in batches; throughput, peak memory, size on disk."""
    from rag.engine import chunking_manifest
    from rag.text.tokens import get_token_counter

    counter = get_token_counter(rag.settings.chunking.encoding, rag.settings.chunking.encoding_file)
    tokens = sum(counter.count_batch([d.text for d in documents]))
    step = batch_docs or len(documents)
    chunks, seconds = 0, 0.0
    for start in range(0, len(documents), step):
        report, s = timed(partial(rag.add, documents[start : start + step]))
        chunks, seconds = chunks + report.chunks_added, seconds + s
    stats = rag.stats()
    return {
        "docs": len(documents),
        "chunks": chunks,
        "tokens": tokens,
        "token_counter": counter.name,
        "seconds": round(seconds, 2),
        "batches": -(-len(documents) // step),
        "docs_per_s": round(len(documents) / seconds, 1),
        "chunks_per_s": round(chunks / seconds, 1),
        "tokens_per_s": round(tokens / seconds),
        "peak_rss_mb": peak_rss_mb(),
        "index_mb": dir_size_mb(rag.store.path),
        "bytes_per_chunk_disk": round(stats.bytes_on_disk / max(chunks, 1)),
        "segments": stats.segments,
        "chunking": chunking_manifest(rag.settings),
    }


def llama_vs_rag(rag: Any, queries: list[str], ids: np.ndarray, vectors: np.ndarray) -> dict[str, Any]:
    """LlamaIndex VectorStoreIndex (same embedder, precomputed node vectors) vs rag dense search."""
    if not llama_available():
        return {"skipped": LLAMA_SKIPPED}
    texts = [c.text for c in rag.store.chunks([int(i) for i in ids])]
    retriever, build_s = timed(lambda: llama_retriever(rag.embedder, texts, vectors))
    n = 50 if len(texts) <= 20_000 else 10  # LlamaIndex's pure-Python scoring is slow at 100k
    llama = percentiles(latencies(retriever.retrieve, queries[:n], warmup=1))
    ours = percentiles(latencies(lambda q: rag.search(q, 5, mode="dense"), queries[:n]))
    hybrid = percentiles(latencies(lambda q: rag.search(q, 5), queries[:n]))
    return {
        "build_s": round(build_s, 2),
        "queries": n,
        "llama_p50": llama["p50"],
        "rag_dense_p50": ours["p50"],
        "rag_hybrid_p50": hybrid["p50"],
        "speedup_dense": round(llama["p50"] / ours["p50"], 1),
        "speedup_hybrid": round(llama["p50"] / hybrid["p50"], 1),
    }


def updates(rag: Any, gen: Generator, n_docs: int, n: int = 5) -> dict[str, Any]:
    """Latency of adding one new document; deleted documents must vanish from every search mode."""
    docs = [gen.document(n_docs + i) for i in range(n)]
    add_ms = latencies(lambda d: rag.add([d]), docs, warmup=0)
    victims = [docs[0], gen.document(0)]  # one in a fresh small segment, one in the big one
    delete_ms, stale = [], 0
    for doc in victims:
        _, s = timed(partial(rag.delete, doc.id))
        delete_ms.append(s * 1000)
        probe = doc.text.split(".")[0]  # the lead sentence: its unique entity name and facts
        for mode in ("dense", "lexical", "hybrid"):
            stale += sum(p.doc_id == doc.id for p in rag.search(probe, 10, mode=mode))
    return {
        "add_one_ms": percentiles(add_ms),
        "delete_ms": [round(x, 1) for x in delete_ms],
        "stale_hits_after_delete": stale,
        "segments_after": rag.stats().segments,
    }
