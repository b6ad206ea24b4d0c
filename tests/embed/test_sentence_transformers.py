"""Loading a sentence-transformers model by path, with tiny models built in conftest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import EmbedderSettings
from rag.embed import get_embedder
from rag.embed.sentence_transformers import BGE_QUERY_PROMPT, auto_prompts
from rag.errors import ConfigError

pytestmark = pytest.mark.slow
TEXTS = ["the bank raised interest rates", "the team won the final match"]


def test_loads_a_local_model_by_path(tiny_st_model: Path) -> None:
    embedder = get_embedder(EmbedderSettings(name=f"sentence-transformers:{tiny_st_model}"))
    assert embedder.id == "sentence-transformers:tiny-minilm"
    assert embedder.dimension == 32
    vectors = embedder.embed_documents(TEXTS)
    assert vectors.shape == (2, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embedder.embed_query(TEXTS[0]), vectors[0], atol=1e-5)  # no prompts for this name
    assert np.allclose(embedder.embed_documents(TEXTS), vectors, atol=1e-6)  # deterministic
    embedder.warm_up()  # safe to repeat
    assert embedder.embed_documents([]).shape == (0, 32)


def test_e5_models_get_query_and_passage_prompts(tiny_e5_model: Path) -> None:
    e5 = get_embedder(EmbedderSettings(name=f"st:{tiny_e5_model}"))
    plain = get_embedder(EmbedderSettings(name=f"st:{tiny_e5_model}", query_prompt="", document_prompt=""))
    assert "query_prompt='query: '" in e5.id and plain.id == "sentence-transformers:tiny-e5-small"
    assert np.allclose(e5.embed_query(TEXTS[0]), plain.embed_query("query: " + TEXTS[0]), atol=1e-5)
    assert np.allclose(e5.embed_documents(TEXTS), plain.embed_documents(["passage: " + t for t in TEXTS]), atol=1e-5)


def test_explicit_prompts_win(tiny_e5_model: Path) -> None:
    custom = get_embedder(EmbedderSettings(name=f"st:{tiny_e5_model}", query_prompt="q: ", document_prompt=""))
    assert custom.id == "sentence-transformers:tiny-e5-small;query_prompt='q: '"


def test_auto_prompts_by_model_family() -> None:
    assert auto_prompts("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert auto_prompts("BAAI/bge-small-en-v1.5") == (BGE_QUERY_PROMPT, "")
    assert auto_prompts("sentence-transformers/all-MiniLM-L6-v2") == ("", "")


def test_missing_local_path_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        get_embedder(EmbedderSettings(name=f"sentence-transformers:{tmp_path / 'nowhere' / 'model'}"))
    with pytest.raises(ConfigError, match="does not exist"):
        get_embedder(EmbedderSettings(name="st:./no-such-model-folder"))


def test_hub_name_offline_says_to_pass_a_local_path() -> None:
    pytest.importorskip("sentence_transformers")
    embedder = get_embedder(EmbedderSettings(name="st:no-such-org/no-such-model-xyz"))
    with pytest.raises(ConfigError, match="(?s)cannot be downloaded here.*local path"):
        embedder.warm_up()
