"""Fixtures for the LLM backend tests: the fake OpenAI server and settings pointing at it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rag.config import Settings
from rag.llm.base import GenerationRequest, Message
from tests.fakes import FakeOpenAIServer, fake_openai, fake_openai_server  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's real OPENAI_API_KEY must neither leak into requests nor change what tests see.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def openai_settings(fake_openai: FakeOpenAIServer) -> Callable[..., Settings]:
    """Build Settings for the openai backend aimed at the fake server; keyword args override llm fields."""

    def build(**llm: Any) -> Settings:
        fields = {"backend": "openai", "model": "fake-model", "base_url": fake_openai.url, "timeout": 5.0,
                  "max_retries": 2, **llm}
        return Settings(llm=fields)

    return build


@pytest.fixture
def gen_request() -> GenerationRequest:
    return GenerationRequest(
        question="What is the capital of France?",
        passages=[],
        messages=[
            Message(role="system", content="Answer from the passages."),
            Message(role="user", content="What is the capital of France?"),
        ],
        max_tokens=64,
        temperature=0.2,
    )
