"""Tune how dense and lexical rankings are fused, on SQuAD v1.1 dev (tuning half vs held-out half).

Indexes every paragraph through `RAG.add`, fetches each question's dense and BM25 candidate
lists from the store once, then replays fusion rules offline. A hit is the question's own
paragraph in the top k. Usage: python scripts/tune_fusion.py [--squad PATH] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from rag import RAG
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad

POOL = 50


def candidate_lists(rag: RAG, questions: list[str]) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
    out = []
    vectors = np.vstack([rag.embedder.embed_query(q) for q in questions])
    dense_scores, dense_ids = rag.store.dense_search(vectors, POOL)
    for row, question in enumerate(questions):
        lex_scores, lex_ids = rag.store.lexical_search(question, POOL)
        out.append({"dense": (dense_scores[row], dense_ids[row]), "lexical": (np.ravel(lex_scores), np.ravel(lex_ids))})
    return out


def rrf(lists, wd: float, wl: float, k: int = 60) -> list[int]:
    fused: dict[int, float] = {}
    for name, weight in (("dense", wd), ("lexical", wl)):
        for rank, cid in enumerate((i for i in lists[name][1].tolist() if i >= 0), start=1):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank)
    return sorted(fused, key=fused.get, reverse=True)


def convex(lists, alpha: float, norm: str) -> list[int]:
    fused: dict[int, float] = {}
    for name, weight in (("dense", alpha), ("lexical", 1 - alpha)):
        scores, ids = lists[name]
        keep = ids >= 0
        scores, ids = scores[keep].astype(float), ids[keep]
        if len(scores) == 0:
            continue
        if norm == "minmax":
            span = scores.max() - scores.min()
            normed = (scores - scores.min()) / span if span > 0 else np.ones_like(scores)
        else:  # "max": divide by the top score, keeps absolute confidence
            normed = scores / scores.max() if scores.max() > 0 else scores
        for cid, value in zip(ids.tolist(), normed.tolist()):
            fused[cid] = fused.get(cid, 0.0) + weight * value
    return sorted(fused, key=fused.get, reverse=True)


def recall(rankings: list[list[int]], targets: list[set[int]], k: int) -> float:
    return float(np.mean([bool(set(r[:k]) & t) for r, t in zip(rankings, targets)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args()
    documents, gold = load_squad(args.squad)
    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="rag-fusion-"))
    rag = RAG.open(index_dir)
    started = time.perf_counter()
    report = rag.add(documents)
    print(f"indexed {len(documents)} paragraphs, {report.chunks_added} chunks in {time.perf_counter() - started:.1f}s")
    lists = candidate_lists(rag, [g.question for g in gold])
    ids = sorted({int(i) for entry in lists for _, (_, arr) in entry.items() for i in arr.tolist() if i >= 0})
    chunk_doc = {c.id: c.doc_id for c in rag.store.chunks(ids)}
    doc_chunks: dict[str, set[int]] = {}
    for cid, doc in chunk_doc.items():
        doc_chunks.setdefault(doc, set()).add(cid)
    titles = sorted({g.sources[0].rsplit("/", 1)[0] for g in gold}, key=[g.sources[0].rsplit("/", 1)[0] for g in gold].index)
    tune_titles = set(titles[: len(titles) // 2])
    halves = {"tune": [], "held-out": []}
    for i, g in enumerate(gold):
        halves["tune" if g.sources[0].rsplit("/", 1)[0] in tune_titles else "held-out"].append(i)
    rules = {"dense only": lambda l: [i for i in l["dense"][1].tolist() if i >= 0],
             "lexical only": lambda l: [i for i in l["lexical"][1].tolist() if i >= 0]}
    for wd in (1.0, 0.5, 0.3, 0.2):
        rules[f"rrf wd={wd}"] = lambda l, wd=wd: rrf(l, wd, 1.0)
    for alpha in (0.2, 0.3, 0.4, 0.5):
        rules[f"convex minmax a={alpha}"] = lambda l, a=alpha: convex(l, a, "minmax")
        rules[f"convex max a={alpha}"] = lambda l, a=alpha: convex(l, a, "max")
    print(f"{'rule':26} " + "  ".join(f"{h:>8}@1 {h:>8}@5" for h in halves))
    for name, rule in rules.items():
        rankings = [rule(entry) for entry in lists]
        cells = []
        for rows in halves.values():
            targets = [doc_chunks.get(gold[i].sources[0], set()) for i in rows]
            ranked = [rankings[i] for i in rows]
            cells.append(f"{recall(ranked, targets, 1):10.3f} {recall(ranked, targets, 5):10.3f}")
        print(f"{name:26} " + "  ".join(cells))


if __name__ == "__main__":
    main()
