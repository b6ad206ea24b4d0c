"""The real all-MiniLM-L6-v2 from its PyPI package (rag[minilm]): offline, checked by sha256."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import EmbedderSettings
from rag.embed import get_embedder
from rag.embed.packaged import MINILM, installed_archive, local_copy, packaged_model
from rag.embed.sentence_transformers import resolve_model
from rag.errors import ConfigError

needs_package = pytest.mark.skipif(
    installed_archive(MINILM) is None, reason="rag[minilm] is not installed (pip install 'rag[minilm]')"
)
# sentence-transformers' quickstart: these three sentences and the similarities it prints.
QUICKSTART = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
QUICKSTART_SIMILARITY = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])


@pytest.fixture
def model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "models"
    monkeypatch.setenv("RAG_MODEL_CACHE", str(cache))
    return cache


@pytest.fixture(scope="module")
def unpacked_once(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One unpacked copy for the tests that only load the model (unpacking costs seconds)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAG_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield


def test_only_the_packaged_hub_ids_are_redirected() -> None:
    assert packaged_model("sentence-transformers/all-MiniLM-L6-v2") is MINILM
    assert packaged_model("All-MiniLM-L6-v2") is MINILM  # the hub matches names without case
    assert packaged_model("sentence-transformers/all-MiniLM-L12-v2") is None
    assert resolve_model("some-org/some-model") == ("some-org/some-model", "some-org/some-model")


@needs_package
def test_hub_id_resolves_to_the_checked_package_copy(model_cache: Path) -> None:
    target, display = resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    assert Path(target).parent == model_cache and display == "sentence-transformers/all-MiniLM-L6-v2"
    assert (Path(target) / "model.safetensors").stat().st_size > 80_000_000
    # The id is the hub name, as when downloaded, so indexes built either way open with the other.
    assert get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2")).id == "sentence-transformers:all-MiniLM-L6-v2"


@needs_package
def test_a_changed_copy_is_refused_until_unpacked_again(model_cache: Path) -> None:
    folder = local_copy("all-MiniLM-L6-v2")
    assert folder is not None
    with open(folder / "tokenizer.json", "ab") as handle:
        handle.write(b" ")
    with pytest.raises(ConfigError, match=r"(?s)tokenizer\.json does not match.*refusing to load.*Delete"):
        local_copy("all-MiniLM-L6-v2")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ConfigError, match=r"model\.safetensors does not match .*sha256 missing"):
        local_copy("all-MiniLM-L6-v2")
    shutil.rmtree(folder)  # what the message says to do
    assert local_copy("all-MiniLM-L6-v2") == folder
    assert not [p for p in model_cache.iterdir() if p != folder]  # no staging folders left behind


@needs_package
@pytest.mark.slow
@pytest.mark.usefixtures("unpacked_once")
def test_real_minilm_reproduces_the_quickstart_similarities() -> None:
    pytest.importorskip("sentence_transformers")
    embedder = get_embedder(EmbedderSettings(name="sentence-transformers:all-MiniLM-L6-v2"))
    vectors = embedder.embed_documents(QUICKSTART)
    assert embedder.dimension == 384
    assert np.allclose(vectors @ vectors.T, QUICKSTART_SIMILARITY, atol=1e-4)
    # Questions go through the same model: no prompt for this family.
    assert np.allclose(embedder.embed_query(QUICKSTART[0]), vectors[0], atol=1e-5)


@needs_package
@pytest.mark.slow
@pytest.mark.usefixtures("unpacked_once")
def test_int8_quantised_minilm_stays_close_and_says_so_in_its_id() -> None:
    pytest.importorskip("sentence_transformers")
    settings = EmbedderSettings(name="st:all-MiniLM-L6-v2", quantize="int8", device="cpu")
    embedder = get_embedder(settings)
    # Other vectors than fp32's, so an index built with one refuses to open with the other.
    assert embedder.id == "sentence-transformers:all-MiniLM-L6-v2;quantize=int8"
    vectors = embedder.embed_documents(QUICKSTART)
    assert np.allclose(vectors @ vectors.T, QUICKSTART_SIMILARITY, atol=0.03)
