"""Abstention: weak support before generation, refusals after."""

from __future__ import annotations

import pytest

from rag.answer.abstain import should_abstain, support_score
from rag.answer.refusals import is_refusal
from rag.answer.prompts import REFUSAL
from rag.config import AnswerSettings, Settings

from .fakes import passage

JAPAN = [
    passage(1, "Northwind Software said it will invest $4 billion in Japan over two years to build data centres."),
    passage(2, "The Japanese investment also funds AI training for two million workers across the country."),
]


def test_off_topic_country_abstains() -> None:
    assert should_abstain("How much is Northwind Software investing in South Korea?", JAPAN, Settings())


def test_in_corpus_question_does_not_abstain() -> None:
    assert not should_abstain("How much is Northwind Software investing in Japan?", JAPAN, Settings())


def test_missing_name_lowers_support() -> None:
    assert support_score("How much is Northwind investing in Korea?", JAPAN) < support_score(
        "How much is Northwind investing in Japan?", JAPAN
    )


def test_no_passages_abstains() -> None:
    assert should_abstain("Anything?", [], Settings())


def test_threshold_comes_from_settings() -> None:
    strict = Settings(answer=AnswerSettings(abstain_threshold=0.99))
    assert should_abstain("Who trains workers in Japan?", JAPAN, strict)


def test_non_english_question_abstains_instead_of_failing() -> None:
    assert should_abstain("Combien Northwind investit-il au Japon ?", JAPAN, Settings()) in (True, False)
    assert should_abstain("日本への投資額はいくらですか？", JAPAN, Settings())


@pytest.mark.parametrize(
    "text",
    [
        REFUSAL,
        "The sources do not contain this information.",
        "I don't know based on the provided documents.",
        "The passages don't mention the price [1].",
        "This is not mentioned in the passages.",
        "",
    ],
)
def test_refusals_are_recognised(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "Northwind will invest $4 billion in Japan [1].",
        "The program trains two million workers [2]; the documents do not say how long it lasts, "
        "but they do give the schedule for each of the regional offices and the budget of every single one of them "
        "in some detail, which is most of what was asked [1].",
    ],
)
def test_answers_are_not_refusals(text: str) -> None:
    assert not is_refusal(text)
