"""Cited answers: prompts and packing, the extractive backend, citations, abstention, the pipeline."""

from rag.answer.abstain import should_abstain, support_score
from rag.answer.citations import resolve_citations
from rag.answer.condense import condense_question
from rag.answer.packing import pack_passages
from rag.answer.pipeline import compose_answer, stream_answer
from rag.answer.prompts import REFUSAL, render_messages
from rag.answer.refusals import is_refusal
from rag.answer.types import Answer, Citation, Timings

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
