"""Evaluation: gold sets, metrics, the eval runner, reports, the SQuAD adapter and baselines."""

from __future__ import annotations

from rag.evaluation.gold import GoldError, GoldItem, load_gold, load_gold_files
from rag.evaluation.runner import EvalConfig, EvalResult, QuestionRecord, run_compare, run_eval
from rag.evaluation.squad import load_squad

__all__ = [
    "EvalConfig",
    "EvalResult",
    "GoldError",
    "GoldItem",
    "QuestionRecord",
    "load_gold",
    "load_gold_files",
    "load_squad",
    "run_compare",
    "run_eval",
]
