"""Profile hybrid `RAG.search` at SQuAD scale: p50 beside the searches it runs, then cProfile's top entries.

    python scripts/profile_search.py                       # ~12k distinct SQuAD dev documents
    python scripts/profile_search.py --index /tmp/squad --top 40 --sort cumulative

The documents are those of `rag bench --only squad` (dev paragraphs plus each of their sentences);
the index is built once into --index (kept, so later runs skip the build). Each question is timed
with its own raw searches right after it (query embedding, store FAISS, store BM25), so the
overhead figure is a paired difference that a busy machine disturbs less than two separate runs.
Each round (and the profiled one after them) asks different questions, so that what the retriever
remembers of a repeated question (rag.retrieve.repeats) does not flatter the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rag import RAG
from rag.bench.search_suite import POOL
from rag.bench.squad_suite import distinct_documents
from rag.evaluation.squad import DEFAULT_SQUAD


def paired(rag: RAG, questions: list[str]) -> dict[str, float]:
    """p50 of hybrid search, of its raw searches, and of the per-question difference, in ms."""
    hybrid, raw, embed = [], [], []
    for question in questions:
        started = time.perf_counter()
        rag.search(question, 5)
        searched = time.perf_counter()
        vector = rag.embedder.embed_query(question).reshape(1, -1)
        embedded = time.perf_counter()
        rag.store.dense_search(vector, POOL)
        rag.store.lexical_search(question, POOL)
        done = time.perf_counter()
        hybrid.append((searched - started) * 1000)
        embed.append((embedded - searched) * 1000)
        raw.append((done - embedded) * 1000)
    p50 = statistics.median
    return {
        "hybrid": p50(hybrid),
        "embed": p50(embed),
        "faiss+bm25": p50(raw),
        "overhead": p50([h - e - r for h, e, r in zip(hybrid, embed, raw)]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=Path(DEFAULT_SQUAD))
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "rag-profile-search")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds before the profiled one")
    parser.add_argument("--top", type=int, default=30, help="entries printed")
    parser.add_argument("--sort", default="tottime", help="pstats sort key: cumulative, tottime, ...")
    args = parser.parse_args()
    if not args.squad.is_file():
        print(f"no SQuAD v1.1 file at {args.squad}; pass --squad PATH", file=sys.stderr)
        return 2
    docs, gold = distinct_documents(args.squad)
    step = max(1, len(gold) // args.questions)
    rounds = [[g.question for g in gold[n::step]] for n in range(args.rounds + 2)]
    with RAG.open(args.index) as rag:
        if rag.stats().documents == 0:
            rag.add(docs)
        for question in rounds[-1][:5]:  # warm: lazy imports, first SQLite pages
            rag.search(question, 5)
        for n, questions in enumerate(rounds[: args.rounds]):
            figures = " | ".join(f"{name} {ms:.3f}" for name, ms in paired(rag, questions).items())
            print(f"round {n + 1}, {len(questions)} questions, p50 ms: {figures}")
        profile = cProfile.Profile()
        profile.enable()
        for question in rounds[args.rounds]:
            rag.search(question, 5)
        profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
