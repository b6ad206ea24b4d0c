"""Near misses asked through `RAG.ask` over a small corpus: the articles discuss the subject but
never state the asked fact (a year, an age, a market value, a founder, who runs a company, a table
row's amount for another row's subject), so the answer is "not in the articles", while the same
question about what they do state is answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG
from rag.answer import entities

needs_model = pytest.mark.skipif(
    not entities.available(), reason="the `ner` extra (spaCy, en_core_web_sm) is not installed"
)

# Fictional companies, in our own words.
ARTICLES = {
    "harlow-motors.md": """# Harlow Motors builds a battery plant in Porto
Date: 2025-03-04

Harlow Motors, founded by Ana Vidal in 1994, will spend $1.2 billion on a battery plant near Porto, the carmaker said on Tuesday.
Pieter Smit, 58, who runs Harlow Motors as its chief executive, said the Porto plant would open in 2027.
The company also plans a second battery plant in Braga, but gave no date for it.
Investors have rewarded the plan: Harlow Motors reached a stock market value of $14 billion in January.
""",
    "dunmore-gears.md": """# Dunmore Gears joins the Porto supply chain
Date: 2025-03-06

Dunmore Gears, a gearbox maker from Coimbra, will supply the new Harlow battery plant.
The firm's chief engineer, Rosa Lima, drew up the gearbox that Harlow's newest van uses.
Its gearboxes are cast in a foundry outside the city.
Harlow Motors and Quillfeather Robotics pay into a $40 million fund for robotics research at Portuguese universities.
""",
    "portugal-spending.md": """# What the companies are spending in Portugal
Date: 2025-03-08

Three companies announced Portuguese projects this month.

## Summary of the plans
| Company | Project | Amount |
|---|---|---|
| Harlow Motors, the carmaker from Porto | a new battery plant near its home city | $1.2 billion |
| Quillfeather Robotics, a maker of robot arms | warehouse robots for its plant in Lisbon | not disclosed |

Both companies expect the work to start before the end of the year.
""",
}


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> RAG:
    folder = tmp_path_factory.mktemp("near-miss-corpus")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    engine = RAG.open(Path(tmp_path_factory.mktemp("index")), seed_sample=False)
    engine.add([folder])
    return engine


def answered(rag: RAG, question: str, expected: str) -> bool:
    answer = rag.ask(question)
    return not answer.abstained and expected in answer.answer


def test_a_year_is_not_answered_by_a_plan_without_one(rag: RAG) -> None:
    assert rag.ask("In what year will Harlow Motors open its battery plant in Braga?").abstained
    assert not rag.ask("In what year will Harlow Motors open its battery plant near Porto?").abstained


def test_an_age_the_articles_never_give_is_refused(rag: RAG) -> None:
    assert rag.ask("How old is Rosa Lima?").abstained
    assert answered(rag, "How old is Pieter Smit?", "58")


def test_a_market_value_the_articles_never_give_is_refused(rag: RAG) -> None:
    assert rag.ask("What is the stock market value of Dunmore Gears?").abstained
    assert answered(rag, "What is the stock market value of Harlow Motors?", "14 billion")


def test_a_founder_is_not_the_engineer_or_the_chief_executive(rag: RAG) -> None:
    assert rag.ask("Who founded Dunmore Gears?").abstained
    assert answered(rag, "Who founded Harlow Motors?", "Ana Vidal")


def test_a_table_row_answers_for_its_own_subject_only(rag: RAG) -> None:
    assert rag.ask("How much is Quillfeather Robotics spending on warehouse robots in Lisbon?").abstained
    assert answered(rag, "How much is Harlow Motors spending on its battery plant near Porto?", "1.2 billion")


@needs_model
def test_who_runs_a_company_needs_a_person_named_for_it(rag: RAG) -> None:
    assert rag.ask("Who runs Quillfeather Robotics?").abstained
    assert answered(rag, "Who runs Harlow Motors?", "Pieter Smit")
