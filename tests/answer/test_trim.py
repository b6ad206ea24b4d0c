"""Answer first, in few words: the figure, then the clause of the sentence that states it."""

from __future__ import annotations

import pytest

from rag.answer import entities
from rag.answer.citations import strip_markers
from rag.answer.pipeline import compose_answer
from rag.answer.trim import clause_around
from rag.config import Settings
from rag.llm.extractive import ExtractiveLLM

from .fakes import passage

LONG = (
    "Quillfeather Robotics will invest $3.5 billion in Portugal over the next four years, it said on Thursday, "
    "a plan that pays for a factory near Porto, a training centre in Braga and a research lab with Tallis University."
)


@pytest.mark.skipif(not entities.available(), reason="the `ner` extra (spaCy, en_core_web_sm) is not installed")
def test_a_how_much_answer_starts_with_the_figure_and_stays_short() -> None:
    passages = [passage(1, LONG + " The company employs 900 people in Lisbon.", title="Quillfeather in Portugal")]
    answer = compose_answer("How much will Quillfeather invest in Portugal?", passages, ExtractiveLLM(), Settings())
    text = strip_markers(answer.answer)
    assert text.startswith("$3.5 billion.")
    assert len(text.split()) <= 20 < len(LONG.split())
    # The reader still gets the whole sentence as the citation's quote.
    assert answer.citations[0].quote == LONG


def test_a_long_sentence_is_cut_after_the_clause_that_holds_the_answer() -> None:
    cut = clause_around(LONG, ["$3.5 billion"])
    assert cut.startswith("Quillfeather Robotics will invest $3.5 billion") and cut.endswith("…")
    assert "Braga" not in cut
    # A span near the end keeps the sentence whole; so does a short sentence.
    assert clause_around(LONG, ["Tallis University"]) == LONG
    assert (
        clause_around("Quillfeather will invest $3.5 billion.", ["$3.5 billion"])
        == "Quillfeather will invest $3.5 billion."
    )
