"""Fusion and focus weights follow the embedder an index was built with; explicit settings win."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG
from rag.config import EmbedderSettings, Settings
from rag.retrieve.weights import HASHING, MINILM, MODEL_DEFAULT, tuned_weights


def test_weights_are_chosen_by_embedder_id() -> None:
    assert tuned_weights("hashing-v1:d384") == HASHING
    assert tuned_weights("hashing-v1:d512:c3-5:w1,0.5,1") == HASHING
    for minilm in ("sentence-transformers:all-MiniLM-L6-v2", "sentence-transformers:sentence-transformers/all-MiniLM-L6-v2",
                   "sentence-transformers:all-minilm-l6-v2;query_prompt='q: '"):
        assert tuned_weights(minilm) == MINILM
    assert tuned_weights("sentence-transformers:BAAI/bge-small-en-v1.5") == MODEL_DEFAULT


def _weights(rag: RAG) -> tuple[float | None, float | None, float | None]:
    s = rag.retriever.settings
    return s.dense_weight, s.lexical_weight, s.focus_weight


def test_an_index_searches_with_its_embedders_weights(tmp_path: Path, tiny_st_model: Path) -> None:
    with RAG.open(tmp_path / "hashing") as rag:
        assert _weights(rag) == (HASHING.dense, HASHING.lexical, HASHING.focus)
    settings = Settings(embedder=EmbedderSettings(name=f"sentence-transformers:{tiny_st_model}"))
    with RAG.open(tmp_path / "model", settings=settings) as rag:
        assert _weights(rag) == (MODEL_DEFAULT.dense, MODEL_DEFAULT.lexical, MODEL_DEFAULT.focus)


def test_explicit_weights_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RETRIEVAL__DENSE_WEIGHT", "0.5")
    monkeypatch.setenv("RAG_RETRIEVAL__FOCUS_WEIGHT", "0")
    with RAG.open(tmp_path / "index", settings=Settings()) as rag:
        assert _weights(rag) == (0.5, HASHING.lexical, 0.0)
