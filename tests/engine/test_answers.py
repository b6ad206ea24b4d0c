"""Answers through the facade, as `rag ask` and the HTTP service get them."""

from __future__ import annotations

import re

import pytest

from rag import RAG, Answer, Message
from rag.errors import InvalidQuestionError


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_streamed_text_carries_the_same_markers_as_the_final_answer(sample_rag: RAG) -> None:
    pieces = list(sample_rag.stream("How much funding backs the US-Japan university AI partnerships?"))
    final = pieces[-1]
    assert isinstance(final, Answer) and not final.abstained
    streamed = "".join(p for p in pieces[:-1] if isinstance(p, str))
    assert _norm(streamed) == _norm(final.answer)
    used = sorted({int(n) for n in re.findall(r"\[(\d+)\]", final.answer)})
    assert used == [c.n for c in final.citations] == list(range(1, len(final.citations) + 1))


def test_sources_that_disagree_on_a_figure_are_both_reported(sample_rag: RAG) -> None:
    answer = sample_rag.ask("How much money supports the US-Japan university AI partnerships?")
    text = answer.answer
    assert "100 million" in text and "110 million" in text
    assert answer.disagreements


def test_every_answer_sentence_is_cited_and_quotes_point_into_documents(sample_rag: RAG) -> None:
    answer = sample_rag.ask("Where does Microsoft run Azure data centres in Japan?")
    assert not answer.abstained and not answer.unsupported_sentences
    for citation in answer.citations:
        passage = next(p for p in answer.passages if p.chunk_id == citation.chunk_id)
        local = citation.start - passage.start
        assert passage.text[local : local + len(citation.quote)] == citation.quote
    assert answer.timings.retrieve_ms > 0 and answer.timings.total_ms >= answer.timings.retrieve_ms


def test_questions_outside_the_corpus_abstain(sample_rag: RAG) -> None:
    for question in ("How much is Microsoft investing in South Korea?", "How much is Apple planning to invest in Japan?"):
        answer = sample_rag.ask(question)
        assert answer.abstained and answer.citations == []


def test_a_follow_up_is_read_in_the_light_of_the_conversation(sample_rag: RAG) -> None:
    history = [
        Message(role="user", content="What is Microsoft investing in Japan?"),
        Message(role="assistant", content="Microsoft plans to invest $2.9 billion over two years [1]."),
    ]
    answer = sample_rag.ask("And how many people will it train?", history=history)
    assert not answer.abstained
    assert "3 million" in answer.answer
    assert answer.standalone_question and answer.standalone_question != answer.question


def test_history_may_be_plain_dicts_and_a_bad_turn_says_what_is_wrong(sample_rag: RAG) -> None:
    history = [
        {"role": "user", "content": "What is Microsoft investing in Japan?"},
        {"role": "assistant", "content": "Microsoft plans to invest $2.9 billion over two years [1]."},
    ]
    *pieces, answer = sample_rag.stream("And how many people will it train?", history=history)
    assert "3 million" in answer.answer and "".join(pieces)
    with pytest.raises(InvalidQuestionError, match=r"history\[1\]\.role"):
        sample_rag.ask("And how many?", history=[history[0], {"role": "bot", "content": "hi"}])


def test_a_question_in_another_language_gets_an_answer_or_an_abstention(sample_rag: RAG) -> None:
    answer = sample_rag.ask("¿Cuánto invertirá Microsoft en Japón?")
    assert answer.abstained or answer.citations


def test_the_answer_carries_the_question_as_cleaned_once(sample_rag: RAG) -> None:
    # Pasted questions bring line breaks, tabs and zero-width spaces; the answer names the question asked.
    answer = sample_rag.ask("  How much will\u200b Microsoft\tinvest in Japan?\n ")
    assert answer.question == "How much will Microsoft invest in Japan?"
    assert answer.standalone_question is None  # no history: nothing was condensed
    assert "2.9 billion" in answer.answer
    final = list(sample_rag.stream("\nHow much will Microsoft invest in Japan?\n"))[-1]
    assert isinstance(final, Answer) and final.question == answer.question and final.answer == answer.answer
