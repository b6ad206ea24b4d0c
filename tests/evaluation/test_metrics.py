from __future__ import annotations

import pytest

from rag.evaluation import metrics as m


@pytest.mark.parametrize(("text", "expected"), [
    ("The Denver Broncos!", "denver broncos"),
    ("  an   apple, a pear ", "apple pear"),
    ("$2.9 billion", "29 billion"),
    ("Theory of the atom", "theory of atom"),  # only whole words a/an/the go
    ("", ""),
])
def test_normalize_answer(text: str, expected: str) -> None:
    assert m.normalize_answer(text) == expected


def test_str_em_contiguous_tokens_on_word_boundaries() -> None:
    assert m.str_em("$2.9 billion over two years", ["2.9 billion"])
    # "2.9" normalises to "29": "9 billion" is not a whole-token run of "29 billion".
    assert not m.str_em("$2.9 billion over two years", ["9 billion"])
    assert not m.str_em("billion 2.9", ["2.9 billion"])  # order matters
    assert m.str_em("Four new berths.", ["nothing", "four"])
    assert not m.str_em("fourteen berths", ["four"])
    assert not m.str_em("anything", ["the", ""])  # answers that normalise to nothing never match
    assert not m.str_em("", ["four"])


def test_exact_match() -> None:
    assert m.exact_match("The Denver Broncos.", ["Denver Broncos"])
    assert not m.exact_match("Denver Broncos won", ["Denver Broncos"])


def test_token_f1_takes_max_over_answers_with_multiset_overlap() -> None:
    # prediction "denver broncos won" vs "denver broncos": p=2/3, r=1 -> f1 = 0.8
    assert m.token_f1("Denver Broncos won", ["Carolina", "Denver Broncos"]) == pytest.approx(0.8)
    # multiset: "a a" shares one "x" with "x y"... use repeated tokens
    assert m.token_f1("x x y", ["x y y"]) == pytest.approx(2 / 3)
    assert m.token_f1("", ["x"]) == 0.0
    assert m.token_f1("z", ["x"]) == 0.0


def test_answer_recall_and_reciprocal_rank() -> None:
    texts = ["Nothing here.", "Also nothing.", "They paid $2.9 billion in total.", "2.9 billion again"]
    assert not m.answer_recall_at_k(texts, ["2.9 billion"], 1)
    assert m.answer_recall_at_k(texts, ["2.9 billion"], 3)
    assert m.answer_rank(texts, ["2.9 billion"]) == 3
    assert m.reciprocal_rank(3) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(None) == 0.0


def test_source_recall_and_rank() -> None:
    ids = ["a", "b", "c", "a"]
    assert m.source_recall_at_k(ids, ["c"], 1) is False
    assert m.source_recall_at_k(ids, ["c"], 3) is True
    assert m.source_recall_at_k(ids, ["z", "c"], 3) is True  # any listed source holds the answer
    assert m.source_recall_at_k(ids, [], 5) is None
    assert m.source_rank(ids, ["b", "c"]) == 2


def test_abstention_metrics() -> None:
    answerable = [True, True, True, True, False, False]
    abstained = [False, False, True, False, True, False]
    scores = m.abstention_metrics(answerable, abstained)
    assert scores["abstention_precision"] == 0.5  # 1 of 2 abstentions was on an unanswerable question
    assert scores["abstention_recall"] == 0.5  # 1 of 2 unanswerable questions abstained on
    assert scores["false_abstention_rate"] == 0.25  # 1 of 4 answerable questions abstained on
    assert m.abstention_metrics([True], [False])["abstention_precision"] is None


def test_latency_percentiles_and_mean() -> None:
    values = [float(v) for v in range(1, 101)]
    summary = m.latency_summary(values)
    assert summary["latency_p50_ms"] == pytest.approx(50.5)
    assert summary["latency_p95_ms"] == pytest.approx(95.05)
    assert m.percentile([], 50) is None
    assert m.mean([True, False, None, 1.0]) == pytest.approx(2 / 3)
    assert m.mean([None]) is None
