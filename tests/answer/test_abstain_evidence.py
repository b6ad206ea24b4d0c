"""Abstention evidence beyond term coverage: entities found together, an answer of the right type."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.abstain import abstain_reason, question_entities, should_abstain, split_condensed
from rag.answer.answer_types import expected_type
from rag.answer.condense import rewrite_follow_up
from rag.config import Settings
from rag.llm.base import Message

from .fakes import passage

# A fictional company, in our own words.
HARBOR = [
    passage(
        1,
        "Quillfeather Robotics said on Thursday it will invest $3.5 billion in Portugal over four years. "
        "Anneke Vos, who leads the company, announced the plan in Lisbon. "
        "The money pays for two factories near Porto and a training centre for 12,000 technicians.",
        title="Quillfeather bets on Portugal",
    ),
    passage(
        2,
        "Quillfeather's Portuguese plan follows a smaller push elsewhere in Europe. "
        "Rival firm Dunmore Gears builds gearboxes in Spain and recently hired engineers there. "
        "Analysts expect robot demand to keep rising across the region.",
        title="Robot makers expand in Europe",
    ),
]


@pytest.mark.parametrize(
    "question",
    [
        "How much is Quillfeather Robotics investing in Portugal?",
        "How many technicians will Quillfeather train in Portugal?",
        "When did Quillfeather announce its Portuguese investment?",
        "Who leads Quillfeather Robotics?",
        "Where will Quillfeather build its factories?",
    ],
)
def test_questions_the_passages_answer_do_not_abstain(question: str) -> None:
    assert abstain_reason(question, HARBOR, Settings()) is None


def test_another_country_abstains() -> None:
    # "Spain" occurs, but only in a sentence about another company.
    assert should_abstain("How much is Quillfeather Robotics investing in Spain?", HARBOR, Settings())


def test_another_company_abstains() -> None:
    # Dunmore Gears is named, but the only amount belongs to Quillfeather.
    assert should_abstain("How much is Dunmore Gears investing in Portugal?", HARBOR, Settings())


def test_missing_count_abstains() -> None:
    # The passages count factories and technicians, never robots.
    reason = abstain_reason("How many robots will Quillfeather build in Portugal each year?", HARBOR, Settings())
    assert reason is not None and "count" in reason


def test_missing_role_abstains() -> None:
    # A name is given for the chief executive, none for a head of research.
    assert should_abstain("Who will be the head of research at Quillfeather's Porto factories?", HARBOR, Settings())


def test_condensed_context_words_are_not_required_entities() -> None:
    history = [
        Message(role="user", content="How much is Quillfeather Robotics investing in Portugal and Brazil?"),
        Message(role="assistant", content="$3.5 billion in Portugal [1]."),
    ]
    condensed = rewrite_follow_up("And how many technicians will it train?", history)
    main, context = split_condensed(condensed)
    assert main == "And how many technicians will it train?" and "Brazil" in context
    assert question_entities(main) == []
    assert not should_abstain(condensed, HARBOR, Settings())


def test_entities_handle_possessives_names_and_numbers() -> None:
    found = {e.text for e in question_entities("Who runs Microsoft Research Asia's Tokyo lab opened in 2024?")}
    assert found == {"Microsoft Research Asia", "Tokyo", "2024"}
    assert [e.text for e in question_entities("Apart from Porto, where does Quillfeather build?")] == ["Porto", "Quillfeather"]


def test_demonyms_match_their_country() -> None:
    # "Portuguese" in the text supports "Portugal" in the question and the other way round.
    assert abstain_reason("What does Quillfeather's Portugal plan follow?", HARBOR, Settings()) is None
    assert abstain_reason("How much is Quillfeather investing in the Portuguese market?", HARBOR, Settings()) is None


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much will it cost?", "money"),
        ("How many people work there?", "count"),
        ("What percentage of sales is abroad?", "percent"),
        ("In which year did it open?", "date"),
        ("Who fumbled the ball when he was tackled?", "person"),
        ("Which products does it sell?", None),
    ],
)
def test_expected_type_follows_the_wh_phrase(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@pytest.fixture(scope="module")
def shared_rag(tmp_path_factory: pytest.TempPathFactory):
    from rag import RAG

    with RAG.open(tmp_path_factory.mktemp("shared") / "index") as rag:
        rag.add([CORPUS])
        yield rag


@pytest.mark.shared
@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
@pytest.mark.parametrize(
    ("question", "abstains"),
    [("How much is Microsoft investing in South Korea?", True), ("How much will Microsoft invest in Japan?", False)],
)
def test_shared_corpus(shared_rag, question: str, abstains: bool) -> None:
    passages = shared_rag.search(question)
    assert should_abstain(question, passages, shared_rag.settings) is abstains
