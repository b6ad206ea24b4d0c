from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG
from rag.engine import sample_corpus_dir

SHARED_CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

needs_shared = pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared/corpus is absent")


@pytest.fixture(scope="session")
def sample_rag(tmp_path_factory: pytest.TempPathFactory) -> RAG:
    rag = RAG.open(tmp_path_factory.mktemp("sample") / "index")
    rag.add([sample_corpus_dir()])
    return rag


@pytest.fixture(scope="session")
def shared_rag(tmp_path_factory: pytest.TempPathFactory) -> RAG:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    rag = RAG.open(tmp_path_factory.mktemp("shared") / "index")
    rag.add([SHARED_CORPUS])
    return rag
