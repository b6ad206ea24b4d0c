"""Near misses: the articles discuss the subject, but the typed answer they give is not the one asked for."""

from __future__ import annotations

import pytest

from rag.answer import entities
from rag.answer.abstain import abstain_reason
from rag.answer.clauses import should_abstain, split_question
from rag.config import Settings

from .fakes import passage

needs_model = pytest.mark.skipif(
    not entities.available(), reason="the `ner` extra (spaCy, en_core_web_sm) is not installed"
)

# Fictional companies, in our own words.
PASSAGES = [
    passage(
        1,
        "Quillfeather Robotics will invest $3.5 billion in Portugal over four years, it said in May 2024. "
        "The money pays for a factory near Porto and for a programme that will train 2,000 people in robot repair. "
        "Quillfeather's country manager for Portugal, Rui Lopes, presented the plan.",
        title="Quillfeather invests in Portugal",
    ),
    passage(
        2,
        "A $40 million fund set up by Quillfeather, Harlow Motors and Dunmore Gears will pay for robotics research "
        "at Portuguese universities. Harlow Motors chief executive Pieter Smit praised the fund. "
        "Dunmore Gears is one of the carmakers that supply Harlow with gearboxes.",
        title="A robotics research fund",
    ),
]


def refused(question: str) -> bool:
    return abstain_reason(question, PASSAGES, Settings()) is not None


def test_an_amount_the_question_already_gives_does_not_answer_it() -> None:
    # The fund's total is stated; Harlow's share of it is not.
    assert refused("How much will Harlow Motors contribute to the $40 million robotics fund?")
    assert not refused("How much will Quillfeather invest in Portugal?")


def test_an_amount_in_another_currency_does_not_answer_it() -> None:
    assert refused("What is Quillfeather's Portuguese investment expressed in euros?")
    assert refused("How many pounds will Quillfeather spend in Portugal?")


def test_one_of_many_is_not_a_count() -> None:
    assert refused("How many carmakers supply Harlow with gearboxes?")
    assert not refused("How many people will Quillfeather train in robot repair?")


def test_a_total_does_not_answer_a_question_about_each_share() -> None:
    assert refused("How much does each Portuguese university get from the robotics fund?")


def test_a_date_less_exact_than_asked_does_not_answer_it() -> None:
    assert refused("On which day of May did Quillfeather announce its Portuguese investment?")
    assert not refused("In which month did Quillfeather announce its Portuguese investment?")


@needs_model
def test_a_post_nobody_is_named_for_is_refused_and_a_named_one_answered() -> None:
    assert refused("Who is Quillfeather's chief financial officer?")
    assert not refused("Who is Quillfeather's country manager for Portugal?")


@needs_model
def test_a_question_joining_two_facts_is_checked_part_by_part() -> None:
    question = "Which company will invest in Portugal over four years and also helps pay for the robotics fund?"
    assert split_question(question) == (
        "Which company will invest in Portugal over four years?",
        "Which company helps pay for the robotics fund?",
    )
    assert not should_abstain(question, PASSAGES, Settings())
    # A second question with its own subject stays whole: the lead answers both parts.
    assert split_question("How much will Quillfeather invest, and over what period?") == (
        "How much will Quillfeather invest, and over what period?",
    )


def test_a_name_spelled_out_in_the_question_is_found_by_its_initials() -> None:
    text = (
        "Quillfeather Robotics Group (QRG) builds warehouse robots in Porto. Its founders met at university. "
        "The first robot shipped in 2019. Sales doubled in 2022. Exports now make up most of its revenue. "
        "By 2027, QRG expects to have spent $2 billion on factories in Spain."
    )
    question = "How much does Quillfeather Robotics Group expect to spend on factories in Spain?"
    assert abstain_reason(question, [passage(3, text, title="Robots in Spain")], Settings()) is None
