from __future__ import annotations

from pathlib import Path

import pytest

from rag.text.sentences import split_sentences

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def texts(text: str) -> list[str]:
    spans = split_sentences(text)
    assert all(text[span.start : span.end] == span.text for span in spans)
    return [span.text for span in spans]


def test_plain_sentences_and_offsets() -> None:
    assert texts("The dam held. Crews went home!  Was it over? Nobody knew.") == [
        "The dam held.", "Crews went home!", "Was it over?", "Nobody knew.",
    ]


def test_abbreviations_decimals_and_initials_do_not_split() -> None:
    text = "The U.S. Senate gave $4.5 billion to Dr. Okafor and J. R. Lee on Jan. 3 at 9 a.m. on Friday. Then it adjourned."
    assert texts(text) == [
        "The U.S. Senate gave $4.5 billion to Dr. Okafor and J. R. Lee on Jan. 3 at 9 a.m. on Friday.",
        "Then it adjourned.",
    ]


def test_quotes_close_a_sentence_only_before_a_new_one() -> None:
    text = "“We will rebuild,” the mayor said. “It will take years.” Her aide agreed."
    assert texts(text) == ["“We will rebuild,” the mayor said.", "“It will take years.”", "Her aide agreed."]


def test_heading_on_its_own_line_is_its_own_sentence() -> None:
    text = "Flood Warnings Extended\nThe agency kept the warning in place. Rivers are high.\nWhat Comes Next\nMore rain is due."
    assert texts(text) == [
        "Flood Warnings Extended", "The agency kept the warning in place.", "Rivers are high.",
        "What Comes Next", "More rain is due.",
    ]


def test_bullets_are_sentences_without_the_bullet_mark() -> None:
    text = "Key points\n  • Fares rise by 5% in May\n  • Two routes close.\n- Night buses stay"
    assert texts(text) == ["Key points", "Fares rise by 5% in May", "Two routes close.", "Night buses stay"]


def test_hard_wrapped_prose_is_not_split_at_line_breaks() -> None:
    text = "The committee met on a cold morning in\nFebruary and agreed that the budget for the\nRiverside library would double."
    assert texts(text) == [text]


def test_blank_line_ends_a_sentence_even_without_punctuation() -> None:
    assert texts("an unfinished thought\n\nanother one") == ["an unfinished thought", "another one"]


def test_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared corpus is absent")
def test_shared_corpus_sentences_round_trip_and_keep_headings_apart() -> None:
    spans = {path.name[:3]: texts(path.read_text()) for path in sorted(SHARED.glob("*.txt"))}
    assert len(spans) == 5
    # A heading line with no final period is a sentence of its own, not glued to the next line.
    assert "OpenAI Tokyo Office" in spans["001"]
    assert any(text.endswith("3 Million People") for text in spans["004"])
    # Money amounts with decimals stay inside their sentence.
    assert any("$2.9 billion over the next two years" in text for text in spans["003"])
    # Bullet items start without their bullet mark.
    assert any(text.startswith("Microsoft will invest $2.9 billion in Japan") for text in spans["001"])
