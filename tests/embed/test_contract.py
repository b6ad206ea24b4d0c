"""The shared embedder contract (rag.testing.embedder_suite) run by every built-in embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import EmbedderSettings
from rag.embed import get_embedder
from rag.embed.base import Embedder
from rag.embed.packaged import MINILM, installed_archive
from rag.testing.embedder_suite import EmbedderContract


class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return get_embedder(EmbedderSettings(name="hashing"))


class TestSentenceTransformersEmbedder(EmbedderContract):
    """A tiny random-weight BERT saved in the test: the mechanics hold, the meaning does not."""

    ranks_related_text = False

    @pytest.fixture
    def embedder(self, tiny_st_model: Path) -> Embedder:
        return get_embedder(EmbedderSettings(name=f"sentence-transformers:{tiny_st_model}"))


@pytest.mark.skipif(installed_archive(MINILM) is None, reason="rag[minilm] is not installed (pip install 'rag[minilm]')")
class TestPackagedMiniLM(EmbedderContract):
    """The real all-MiniLM-L6-v2 from its package, loaded once for the class."""

    @pytest.fixture(scope="class")
    def embedder(self, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("RAG_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
            patch.setenv("HF_HUB_OFFLINE", "1")
            embedder = get_embedder(EmbedderSettings(name="sentence-transformers:all-MiniLM-L6-v2"))
            embedder.warm_up()
            return embedder
