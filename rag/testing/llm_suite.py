"""The LLM backend contract as a test suite every backend runs (Haystack style).

Subclass `LLMBackendContract` in a test module and give it one fixture, `backend`: a built
backend ready to answer (for a remote one, pointed at a server the test controls). The same tests
then hold for the extractive answerer, the openai and transformers backends and any backend of
your own registered with `register_llm`.
"""

from __future__ import annotations

from typing import Any

import pytest

from rag.llm.base import Delta, GenerationRequest, Message, Usage, generate
from rag.types import Passage

__all__ = ["LLMBackendContract", "contract_request"]


def contract_request(max_tokens: int = 48) -> GenerationRequest:
    """A small, complete request: one passage, a system and a user message, greedy decoding."""
    passage = Passage(chunk_id="harbour#0", doc_id="harbour", text="The Corlin harbour handles 400 ships a month.",
                      score=1.0, title="Corlin harbour", start=0, end=45)
    question = "How many ships does the Corlin harbour handle?"
    return GenerationRequest(
        question=question,
        passages=[passage],
        messages=[Message(role="system", content=f"Answer from the passage.\n[1] {passage.text}"),
                  Message(role="user", content=question)],
        max_tokens=max_tokens,
        temperature=0.0,
    )


class LLMBackendContract:
    """What every backend promises the answer pipeline, the CLI and the HTTP service."""

    @pytest.fixture
    def request_(self) -> GenerationRequest:
        return contract_request()

    def test_implements_the_protocol(self, backend: Any) -> None:
        from rag.llm.base import LLMBackend

        assert isinstance(backend, LLMBackend)
        assert isinstance(backend.name, str) and backend.name.strip()

    def test_streams_deltas_that_assemble_into_text(self, backend: Any, request_: GenerationRequest) -> None:
        deltas = list(backend.stream(request_))
        assert deltas and all(isinstance(d, Delta) for d in deltas)
        text = "".join(d.text for d in deltas)
        assert text.strip(), "a backend must write something for a question its passage answers"
        # Usage, when given, comes last: the pipeline reads it after the text is complete.
        usage_at = [i for i, d in enumerate(deltas) if d.usage is not None]
        assert all(not d.text for d in deltas[usage_at[0] + 1:]) if usage_at else True

    def test_generate_returns_the_streamed_text_and_its_usage(self, backend: Any, request_: GenerationRequest) -> None:
        streamed = "".join(d.text for d in backend.stream(request_))
        text, usage = generate(backend, request_)
        assert text == streamed  # greedy decoding: the blocking call is the stream, assembled
        assert isinstance(usage, Usage)
        assert usage.completion_tokens >= 0 and usage.prompt_tokens >= 0

    def test_a_stream_abandoned_early_leaves_the_backend_usable(self, backend: Any,
                                                                request_: GenerationRequest) -> None:
        # A client that disconnects mid-answer closes the generator; the next request must work.
        stream = backend.stream(request_)
        next(stream)
        stream.close()
        text, _ = generate(backend, request_)
        assert text.strip()

    def test_history_and_no_passages_are_accepted(self, backend: Any, request_: GenerationRequest) -> None:
        request_.history = [Message(role="user", content="Tell me about Corlin."),
                            Message(role="assistant", content="Corlin has a harbour.")]
        request_.passages = []
        text, usage = generate(backend, request_)
        assert isinstance(text, str) and isinstance(usage, Usage)
