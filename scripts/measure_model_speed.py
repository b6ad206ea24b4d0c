"""all-MiniLM-L6-v2 on this machine's CPUs: ways to run it, side by side in one process.

For each option: documents embedded per second (SQuAD v1.1 dev paragraphs), single-query p50, and
paragraph recall@5 of dense search over those paragraphs, all against plain sentence-transformers
with torch (fp32) measured in the same run. Options: torch threads, batch size, int8 dynamic
quantisation of the Linear layers, and sentence-transformers' ONNX Runtime backend (needs
`pip install 'sentence-transformers[onnx]'`; skipped without it), or the transformer exported with
torch.onnx and run by onnxruntime directly (needs `pip install onnx onnxruntime`). Usage:

    python scripts/measure_model_speed.py [--paragraphs 400] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from rag.embed.packaged import local_copy
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad


def load(backend: str = "torch") -> Any:
    from sentence_transformers import SentenceTransformer

    folder = local_copy("all-MiniLM-L6-v2")
    if folder is None:
        raise SystemExit("install rag[minilm] first")
    return SentenceTransformer(str(folder), device="cpu", backend=backend, local_files_only=True)


def quantised(model: Any) -> Any:
    import torch

    model[0].auto_model = torch.ao.quantization.quantize_dynamic(
        model[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8
    )
    return model


def onnx_encoder(model: Any, path: str = "/tmp/rag-minilm.onnx") -> Callable[[list[str]], np.ndarray]:
    """The model's transformer exported with torch.onnx (TorchScript exporter; needs `onnx`) and run
    by ONNX Runtime, mean pooling in numpy, batches of 64 sorted by length like sentence-transformers."""
    import onnxruntime as ort
    import torch

    class Bert(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = model.tokenizer(["a b", "a longer sample text"], padding=True, return_tensors="pt")
    torch.onnx.export(Bert(model[0].auto_model.eval()), tuple(sample[n] for n in names), path, input_names=names,
                      output_names=["hidden"], dynamic_axes={n: {0: "b", 1: "s"} for n in [*names, "hidden"]},
                      opset_version=17, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def encode(texts: list[str]) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), 384), np.float32)
        for start in range(0, len(texts), 64):
            rows = order[start : start + 64]
            enc = model.tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=256,
                                  return_tensors="np")
            hidden = session.run(None, {n: enc[n].astype(np.int64) for n in names})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    return encode


def measure(encode: Callable[[list[str]], np.ndarray], texts: list[str], questions: list[str],
            targets: list[int]) -> dict[str, float]:
    encode(texts[:8])  # warm up
    started = time.perf_counter()
    docs = encode(texts)
    docs_s = time.perf_counter() - started
    times, vectors = [], []
    for question in questions:
        started = time.perf_counter()
        vectors.append(encode([question])[0])
        times.append((time.perf_counter() - started) * 1000)
    top = np.argsort(-(np.vstack(vectors) @ docs.T), axis=1)[:, :5]
    recall = float(np.mean([t in row for t, row in zip(targets, top.tolist())]))
    return {"docs_per_s": len(texts) / docs_s, "query_p50_ms": statistics.median(times), "dense_r@5": recall}


def main() -> None:
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=400)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    documents, gold = load_squad(DEFAULT_SQUAD)
    documents = documents[: args.paragraphs]
    index = {d.id: i for i, d in enumerate(documents)}
    asked = [g for g in gold if g.sources[0] in index][:: 3][: args.queries]
    texts, questions = [d.text for d in documents], [g.question for g in asked]
    targets = [index[g.sources[0]] for g in asked]

    def st(model: Any, batch: int = 64) -> Callable[[list[str]], np.ndarray]:
        return lambda t: model.encode(t, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)

    options: dict[str, Callable[[], Callable[[list[str]], np.ndarray]]] = {
        "torch fp32 (baseline)": lambda: st(load()),
        "torch fp32, batch 16": lambda: st(load(), 16),
        "torch fp32, batch 128": lambda: st(load(), 128),
        "torch int8 dynamic": lambda: st(quantised(load())),
        "onnxruntime (ST backend)": lambda: st(load("onnx")),
        "onnxruntime (torch.onnx export)": lambda: onnx_encoder(load()),
    }
    cores = torch.get_num_threads()
    print(f"torch threads {cores}; {len(texts)} paragraphs, {len(questions)} questions")
    for threads in sorted({1, cores}):
        torch.set_num_threads(threads)
        for name, make in options.items():
            if threads != cores and "baseline" not in name and "int8" not in name and "export" not in name:
                continue
            try:
                result = measure(make(), texts, questions, targets)
            except Exception as exc:  # an optional backend that is not installed
                print(f"{name:28} threads {threads}: skipped ({type(exc).__name__}: {str(exc)[:120]})")
                continue
            print(f"{name:28} threads {threads}: {result['docs_per_s']:7.1f} docs/s  query p50"
                  f" {result['query_p50_ms']:6.2f} ms  dense R@5 {result['dense_r@5']:.3f}", flush=True)


if __name__ == "__main__":
    main()
