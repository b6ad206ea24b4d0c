"""Choosing an embedder by name: built-ins, aliases, registered and entry-point plugins, errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest

import rag.embed.registry as registry
import rag.registry
from rag.config import EmbedderSettings
from rag.embed import Embedder, get_embedder, register_embedder
from rag.errors import ConfigError


class FakeEmbedder:
    id = "fake-v1"
    dimension = 3

    def warm_up(self) -> None: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(np.array([1, 0, 0], np.float32), (len(texts), 1))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def test_default_settings_give_the_hashing_embedder() -> None:
    embedder = get_embedder(EmbedderSettings())
    assert isinstance(embedder, Embedder)
    assert embedder.id == "hashing-v1:d384"


def test_hashing_parameters_in_the_name() -> None:
    assert get_embedder(EmbedderSettings(name="hashing:d=512")).dimension == 512


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        get_embedder(EmbedderSettings(name="word2vec"))
    message = str(info.value)
    assert "word2vec" in message and "hashing" in message and "sentence-transformers" in message


def test_sentence_transformers_needs_a_model_name() -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        get_embedder(EmbedderSettings(name="st:"))


def test_registered_factory_gets_the_argument() -> None:
    seen: list[str] = []

    def factory(argument: str, settings: EmbedderSettings) -> Embedder:
        seen.append(argument)
        return FakeEmbedder()

    register_embedder("fake", factory)
    try:
        assert get_embedder(EmbedderSettings(name="fake:small")).id == "fake-v1"
        assert seen == ["small"]
        assert "fake" in registry.available_embedders()
    finally:
        registry.unregister_embedder("fake")
    assert "fake" not in registry.available_embedders()


def test_a_prefix_with_a_colon_is_refused_with_the_rule() -> None:
    with pytest.raises(ConfigError, match="no ':'"):
        register_embedder("a:b", lambda argument, settings: FakeEmbedder())


def test_entry_point_plugins_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    class EntryPoint:
        name, value = "plugged", "plugin_pkg:make"

        def load(self):  # type: ignore[no-untyped-def]
            return lambda argument, settings: FakeEmbedder()

    monkeypatch.setattr(rag.registry, "entry_points", lambda group: [EntryPoint()] if group == "rag.embedders" else [])
    assert get_embedder(EmbedderSettings(name="plugged")).id == "fake-v1"


def test_importing_rag_embed_and_hashing_does_not_import_torch() -> None:
    code = (
        "import sys; import rag.embed; from rag.config import EmbedderSettings;"
        "e = rag.embed.get_embedder(EmbedderSettings()); e.embed_query('x');"
        "import rag.embed.sentence_transformers, rag.retrieve.rerank;"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
