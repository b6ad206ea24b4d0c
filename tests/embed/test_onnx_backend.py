"""all-MiniLM-L6-v2 run by ONNX Runtime (backend=onnx): exported offline from the checked copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import EmbedderSettings
from rag.embed import get_embedder
from rag.embed.packaged import MINILM, installed_archive
from rag.errors import ConfigError

from tests.embed.test_packaged_minilm import QUICKSTART, QUICKSTART_SIMILARITY

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(installed_archive(MINILM) is None, reason="rag[minilm] is not installed"),
]


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    pytest.importorskip("sentence_transformers")
    cache = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAG_MODEL_CACHE", str(cache))
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield cache


def test_onnx_gives_the_torch_vectors_and_the_same_id(model_cache: Path) -> None:
    onnx = get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="onnx"))
    vectors = onnx.embed_documents(QUICKSTART)
    assert np.allclose(vectors @ vectors.T, QUICKSTART_SIMILARITY, atol=1e-4)
    assert onnx.dimension == 384
    # fp32 vectors match torch's, so an index built with either backend opens with the other.
    assert onnx.id == get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="torch")).id
    # A query alone (one-thread session, no padding) gives its row of the batch.
    assert np.allclose(onnx.embed_query(QUICKSTART[2]), vectors[2], atol=1e-5)


def test_onnx_int8_stays_close_and_names_its_backend(model_cache: Path) -> None:
    embedder = get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="onnx", quantize="int8"))
    assert embedder.id == "sentence-transformers:all-MiniLM-L6-v2;quantize=int8;backend=onnx"
    vectors = embedder.embed_documents(QUICKSTART)
    assert np.allclose(vectors @ vectors.T, QUICKSTART_SIMILARITY, atol=0.05)


def test_a_changed_export_is_refused(model_cache: Path) -> None:
    get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="onnx")).warm_up()
    (exported,) = [p for p in (model_cache / "onnx").glob("*/model.onnx") if not p.with_name("model-int8.onnx").exists()]
    original = exported.read_bytes()
    exported.write_bytes(original[:-10])
    try:
        with pytest.raises(ConfigError, match=r"model\.onnx does not match the hash recorded when it was exported.*Delete"):
            get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="onnx")).warm_up()
    finally:
        exported.write_bytes(original)


def test_auto_runs_the_packaged_model_on_onnx_unless_quantised(
    model_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch_vector = get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="torch")).embed_query(QUICKSTART[0])
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))  # an empty cache: an export shows there
    auto = get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", device="cpu"))
    assert np.allclose(auto.embed_query(QUICKSTART[0]), torch_vector, atol=1e-5)
    assert list((tmp_path / "onnx").glob("*/model.onnx"))
    # torch's int8 keeps its own id: auto never switches a quantised model's backend.
    assert get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", quantize="int8")).id.endswith(";quantize=int8")


def test_bf16_is_refused_on_onnx() -> None:
    with pytest.raises(ConfigError, match="bf16 runs on the torch backend only"):
        get_embedder(EmbedderSettings(name="st:all-MiniLM-L6-v2", backend="onnx", quantize="bf16"))
