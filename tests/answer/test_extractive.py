"""The offline extractive backend answers with short, cited sentences from the passages."""

from __future__ import annotations

from rag.answer import entities
from rag.answer.citations import MARKER, strip_markers
from rag.llm.extractive import ExtractiveLLM
from rag.answer.figures import find_disagreements
from rag.answer.prompts import REFUSAL, render_messages
from rag.config import Settings
from rag.llm.base import GenerationRequest

from .fakes import VELDT, passage


def ask(question: str, passages=VELDT) -> tuple[str, list[str]]:
    settings = Settings()
    request = GenerationRequest(question, list(passages), render_messages(question, passages, [], settings))
    pieces = [d.text for d in ExtractiveLLM(settings).stream(request) if d.text]
    return "".join(pieces), pieces


def test_picks_the_sentence_that_answers_and_cites_its_passage() -> None:
    text, _ = ask("How many technicians will Veldt train?")
    sentence = "The company plans to train 4,000 technicians by 2033"
    # With the entity model the answer leads with the count itself, cited like the sentence.
    assert text.startswith(f"4,000. [3] {sentence}" if entities.available() else sentence)
    assert "[3]" in text
    assert len(strip_markers(text).split()) < 40


def test_who_question_gets_the_name() -> None:
    text, _ = ask("Who founded Veldt Dynamics?")
    assert "Mara Oyelaran" in text.split("[")[0]
    assert "[2]" in text


def test_every_sentence_is_cited_and_streamed_one_by_one() -> None:
    text, pieces = ask("How much will Veldt spend on the university research program?")
    assert len(pieces) >= 2
    assert all(MARKER.search(piece) for piece in pieces)


def test_notes_the_disagreement_between_sources_on_the_figure() -> None:
    text, _ = ask("How much will Veldt spend on the university research program?")
    assert "$110 million" in text and "$100 million" in text
    assert "Sources differ on this figure: $110 million [1] vs $100 million [2]." in text


def test_near_duplicate_sentences_are_one_fact_citing_both_passages() -> None:
    same = [
        passage(1, "Veldt opened a repair depot in Ghent last spring. It employs forty people."),
        passage(2, "Last spring Veldt opened a repair depot in Ghent. Parking is scarce there."),
    ]
    text, pieces = ask("Where did Veldt open a repair depot?", same)
    assert pieces[0].endswith("[1][2]")
    assert text.count("depot") == 1


def test_refuses_with_the_fixed_sentence_when_nothing_matches() -> None:
    text, _ = ask("What is the boiling point of liquid nitrogen?")
    assert text == REFUSAL


def test_no_passages_means_refusal() -> None:
    assert ask("How many technicians will Veldt train?", [])[0] == REFUSAL


def test_footnote_markers_in_source_text_are_not_mistaken_for_citations() -> None:
    text, _ = ask("When was the bridge opened?", [passage(1, "The bridge opened in 1932.[4] It is long.")])
    assert "[4]" not in text and text.endswith("[1]")


def test_find_disagreements_ignores_hedged_and_unrelated_figures() -> None:
    a = ("Veldt will spend $110 million on university research.", "[1]")
    b = ("Veldt will spend nearly $100 million on university research.", "[2]")
    c = ("The weather in Rotterdam was mild, with $5 million in tourism.", "[3]")
    assert find_disagreements([a, b, c]) == []
    d = ("Veldt announced on Tuesday that it will spend money on research.", "[1]")
    e = ("Veldt announced on Wednesday that it will spend money on research.", "[2]")
    assert find_disagreements([d, e]) == ["Sources differ on this day: Tuesday [1] vs Wednesday [2]."]


def test_the_sentence_that_keeps_the_questions_phrase_together_wins() -> None:
    # Both sentences hold every question word and a name; only the second states "the harbour master".
    passages = [
        passage(1, "The master plan for the Ostvik harbour was drawn up by council member Per Holm in 1990."),
        passage(2, "The harbour master of Ostvik was Lina Berg, who served for twenty years."),
    ]
    text, _ = ask("Who was the harbour master of Ostvik?", passages)
    assert "Lina Berg" in text.split("[")[0]
