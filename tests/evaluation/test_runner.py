from __future__ import annotations

import pytest

from rag.evaluation.gold import GoldItem
from rag.evaluation.runner import ALL, EvalConfig, run_compare, run_eval, with_chunk_size
from rag.llm.base import Message
from rag.types import Document
from tests.evaluation.conftest import FakeRag

GOLD = [
    GoldItem(id="g1", question="How much money went to research grants?", answers=["2.9 billion"],
             sources=["budget"], split="dev"),
    GoldItem(id="g2", question="How many berths will the harbour add?", answers=["four"], sources=["ports"],
             split="test", history=[Message(role="user", content="Tell me about the port.")]),
    GoldItem(id="g3", question="Who won the 1930 cup?", answerable=False, split="dev"),
]


def test_run_eval_scores_every_question_through_search_and_ask(fake_rag: FakeRag) -> None:
    result = run_eval(fake_rag, GOLD, mode="lexical", top_k=3, llm="extractive", progress=False)
    assert [q for q, _, _ in fake_rag.search_calls] == [g.question for g in GOLD]
    assert all(k == 10 and mode == "lexical" for _, k, mode in fake_rag.search_calls)
    assert fake_rag.ask_calls[1]["history"] == GOLD[1].history
    assert fake_rag.ask_calls[0] | {"history": None} == {
        "question": GOLD[0].question, "history": None, "top_k": 3, "llm": "extractive", "mode": "lexical"}

    g1, g2, g3 = result.records
    assert g1.metrics["str_em"] is True and g1.metrics["answer_recall@1"] is True
    assert g1.metrics["source_recall@1"] is True and g1.cited_sources == ["budget"]
    assert g2.metrics["str_em"] is True and g2.metrics["citation_precision"] == 1.0
    assert g3.abstained and "str_em" not in g3.metrics  # unanswerable: abstention metrics only

    overall = result.summary[ALL]
    assert overall["questions"] == 3 and overall["unanswerable"] == 1 and overall["errors"] == 0
    assert overall["str_em"] == 1.0
    assert overall["abstention_precision"] == 1.0 and overall["abstention_recall"] == 1.0
    assert overall["false_abstention_rate"] == 0.0
    assert overall["latency_p50_ms"] == 5.0
    assert result.summary["dev"]["questions"] == 2 and result.summary["test"]["questions"] == 1


def test_failures_are_recorded_and_scored_as_misses(fake_rag: FakeRag) -> None:
    fake_rag.fail_on = GOLD[0].question
    result = run_eval(fake_rag, GOLD, progress=False)
    failed = result.records[0]
    assert failed.error == "RuntimeError: index exploded"
    assert failed.metrics["str_em"] is False and failed.metrics["answer_recall@10"] is False
    assert result.summary[ALL]["errors"] == 1
    assert result.summary[ALL]["str_em"] == 0.5


def test_abstaining_on_an_answerable_question_scores_zero(fake_rag: FakeRag) -> None:
    fake_rag.answers[GOLD[1].question] = ("It will add four new berths [1].", [2], True)
    record = run_eval(fake_rag, GOLD, progress=False).records[1]
    assert record.metrics["str_em"] is False and record.metrics["f1"] == 0.0


def test_run_compare_rebuilds_per_chunk_size_and_runs_the_baseline(fake_rag: FakeRag) -> None:
    opened: list[int] = []
    rebuilt = FakeRag(fake_rag.answers)

    def open_rag(path, settings):  # noqa: ANN001, ANN202 - test double
        opened.append(settings.chunking.size)
        assert path.is_dir()
        return rebuilt

    docs = [Document(id="ports", text="The harbour expansion will add four new berths by 2027.")]
    configs = [EvalConfig(name="dense", mode="dense"), EvalConfig(name="chunk=64", chunk_size=64),
               EvalConfig(name="bm25", kind="bm25")]
    results = run_compare(configs, GOLD[1:2], rag=fake_rag, corpus=docs, open_rag=open_rag, progress=False)
    assert [r.config.name for r in results] == ["dense", "chunk=64", "bm25"]
    assert opened == [64] and rebuilt.added == [docs] and rebuilt.closed
    assert fake_rag.search_calls[0][2] == "dense"
    baseline = results[2].records[0]
    assert baseline.metrics["str_em"] is True and baseline.retrieved == ["ports"]


def test_run_compare_without_corpus_is_a_clear_error(fake_rag: FakeRag) -> None:
    from rag.errors import RagError

    with pytest.raises(RagError, match="--corpus or --squad"):
        run_compare([EvalConfig(name="bm25", kind="bm25")], GOLD, rag=fake_rag)


def test_with_chunk_size_keeps_overlap_below_size() -> None:
    from rag.config import Settings

    settings = with_chunk_size(Settings(), 64)
    assert settings.chunking.size == 64 and settings.chunking.overlap == 16
