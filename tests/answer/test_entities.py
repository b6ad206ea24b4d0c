"""Typed answers from the trained entity model (the `ner` extra): near misses it catches, answers it keeps."""

from __future__ import annotations

import pytest

from rag.answer import entities
from rag.answer.abstain import abstain_reason
from rag.config import Settings
from rag.errors import ConfigError

from .fakes import passage

pytestmark = pytest.mark.skipif(not entities.available(), reason="the `ner` extra (spaCy, en_core_web_sm) is not installed")

# Fictional companies, in our own words.
PASSAGES = [
    passage(
        1,
        "Quillfeather Robotics said on Thursday it will open a research lab with Tallis University in Lisbon. "
        "Guests at the launch included Dunmore Gears chief executive Anneke Vos and Harlow Motors chief executive Pieter Smit. "
        "Quillfeather's own chief technology officer, Rui Lopes, will run the lab.",
        title="Quillfeather opens a lab",
    ),
    passage(
        2,
        "Portugal's robot market grew quickly in the last decade. "
        "Investment in the country by foreign robot makers fell in 2021 to its lowest level in years.",
        title="Robots in Portugal",
    ),
]


def test_a_role_held_only_at_other_companies_abstains() -> None:
    # Two chief executives are named, neither of them Quillfeather's.
    reason = abstain_reason("Who is the chief executive of Quillfeather Robotics?", PASSAGES, Settings())
    assert reason is not None and "person" in reason


def test_a_role_that_is_held_answers() -> None:
    assert abstain_reason("Who is the chief executive of Dunmore Gears?", PASSAGES, Settings()) is None


def test_a_university_question_needs_a_named_university() -> None:
    assert abstain_reason("Which university will Quillfeather work with on its lab?", PASSAGES, Settings()) is None
    # The second passage names no university at all.
    reason = abstain_reason("Which university studied Portugal's robot market?", PASSAGES[1:], Settings())
    assert reason is not None and "org" in reason


def test_a_value_question_needs_an_amount() -> None:
    reason = abstain_reason("What was the value of foreign robot investment in Portugal in 2021?", PASSAGES, Settings())
    assert reason is not None and "money" in reason


def test_model_files_are_checked_against_their_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    # A corrupted model file cannot be provoked without touching the installed package: change the pin instead.
    monkeypatch.setitem(entities.PINNED, "ner/model", "0" * 64)
    entities.model.cache_clear()
    try:
        with pytest.raises(ConfigError, match="ner/model.*pinned.*force-reinstall"):
            entities.model()
    finally:
        monkeypatch.undo()
        entities.model.cache_clear()


def test_a_who_question_without_a_post_is_answered_by_a_one_word_name() -> None:
    # "Kowalski" alone is a name the capital-letter rules do not see; the tagger does.
    passages = [
        passage(1, "The Harlow Motors plant in Braga was designed by Kowalski and opened in 1998.", title="Harlow")
    ]
    assert abstain_reason("Who designed the Harlow Motors plant in Braga?", passages, Settings()) is None
    # Asked for a post nobody holds there, the same passage is still refused.
    assert abstain_reason("Who is the plant manager of the Harlow Motors plant in Braga?", passages, Settings())
