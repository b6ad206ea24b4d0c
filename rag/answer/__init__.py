"""Cited answers: prompts and packing, the extractive backend, citations, abstention, the pipeline."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.answer.abstain import support_score
    from rag.answer.citations import resolve_citations
    from rag.answer.clauses import should_abstain
    from rag.answer.condense import condense_question
    from rag.answer.packing import pack_passages
    from rag.answer.pipeline import compose_answer, stream_answer
    from rag.answer.prompts import REFUSAL, render_messages
    from rag.answer.refusals import is_refusal
    from rag.answer.types import Answer, Citation, Timings

# Lazy: a search reads each chunk's stored sentence facts (`rag.answer.facts`) and must not pay
# for the whole answer pipeline (jinja2, the entity tagger's module, ...) on the way.
_LAZY = {
    "should_abstain": "rag.answer.clauses",
    "support_score": "rag.answer.abstain",
    "resolve_citations": "rag.answer.citations",
    "condense_question": "rag.answer.condense",
    "pack_passages": "rag.answer.packing",
    "compose_answer": "rag.answer.pipeline",
    "stream_answer": "rag.answer.pipeline",
    "REFUSAL": "rag.answer.prompts",
    "render_messages": "rag.answer.prompts",
    "is_refusal": "rag.answer.refusals",
    "Answer": "rag.answer.types",
    "Citation": "rag.answer.types",
    "Timings": "rag.answer.types",
}
__all__ = [
    "REFUSAL",
    "Answer",
    "Citation",
    "Timings",
    "compose_answer",
    "condense_question",
    "is_refusal",
    "pack_passages",
    "render_messages",
    "resolve_citations",
    "should_abstain",
    "stream_answer",
    "support_score",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rag.answer' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
