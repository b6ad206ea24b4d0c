"""`ask` latency on the bundled sample corpus and on SQuAD, and cold start of `rag search`."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from rag.bench.timing import dir_size_mb, latencies, peak_rss_mb, percentiles, timed

SAMPLE_QUESTIONS = [
    "How much will Microsoft invest in Japan?",
    "What is GENIAC?",
    "Which companies are building data centres in Japan?",
    "What cybersecurity cooperation did Japan agree to?",
    "Which universities are in the US-Japan partnership?",
]


def sample_questions() -> list[str]:
    gold = Path("eval/gold/dev.jsonl")  # present in a source checkout; the built-ins otherwise
    if gold.is_file():
        return [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    return SAMPLE_QUESTIONS


def run_sample(args: dict[str, Any]) -> dict[str, Any]:
    """Build the sample index at `index_dir` (kept for the cold-start runs) and time `ask` on it."""
    from rag import RAG
    from rag.engine import sample_corpus_dir

    with RAG.open(Path(args["index_dir"])) as rag:
        report, seconds = timed(lambda: rag.add([sample_corpus_dir()]))
        questions = sample_questions()
        ask = percentiles(latencies(rag.ask, questions))
        search = percentiles(latencies(lambda q: rag.search(q, 5), questions))
    return {
        "chunks": report.chunks_added,
        "ingest_s": round(seconds, 2),
        "questions": len(questions),
        "ask": ask,
        "hybrid_search": search,
    }


def run_squad(args: dict[str, Any]) -> dict[str, Any]:
    """All SQuAD v1.1 dev paragraphs through `RAG.add`; `ask` and search p50/p95 on its questions."""
    from rag import RAG
    from rag.bench.squad_suite import paragraph_recall
    from rag.evaluation.squad import load_squad

    docs, gold = load_squad(args["path"])
    asked = gold[:: max(1, len(gold) // args.get("questions", 200))]
    questions = [g.question for g in asked]
    with RAG.open(Path(args["index_dir"])) as rag:
        report, seconds = timed(lambda: rag.add(docs))
        out = {
            "paragraphs": len(docs),
            "chunks": report.chunks_added,
            "ingest_s": round(seconds, 2),
            "docs_per_s": round(len(docs) / seconds, 1),
            "peak_rss_mb": peak_rss_mb(),
            "index_mb": dir_size_mb(Path(args["index_dir"])),
            "questions": len(questions),
            "embedder": rag.embedder.id,
            "hybrid_recall": paragraph_recall(rag, asked),
        }
        for mode in ("dense", "lexical", "hybrid"):
            out[f"search_{mode}"] = percentiles(latencies(partial(rag.search, k=5, mode=mode), questions))
        out["ask"] = percentiles(latencies(rag.ask, questions))
    return out


def cold_start(index_dir: Path, runs: int = 5) -> dict[str, Any]:
    """Median wall time of fresh processes: `python -c pass`, `import rag.cli`, `rag search ...`.

    Timed as an installed rag starts: pip compiles a package's modules to bytecode when it installs
    it, so here they are compiled once into a private cache (PYTHONPYCACHEPREFIX) before timing. A
    checkout run under PYTHONDONTWRITEBYTECODE=1 (as on the shared development box) compiles rag's
    ~60 modules on every start instead, ~16% of a search's instructions: timed too, apart.
    """
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir)}
    script = shutil.which("rag", path=str(Path(sys.executable).parent)) or shutil.which("rag")
    search = [script] if script else [sys.executable, "-c", "from rag.cli import main; main()"]
    commands = {
        "python_pass": [sys.executable, "-c", "pass"],
        "import_rag_cli": [sys.executable, "-c", "import rag.cli"],
        "rag_search": [*search, "search", "Microsoft investment in Japan", "--index-dir", str(index_dir)],
    }
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="rag-bytecode-") as cache:
        installed = {**env, "PYTHONPYCACHEPREFIX": cache}
        installed.pop("PYTHONDONTWRITEBYTECODE", None)
        for name, cmd in commands.items():
            subprocess.run(cmd, env=installed, capture_output=True, check=False)  # writes the bytecode
            out[f"{name}_s"] = _median_run(cmd, installed, runs)
    if env.get("PYTHONDONTWRITEBYTECODE"):
        out["rag_search_compiling_s"] = _median_run(commands["rag_search"], env, runs)
    out["heavy_imports"] = heavy_imports(search, index_dir, env)
    return out


def _median_run(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def heavy_imports(search: list[str], index_dir: Path, env: dict[str, str]) -> list[str]:
    """Top-level modules among torch/transformers/sentence_transformers/llama_index that got imported."""
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-c",
        "import sys; from rag.cli import main; "
        f"sys.argv = ['rag', 'search', 'Microsoft', '--index-dir', {str(index_dir)!r}]; main()",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    heavy = ("torch", "transformers", "sentence_transformers", "llama_index", "fastapi", "uvicorn")
    found = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    return sorted(found & set(heavy))
