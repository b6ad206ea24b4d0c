"""compose_answer / stream_answer: abstain, generate, cite, fall back, reject bad input."""

from __future__ import annotations

import pytest

from rag.llm.extractive import ExtractiveLLM
from rag.answer.pipeline import compose_answer, stream_answer
from rag.text.question import MAX_QUESTION_CHARS, clean_question
from rag.answer.prompts import REFUSAL
from rag.answer.types import Answer
from rag.config import LLMSettings, Settings
from rag.errors import BackendError, InvalidQuestionError
from rag.llm.base import Message

from .fakes import VELDT, FakeLLM, down

QUESTION = "How much will Veldt spend on the university research program?"


def test_generated_answer_gets_renumbered_citations_and_flags() -> None:
    llm = FakeLLM("Veldt will spend $110 million on university research [3][1]. Robots are everywhere [8].")
    answer = compose_answer(QUESTION, VELDT, llm, Settings())
    assert answer.answer == "Veldt will spend $110 million on university research [1][2]. Robots are everywhere."
    assert [c.doc_id for c in answer.citations] == ["doc3", "doc1"]
    assert answer.dropped_markers == [8]
    assert answer.unsupported_sentences == ["Robots are everywhere."]
    assert answer.backend == "fake" and not answer.abstained
    assert answer.usage.prompt_tokens == 100
    assert answer.timings.generate_ms > 0


def test_backend_sees_numbered_passages_and_the_question() -> None:
    llm = FakeLLM("Answer [1].")
    compose_answer(QUESTION, VELDT, llm, Settings())
    request = llm.requests[0]
    assert request.question == QUESTION and request.passages == VELDT
    assert '<passage id="3"' in request.messages[-1].content


def test_off_topic_question_abstains_before_generation() -> None:
    llm = FakeLLM("should not be called")
    answer = compose_answer("What is the capital of Peru?", VELDT, llm, Settings())
    assert answer.abstained and answer.answer == REFUSAL and answer.citations == []
    assert llm.requests == []


def test_refusal_from_the_model_is_an_abstention() -> None:
    answer = compose_answer(QUESTION, VELDT, FakeLLM("The sources do not contain this."), Settings())
    assert answer.abstained and answer.answer == REFUSAL and answer.citations == []


def test_streaming_yields_text_then_the_final_answer() -> None:
    items = list(stream_answer(QUESTION, VELDT, ExtractiveLLM(Settings()), Settings()))
    *texts, final = items
    assert texts and all(isinstance(t, str) for t in texts)
    assert isinstance(final, Answer)
    assert "".join(texts) == final.answer  # extractive cites 1..n in order, so nothing is renumbered
    assert final.disagreements == ["Sources differ on this figure: $110 million [1] vs $100 million [2]."]
    assert {c.doc_id for c in final.citations} == {"doc1", "doc2"}
    assert final.backend == "extractive" and final.unsupported_sentences == []


def test_backend_failure_uses_the_fallback_and_says_so() -> None:
    answer = compose_answer(QUESTION, VELDT, FakeLLM(down()), Settings(), fallback=ExtractiveLLM(Settings()))
    assert answer.fallback_from == "fake" and answer.backend == "extractive"
    assert "$110 million" in answer.answer and answer.citations


def test_fallback_from_a_backend_that_skips_the_prompt_still_gets_the_prompt() -> None:
    class PromptlessDown(FakeLLM):
        reads_prompt = False  # like the extractive answerer: the pipeline renders no messages for it

    fallback = FakeLLM("Veldt will spend $110 million [3].")
    answer = compose_answer(QUESTION, VELDT, PromptlessDown(down()), Settings(), fallback=fallback)
    assert answer.fallback_from == "fake" and "$110 million" in answer.answer
    assert '<passage id="3"' in fallback.requests[0].messages[-1].content


def test_backend_failure_without_fallback_is_raised() -> None:
    with pytest.raises(BackendError, match="unreachable"):
        compose_answer(QUESTION, VELDT, FakeLLM(down()), Settings())


def test_fallback_named_in_settings_comes_from_the_registry() -> None:
    pytest.importorskip("rag.llm.registry")
    settings = Settings(llm=LLMSettings(fallback="extractive"))
    answer = compose_answer(QUESTION, VELDT, FakeLLM(down()), settings)
    assert answer.fallback_from == "fake" and answer.backend == "extractive"


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x07"])
def test_empty_question_is_rejected(question: str) -> None:
    with pytest.raises(InvalidQuestionError, match="empty"):
        clean_question(question)


def test_overlong_question_is_rejected_with_the_limit() -> None:
    with pytest.raises(InvalidQuestionError, match="20,000"):
        clean_question("why " * MAX_QUESTION_CHARS)


def test_control_characters_are_stripped() -> None:
    question = clean_question("How many\x00 technicians\x1b will Veldt\u200b train?\n")
    answer = compose_answer(question, VELDT, ExtractiveLLM(Settings()), Settings())
    assert answer.question == "How many technicians will Veldt train?"
    assert "4,000" in answer.answer


@pytest.mark.parametrize("question", ["Wie viel gibt Veldt für Forschung aus?", "ヴェルトは何人を訓練しますか？"])
def test_non_english_question_gets_a_result_not_a_crash(question: str) -> None:
    answer = compose_answer(question, VELDT, ExtractiveLLM(Settings()), Settings())
    assert answer.answer


def test_follow_up_is_condensed_and_recorded() -> None:
    history = [
        Message(role="user", content="How many technicians will Veldt train?"),
        Message(role="assistant", content="4,000 by 2033 [1]."),
    ]
    answer = compose_answer("And where is it?", VELDT, ExtractiveLLM(Settings()), Settings(), history=history)
    assert answer.standalone_question is not None and "technicians" in answer.standalone_question
    assert "Eindhoven" in answer.answer


def test_passages_beyond_the_context_window_are_cut() -> None:
    roomy, tight = FakeLLM("Veldt will spend $110 million [1]."), FakeLLM("Veldt will spend $110 million [1].")
    compose_answer(QUESTION, VELDT, roomy, Settings())
    compose_answer(QUESTION, VELDT, tight, Settings(llm=LLMSettings(context_window=650, max_tokens=300)))
    assert roomy.requests[0].passages == VELDT
    sent = tight.requests[0].passages
    assert sum(len(p.text) for p in sent) < sum(len(p.text) for p in VELDT)
    for p, original in zip(sent, VELDT):
        assert original.text.startswith(p.text) and p.end == p.start + len(p.text)
