"""Replies written without [n] markers get citations after the fact, only where a passage supports them."""

from __future__ import annotations

from rag.answer.attribution import DEFAULT_THRESHOLD, attribute
from rag.answer.pipeline import compose_answer
from rag.config import Settings
from tests.answer.fakes import VELDT, FakeLLM


def test_a_paraphrase_is_cited_to_the_passage_that_says_it() -> None:
    text, added = attribute("Veldt will train about 4,000 technicians by 2033 at its new Eindhoven campus.", VELDT)
    assert added == 1 and text.endswith("Eindhoven campus [3].")


def test_a_changed_figure_or_an_unrelated_claim_gets_no_citation() -> None:
    for claim in ("Veldt will train about 9,000 technicians by 2033 at its new Eindhoven campus.",
                  "The harbour authority opened a second ferry terminal on the north quay last spring."):
        assert attribute(claim, VELDT) == (claim, 0)


def test_existing_markers_and_short_fragments_are_left_alone() -> None:
    text = "Veldt trains technicians [3]. In short: yes."
    assert attribute(text, VELDT) == (text, 0)


def test_a_sentence_joining_two_passages_cites_both() -> None:
    text, _ = attribute("Veldt Dynamics builds warehouse robots in Rotterdam and will train 4,000 technicians by "
                        "2033.", VELDT)
    assert text.endswith("[1][3].")


def test_a_model_that_writes_no_markers_gets_checked_citations_through_the_pipeline() -> None:
    reply = ("Veldt Dynamics plans to train 4,000 technicians by 2033 at a campus in Eindhoven. "
             "The company was valued at ten billion euros last year.")
    answer = compose_answer("How many technicians will Veldt train?", VELDT, FakeLLM(reply), Settings())
    assert [c.doc_id for c in answer.citations] == ["doc3"]
    assert "4,000 technicians" in answer.citations[0].quote
    assert answer.unsupported_sentences == ["The company was valued at ten billion euros last year."]


def test_attribution_can_be_turned_off() -> None:
    reply = "Veldt Dynamics plans to train 4,000 technicians by 2033 at a campus in Eindhoven."
    settings = Settings(answer={"attribution_threshold": 0})
    answer = compose_answer("How many technicians will Veldt train?", VELDT, FakeLLM(reply), settings)
    assert not answer.citations and answer.unsupported_sentences == [reply]
    assert DEFAULT_THRESHOLD == Settings().answer.attribution_threshold
