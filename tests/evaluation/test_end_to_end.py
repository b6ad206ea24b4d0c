"""The eval runner against the real facade on the bundled sample corpus (skips until both exist)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rag.evaluation.gold import load_gold
from rag.evaluation.runner import ALL, run_eval

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "eval" / "gold" / "dev.jsonl"
READY = all(importlib.util.find_spec(name) for name in ("rag.engine", "rag.answer.pipeline"))


@pytest.mark.slow
@pytest.mark.skipif(not READY, reason="rag.engine or rag.answer.pipeline not written yet")
@pytest.mark.skipif(not DEV.is_file(), reason="eval/gold/dev.jsonl absent")
def test_eval_on_sample_corpus(tmp_path: Path) -> None:
    from rag.config import Settings
    from rag.engine import RAG, sample_corpus_dir

    # Questions about the bundled sample corpus (their sources name its files), at most five.
    sample_files = {p.name for p in sample_corpus_dir().iterdir()}
    gold = [g for g in load_gold(DEV) if g.answerable and set(g.sources) & sample_files][:5]
    if not gold:
        pytest.skip("no dev question about the sample corpus")
    with RAG.open(tmp_path / "index", settings=Settings()) as rag:
        rag.add([sample_corpus_dir()])
        result = run_eval(rag, gold, progress=False)
    overall = result.summary[ALL]
    assert overall["questions"] == len(gold)
    assert overall["errors"] == 0, [r.error for r in result.records if r.error]
    assert overall["source_recall@10"] > 0 and overall["answer_recall@10"] > 0
    assert all(r.timings.total_ms > 0 for r in result.records)
