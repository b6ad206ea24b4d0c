"""The shared backend contract (rag.testing.llm_suite) run by the backends that need no model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.llm.extractive import ExtractiveLLM
from rag.config import Settings
from rag.llm.openai_backend import OpenAILLM
from rag.testing.llm_suite import LLMBackendContract
from tests.fakes import FakeOpenAIServer


class TestExtractiveBackend(LLMBackendContract):
    @pytest.fixture
    def backend(self) -> ExtractiveLLM:
        return ExtractiveLLM(Settings())


class TestOpenAIBackend(LLMBackendContract):
    """Against a real HTTP server on loopback that speaks the OpenAI protocol."""

    @pytest.fixture
    def backend(self, fake_openai: FakeOpenAIServer) -> Iterator[OpenAILLM]:
        llm = OpenAILLM(Settings(llm={"backend": "openai", "model": "fake-model", "base_url": fake_openai.url,
                                      "timeout": 5.0, "max_retries": 0}))
        yield llm
        llm.close()


def test_the_extractive_warm_up_loads_the_entity_tagger_when_installed() -> None:
    from rag.answer import entities

    entities.model.cache_clear()
    ExtractiveLLM(Settings()).warm_up()
    assert entities.model.cache_info().currsize == 1  # loaded (or found missing) once, before any question
