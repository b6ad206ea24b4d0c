"""A sentence opening with "She"/"It" answers for the subject of the sentence before it, and only for it."""

from __future__ import annotations

from rag.answer.abstain import should_abstain
from rag.config import Settings

from .fakes import passage

PAINTER = [
    passage(
        1,
        "Irena Kowalczyk painted mostly portraits of her friends. "
        "She grew up in Lublin with two brothers and in 1921 married a Dutch engineer, Pieter Vos.",
    )
]
COMPANY = [
    passage(
        1,
        "Northwind Software opened sales offices in Japan and Korea last year. "
        "It will spend $2.9 billion on data centres in Japan over two years.",
    )
]


def test_pronoun_sentence_answers_for_the_previous_subject() -> None:
    # The answer's sentence names other people and places but not Irena: "She" is her.
    assert not should_abstain("When did Irena Kowalczyk marry?", PAINTER, Settings())


def test_pronoun_does_not_stand_for_a_name_past_the_subject() -> None:
    # "It" is Northwind; Korea is named in the sentence before, but not as what it is about.
    assert should_abstain("How much will Northwind Software spend in Korea?", COMPANY, Settings())
    assert not should_abstain("How much will Northwind Software spend in Japan?", COMPANY, Settings())
