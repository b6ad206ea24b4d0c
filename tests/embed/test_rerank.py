"""The cross-encoder reranker, with a tiny random cross-encoder built in conftest."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.retrieve.rerank import CrossEncoderReranker
from rag.types import Passage

pytestmark = pytest.mark.slow


def passages(texts: list[str]) -> list[Passage]:
    return [
        Passage(chunk_id=f"d{i}#0", doc_id=f"d{i}", text=t, start=0, end=len(t), score=1.0 - i / 10,
                scores={"dense": 0.5}, rank=i + 1)
        for i, t in enumerate(texts)
    ]  # fmt: skip


def test_order_follows_the_model_scores(tiny_cross_encoder: Path) -> None:
    from sentence_transformers import CrossEncoder

    texts = ["the bank raised interest rates", "the team won the final", "rain closed schools", "a new budget"]
    query = "why did rates rise"
    reranker = CrossEncoderReranker(str(tiny_cross_encoder), device="cpu")
    ranked = reranker.rerank(query, passages(texts))

    expected = CrossEncoder(str(tiny_cross_encoder), device="cpu").predict([(query, t) for t in texts])
    order = sorted(range(len(texts)), key=lambda i: -expected[i])
    assert [p.text for p in ranked] == [texts[i] for i in order]
    assert [p.rank for p in ranked] == [1, 2, 3, 4]
    for passage in ranked:
        assert passage.score == pytest.approx(passage.scores["rerank"])
        assert passage.scores["dense"] == 0.5  # earlier scores are kept
    assert [p.scores["rerank"] for p in ranked] == pytest.approx(sorted(expected, reverse=True), abs=1e-5)
    assert reranker.rerank(query, []) == []


def test_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        CrossEncoderReranker(str(tmp_path / "absent-model"))
