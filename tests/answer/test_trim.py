"""Answer first, in few words: the figure, then the clause of the sentence that states it."""

from __future__ import annotations

import pytest

from rag.answer import entities
from rag.answer.citations import strip_markers
from rag.answer.pipeline import compose_answer
from rag.answer.trim import clause_answering, clause_around
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


def test_a_sentence_without_a_lead_is_cut_one_clause_past_what_the_question_names() -> None:
    ferry = (
        "The Ostvik ferry, which first sailed in 1921, carries cars between the harbour and Lund island, "
        "stops twice a day at Vik, and is run by the county council from its office in the old customs house."
    )
    cut = clause_answering(ferry, "What does the Ostvik ferry carry?")
    assert cut.startswith("The Ostvik ferry") and cut.endswith("…")
    assert "cars between the harbour and Lund island" in cut and "customs house" not in cut
    # A question naming nothing the sentence holds leaves it whole.
    assert clause_answering(ferry, "What does the Braga tram cost?") == ferry


def test_a_typed_question_keeps_the_clause_with_the_asked_type_or_the_whole_sentence() -> None:
    if entities.available():  # the asked-for date is in the second clause; the cut keeps it
        cut = clause_answering(LONG, "When did Quillfeather Robotics say it would invest in Portugal?")
        assert "Thursday" in cut and "Braga" not in cut
    # No percentage in the sentence at all: nothing to cut to, the whole sentence stays.
    assert clause_answering(LONG, "What percentage of Quillfeather Robotics is in Portugal?") == LONG


def test_a_cut_never_leaves_a_bracket_open_or_a_list_short() -> None:
    bracket = (
        "The Ostvik ferry carries cars to Lund island (a crossing of forty minutes, longer in winter storms), "
        "and its timetable is set each spring by the county council in the old customs house."
    )
    cut = clause_answering(bracket, "What does the Ostvik ferry carry?")
    assert cut.count("(") == cut.count(")")
    listed = (
        "The Ostvik ferry is crewed by sailors from three towns, with captains from Vik, Lund, Holm and Sand, "
        "and it is run by the county council from its office in the old customs house at the harbour."
    )
    cut = clause_answering(listed, "Where do the Ostvik ferry captains come from?")
    assert "Vik, Lund, Holm and Sand" in cut
