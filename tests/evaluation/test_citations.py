from __future__ import annotations

import pytest

from rag.answer.types import Answer
from rag.evaluation import metrics as m
from tests.evaluation.conftest import PASSAGES, cite, passage


def answer(text: str, cited: dict[int, int], abstained: bool = False) -> Answer:
    """`cited` maps marker number -> index into PASSAGES."""
    return Answer(question="q", answer=text, citations=[cite(n, PASSAGES[i]) for n, i in cited.items()],
                  passages=list(PASSAGES), abstained=abstained)


def test_cited_sentences_parse_markers_and_move_leading_ones_back() -> None:
    parsed = m.cited_sentences("Growth was 3% [1][2]. It fell [3, 5]. [4] Then [1-2] done. Plain one.")
    assert parsed == [("Growth was 3%.", [1, 2]), ("It fell.", [3, 5, 4]), ("Then done.", [1, 2]), ("Plain one.", [])]


def test_support_score_uses_content_terms() -> None:
    # content terms of the sentence: ministri, set, asid, 2.9, billion -> all in passage 0
    assert m.support_score("The ministry set aside $2.9 billion.", PASSAGES[0].text) == 1.0
    assert m.support_score("Rain closed the road.", PASSAGES[0].text) == 0.0
    assert m.support_score("the of and", PASSAGES[0].text) == 0.0


def test_all_citations_good_and_all_sentences_supported() -> None:
    a = answer("The ministry set aside $2.9 billion [1]. The harbour gets four berths [2].", {1: 0, 2: 2})
    scores = m.citation_scores(a, ["2.9 billion"])
    assert (scores.precision, scores.recall, scores.citations, scores.sentences) == (1.0, 1.0, 2, 2)


def test_wrong_and_dangling_citations_lower_precision() -> None:
    # [2] points at the weather passage (no support, no gold answer); [7] points at nothing.
    a = answer("The ministry set aside $2.9 billion [1][2]. Harbour berths grow [7].", {1: 0, 2: 1})
    scores = m.citation_scores(a, ["2.9 billion"])
    assert scores.precision == pytest.approx(1 / 3)
    assert scores.recall == pytest.approx(1 / 2)


def test_gold_answer_in_passage_makes_a_citation_good_without_overlap() -> None:
    a = answer("Unrelated words entirely [1].", {1: 0})
    assert m.citation_scores(a, ["2.9 billion"]).precision == 1.0
    assert m.citation_scores(a, ["something else"]).precision == 0.0


def test_uncited_answer_has_no_precision_and_zero_recall() -> None:
    scores = m.citation_scores(answer("Four berths are planned.", {}), ["four"])
    assert scores.precision is None
    assert scores.recall == 0.0


def test_abstained_answer_is_not_scored_for_citations() -> None:
    scores = m.citation_scores(answer("I don't know.", {}, abstained=True), [])
    assert scores.precision is None and scores.recall is None


def test_quote_is_used_when_the_passage_is_missing() -> None:
    p = passage("gone", "The ministry set aside money for grants.")
    a = Answer(question="q", answer="The ministry set aside money [1].", citations=[cite(1, p, quote=p.text)])
    assert m.citation_scores(a, []).precision == 1.0
