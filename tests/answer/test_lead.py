"""Answer first: a single typed span leads the answer; with two candidates, none does."""

from __future__ import annotations

import pytest

from rag.answer import entities
from rag.answer.lead import lead_line, wanted_labels
from rag.answer.types import Answer
from rag.evaluation.gold import GoldItem
from rag.evaluation.runner import score_question

from .fakes import passage
from .test_extractive import ask

needs_model = pytest.mark.skipif(not entities.available(), reason="the `ner` extra (spaCy, en_core_web_sm) is not installed")


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        ("How much will Veldt spend on research?", {"MONEY"}),
        ("How many technicians will Veldt train?", {"CARDINAL", "QUANTITY"}),
        ("Over what period will the money be spent?", {"DATE"}),
        ("Who founded Veldt Dynamics?", {"PERSON"}),
        ("Which university hosts the lab?", {"ORG"}),
        ("Why did Veldt choose Eindhoven?", None),
    ],
)
def test_question_wording_gives_the_answer_type(question: str, labels: set[str] | None) -> None:
    assert wanted_labels(question) == (frozenset(labels) if labels else None)


@needs_model
def test_one_amount_in_the_sentence_leads_the_answer() -> None:
    sentence = "Quillfeather Robotics will invest $3.5 billion in Portugal over four years."
    assert lead_line("How much will Quillfeather invest in Portugal?", sentence, "[1]") == "$3.5 billion. [1]"
    assert lead_line("Over what period will Quillfeather invest in Portugal?", sentence, "[1]") == "Four years. [1]"


@needs_model
def test_two_candidates_far_from_the_questions_words_give_no_lead() -> None:
    # Two amounts, neither next to what the question names: leading with either would be a guess.
    sentence = "Quillfeather's board approved both plans this week: $3.5 billion for Portugal and $1.2 billion for Spain."
    assert lead_line("How much will Quillfeather invest?", sentence, "[1]") is None


@needs_model
def test_of_two_dates_the_one_next_to_the_questions_words_leads_and_the_sentence_stays_whole() -> None:
    sentence = (
        "The Harrowgate lantern festival was first held in 1974 on the quay, and apart from a storm that "
        "cancelled it in 1999 it has returned to the harbour every autumn, drawing crowds from across the county."
    )
    question = "When was the Harrowgate lantern festival first held?"
    assert lead_line(question, sentence, "[1]") == "1974. [1]"
    # The lead may still be the wrong one of two, so the cited sentence keeps both dates.
    text, pieces = ask(question, [passage(1, sentence, title="Harrowgate festival")])
    assert pieces[0] == "1974. [1]"
    assert "1974" in pieces[1] and "1999" in pieces[1]


@needs_model
def test_the_extractive_answer_keeps_its_cited_sentence_after_the_lead() -> None:
    text, pieces = ask("How many technicians will Veldt train?")
    assert pieces[0] == "4,000. [3]"
    assert "train 4,000 technicians by 2033" in pieces[1]


def test_eval_scores_the_lead_sentence_squad_style() -> None:
    item = GoldItem(id="q1", question="How much?", answers=["$2.9 billion"], sources=[], split="dev")
    led = Answer(question="How much?", answer="$2.9 billion. [1] Microsoft will invest $2.9 billion in Japan. [1]")
    plain = Answer(question="How much?", answer="Microsoft will invest $2.9 billion in Japan. [1]")
    assert score_question(item, [], led)["lead_em"] is True
    assert score_question(item, [], plain)["lead_em"] is False
    assert 0 < score_question(item, [], plain)["lead_f1"] < 1
    assert score_question(item, [], led)["str_em"] and score_question(item, [], plain)["str_em"]


@needs_model
def test_a_follow_up_for_the_period_leads_with_the_span_of_time() -> None:
    # The condensed follow-up "Over what period?" carries the subject in parentheses; "this month"
    # is a date but not a period.
    sentence = "Quillfeather said this month it will put $3 billion into Portugal over the next decade."
    assert lead_line("Over what period? (Quillfeather Portugal invest)", sentence, "[2]") == "The next decade. [2]"


@needs_model
def test_a_two_part_question_gets_both_parts_in_the_lead() -> None:
    sentence = "Quillfeather said this month it will put $3 billion into Portugal over the next decade."
    question = "How much will Quillfeather put into Portugal, and over what period?"
    assert lead_line(question, sentence, "[1]") == "$3 billion; the next decade. [1]"
    # A question that merely contains "and" is one question.
    assert lead_line("How much will Quillfeather and its partners put into Portugal?", sentence, "[1]") == "$3 billion. [1]"
