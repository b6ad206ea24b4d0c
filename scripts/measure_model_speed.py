"""all-MiniLM-L6-v2 on this machine's CPUs: rag's embedder options side by side in one process.

For each option: documents embedded per second (SQuAD v1.1 dev paragraphs), single-query p50, and
paragraph recall@5 of dense search over those paragraphs. Options are EmbedderSettings: torch
fp32 (the baseline) with all cores or one thread for batches, torch int8 dynamic quantisation,
torch bfloat16, and ONNX Runtime (`backend=onnx`, needs `pip install 'rag[onnx]'`) in fp32 and
int8. The options run in interleaved rounds (A B C ... A B C), each round reporting every option's
speed as a ratio to the baseline of the same round, so that other load on the box cancels out.

    python scripts/measure_model_speed.py [--paragraphs 300] [--queries 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from rag.config import EmbedderSettings
from rag.embed import get_embedder
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad

MODEL = "sentence-transformers:all-MiniLM-L6-v2"
OPTIONS: dict[str, dict[str, Any]] = {
    "torch fp32 (baseline)": {"backend": "torch"},
    "torch fp32, 1 thread": {"backend": "torch", "threads": 1},
    "torch int8 dynamic": {"quantize": "int8", "device": "cpu"},
    "torch bf16": {"quantize": "bf16", "device": "cpu"},
    "onnxruntime fp32": {"backend": "onnx"},
    "onnxruntime int8": {"backend": "onnx", "quantize": "int8"},
}


def measure(embedder: Any, texts: list[str], questions: list[str], targets: list[int]) -> dict[str, float]:
    embedder.embed_documents(texts[:8])  # warm up
    started = time.perf_counter()
    docs = embedder.embed_documents(texts)
    docs_s = time.perf_counter() - started
    times, vectors = [], []
    for question in questions:
        started = time.perf_counter()
        vectors.append(embedder.embed_query(question))
        times.append((time.perf_counter() - started) * 1000)
    top = np.argsort(-(np.vstack(vectors) @ docs.T), axis=1)[:, :5]
    recall = float(np.mean([t in row for t, row in zip(targets, top.tolist())]))
    return {"docs_per_s": len(texts) / docs_s, "query_p50_ms": statistics.median(times), "dense_r@5": recall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated option name prefixes (the baseline always runs)")
    args = parser.parse_args()
    documents, gold = load_squad(DEFAULT_SQUAD)
    documents = documents[: args.paragraphs]
    index = {d.id: i for i, d in enumerate(documents)}
    asked = [g for g in gold if g.sources[0] in index][::3][: args.queries]
    texts, questions = [d.text for d in documents], [g.question for g in asked]
    targets = [index[g.sources[0]] for g in asked]
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    options = {n: o for n, o in OPTIONS.items() if "baseline" in n or not wanted or any(n.startswith(w) for w in wanted)}
    embedders: dict[str, Any] = {}
    for name, extra in options.items():
        try:
            embedders[name] = get_embedder(EmbedderSettings(name=MODEL, **extra))
            embedders[name].warm_up()
        except Exception as exc:  # an optional backend that is not installed
            print(f"{name:24} skipped ({type(exc).__name__}: {str(exc)[:120]})")
            embedders.pop(name, None)
    print(f"{len(texts)} paragraphs, {len(questions)} questions, {args.rounds} interleaved rounds")
    for round_ in range(1, args.rounds + 1):
        base: dict[str, float] = {}
        for name, embedder in embedders.items():
            r = measure(embedder, texts, questions, targets)
            base = base or r
            print(f"round {round_} {name:24} {r['docs_per_s']:6.1f} docs/s (x{r['docs_per_s'] / base['docs_per_s']:.2f})"
                  f"  query p50 {r['query_p50_ms']:6.2f} ms (x{base['query_p50_ms'] / r['query_p50_ms']:.2f} faster)"
                  f"  dense R@5 {r['dense_r@5']:.3f}", flush=True)


if __name__ == "__main__":
    main()
