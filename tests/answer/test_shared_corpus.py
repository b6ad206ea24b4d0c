"""The extractive pipeline on the five real news articles in ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.llm.extractive import ExtractiveLLM
from rag.answer.pipeline import compose_answer
from rag.config import Settings
from rag.types import Passage

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus"),
]


def paragraphs(*words: str) -> list[Passage]:
    """Paragraphs of the articles that mention all `words` (a stand-in for retrieval)."""
    out: list[Passage] = []
    for path in sorted(CORPUS.glob("[0-9]*.txt")):
        text = path.read_text(encoding="utf-8")
        start = 0
        for para in text.split("\n\n"):
            begin = text.index(para, start)
            start = begin + len(para)
            if len(para.split()) > 8 and all(w.lower() in para.lower() for w in words):
                out.append(Passage(chunk_id=f"{path.stem}#{begin}", doc_id=path.stem, text=para, start=begin, end=start))
    return out[:5]


def test_investment_in_japan_is_answered_with_the_figure_and_exact_quotes() -> None:
    passages = paragraphs("Microsoft", "billion")
    answer = compose_answer("How much will Microsoft invest in Japan?", passages, ExtractiveLLM(Settings()), Settings())
    assert not answer.abstained
    assert "2.9 billion" in answer.answer or "3 billion" in answer.answer
    for citation in answer.citations:
        text = (CORPUS / f"{citation.doc_id}.txt").read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.quote


def test_investment_in_south_korea_abstains() -> None:
    passages = paragraphs("Microsoft", "billion")
    answer = compose_answer(
        "How much is Microsoft investing in South Korea?", passages, ExtractiveLLM(Settings()), Settings()
    )
    assert answer.abstained and answer.citations == []


def test_university_program_figures_disagree() -> None:
    passages = paragraphs("universit")
    answer = compose_answer(
        "How much are companies funding the AI research partnerships between universities?",
        passages,
        ExtractiveLLM(Settings()),
        Settings(),
    )
    assert any("$100 million" in d and "$110 million" in d for d in answer.disagreements)
