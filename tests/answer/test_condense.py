"""Follow-ups become standalone questions that retrieval can use."""

from __future__ import annotations

from rag.answer.condense import condense_question
from rag.llm.extractive import ExtractiveLLM
from rag.config import Settings
from rag.llm.base import Message

from .fakes import FakeLLM, down

HISTORY = [
    Message(role="user", content="How much is Microsoft investing in Japan?"),
    Message(role="assistant", content="It will invest $2.9 billion over two years [1]."),
]


def test_no_history_leaves_the_question_unchanged() -> None:
    assert condense_question("How many people will it train?", [], ExtractiveLLM(Settings()), Settings()) == (
        "How many people will it train?"
    )


def test_pronoun_follow_up_gets_the_previous_topic() -> None:
    out = condense_question("and how many people will it train?", HISTORY, ExtractiveLLM(Settings()), Settings())
    assert out.startswith("and how many people will it train?")
    assert "Microsoft" in out and "Japan" in out


def test_elliptical_follow_up_keeps_the_new_name_and_adds_the_context() -> None:
    out = condense_question("What about AWS?", HISTORY, ExtractiveLLM(Settings()), Settings())
    assert "AWS" in out and "Japan" in out and "investing" in out


def test_self_contained_question_is_not_rewritten() -> None:
    question = "Which universities receive research grants from Nvidia in Tokyo?"
    assert condense_question(question, HISTORY, ExtractiveLLM(Settings()), Settings()) == question


def test_generative_backend_rewrites_with_the_condense_prompt() -> None:
    llm = FakeLLM("Standalone question: How many people will Microsoft train in Japan?")
    out = condense_question("and how many will it train?", HISTORY, llm, Settings())
    assert out == "How many people will Microsoft train in Japan?"
    prompt = llm.requests[0].messages[-1].content
    assert "How much is Microsoft investing in Japan?" in prompt and "and how many will it train?" in prompt


def test_failing_backend_falls_back_to_the_rules() -> None:
    out = condense_question("and how many will it train?", HISTORY, FakeLLM(down()), Settings())
    assert "Microsoft" in out
