"""The openai backend against a real HTTP server on loopback (tests/fakes/openai_server.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from rag.config import Settings
from rag.errors import BackendError, ConfigError
from rag.llm.base import GenerationRequest, Usage
from rag.llm.openai_backend import OpenAILLM
from tests.fakes import FakeOpenAIServer

SettingsFactory = Callable[..., Settings]
KEY = "sk-test-secret-123456"


@pytest.fixture
def backend() -> Iterator[Callable[..., OpenAILLM]]:
    """Build OpenAILLMs with a tiny backoff (retry tests take milliseconds); closed after the test."""
    built: list[OpenAILLM] = []

    def build(settings: Settings, **kwargs: Any) -> OpenAILLM:
        built.append(OpenAILLM(settings, backoff_base=0.01, **kwargs))
        return built[-1]

    yield build
    for llm in built:
        llm.close()


def test_streamed_text_arrives_in_pieces_and_assembles(backend, fake_openai, openai_settings, gen_request):
    fake_openai.reply("Paris is the capital of France [1].", chunks=4)
    deltas = list(backend(openai_settings()).stream(gen_request))
    texts = [d.text for d in deltas if d.text]
    assert len(texts) == 4
    assert "".join(texts) == "Paris is the capital of France [1]."


def test_usage_reported_by_the_server_is_returned(backend, fake_openai, openai_settings, gen_request):
    fake_openai.reply("Paris it is.")
    text, usage = backend(openai_settings()).generate(gen_request)
    assert text == "Paris it is."
    # The fake counts words: 4 + 6 prompt words, 3 reply words.
    assert usage == Usage(prompt_tokens=10, completion_tokens=3)


def test_usage_is_estimated_when_the_server_sends_none(backend, fake_openai, openai_settings, gen_request):
    fake_openai.reply("x" * 40, usage=False)
    _, usage = backend(openai_settings()).generate(gen_request)
    assert usage.completion_tokens == 10  # 40 characters / 4
    assert usage.prompt_tokens > 0


def test_request_carries_messages_and_parameters(backend, fake_openai, openai_settings, gen_request):
    fake_openai.reply("ok")
    backend(openai_settings(model="my-model")).generate(gen_request)
    (sent,) = fake_openai.completions
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "my-model"
    assert sent.body["messages"] == [m.model_dump() for m in gen_request.messages]
    assert sent.body["temperature"] == 0.2
    assert sent.body["max_tokens"] == 64
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}


def test_retries_after_429_and_waits_as_asked(backend, fake_openai, openai_settings, gen_request):
    fake_openai.fail(429, "slow down", retry_after=0.3).reply("done")
    started = time.monotonic()
    text, _ = backend(openai_settings()).generate(gen_request)
    assert text == "done"
    assert len(fake_openai.completions) == 2
    assert time.monotonic() - started >= 0.3


def test_retries_after_500(backend, fake_openai, openai_settings, gen_request):
    fake_openai.fail(500).fail(503).reply("recovered")
    assert backend(openai_settings()).generate(gen_request)[0] == "recovered"
    assert len(fake_openai.completions) == 3


def test_gives_up_after_max_retries_naming_backend_and_url(backend, fake_openai, openai_settings, gen_request):
    for _ in range(5):
        fake_openai.fail(502, "upstream down")
    with pytest.raises(BackendError) as caught:
        backend(openai_settings(max_retries=2)).generate(gen_request)
    assert len(fake_openai.completions) == 3
    error = caught.value
    assert error.backend == "openai"
    assert error.url == f"{fake_openai.url}/chat/completions"
    assert "openai" in str(error) and fake_openai.url in str(error)
    assert "502" in str(error) and "upstream down" in str(error)
    assert not error.timeout


def test_client_errors_are_not_retried(backend, fake_openai, openai_settings, gen_request):
    fake_openai.fail(400, "messages must not be empty").reply("never sent")
    with pytest.raises(BackendError, match="messages must not be empty"):
        backend(openai_settings()).generate(gen_request)
    assert len(fake_openai.completions) == 1


def test_timeout_is_reported_without_waiting_for_a_slow_reply(backend, fake_openai, openai_settings, gen_request):
    fake_openai.slow(3.0)
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        backend(openai_settings(timeout=0.5)).generate(gen_request)
    assert caught.value.timeout is True
    assert time.monotonic() - started < 1.5
    assert "RAG_LLM__TIMEOUT" in str(caught.value)


def test_connection_refused_is_a_backend_error(backend, gen_request):
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(llm={"backend": "openai", "model": "m", "base_url": f"http://127.0.0.1:{port}/v1",
                             "max_retries": 1})
    with pytest.raises(BackendError) as caught:
        backend(settings).generate(gen_request)
    assert caught.value.url == f"http://127.0.0.1:{port}/v1/chat/completions"
    assert "could not connect" in str(caught.value) and "RAG_LLM__BASE_URL" in str(caught.value)


def test_a_stream_cut_after_text_is_an_error_and_not_retried(backend, fake_openai, openai_settings, gen_request):
    fake_openai.drop("one two three four five six", after_chunks=1).reply("second try")
    pieces: list[str] = []
    with pytest.raises(BackendError, match="after part of the reply had streamed"):
        for delta in backend(openai_settings()).stream(gen_request):
            pieces.append(delta.text)
    assert "".join(pieces) == "one two "
    assert len(fake_openai.completions) == 1


def test_a_stream_cut_before_any_text_is_retried(backend, fake_openai, openai_settings, gen_request):
    fake_openai.drop("lost", after_chunks=0).reply("second try")
    assert backend(openai_settings()).generate(gen_request)[0] == "second try"
    assert len(fake_openai.completions) == 2


def test_rejected_key_says_how_to_set_one(backend, fake_openai, openai_settings, gen_request):
    fake_openai.api_key = "the-right-key"
    with pytest.raises(BackendError) as caught:
        backend(openai_settings(api_key="a-wrong-key")).generate(gen_request)
    message = str(caught.value)
    assert "API key was rejected" in message and "RAG_LLM__API_KEY" in message
    assert "a-wrong-key" not in message


def test_unknown_model_is_named(backend, fake_openai, openai_settings, gen_request):
    fake_openai.fail(404, "The model `no-such-model` does not exist.", code="model_not_found")
    with pytest.raises(BackendError) as caught:
        backend(openai_settings(model="no-such-model")).generate(gen_request)
    assert "'no-such-model' was not found" in str(caught.value)
    assert "RAG_LLM__MODEL" in str(caught.value)


def test_api_key_is_sent_as_bearer_and_never_shown(backend, fake_openai, openai_settings, gen_request):
    llm = backend(openai_settings(api_key=KEY))
    fake_openai.reply("ok")
    llm.generate(gen_request)
    assert fake_openai.completions[0].headers["authorization"] == f"Bearer {KEY}"
    fake_openai.fail(400, f"bad request from key {KEY}")  # a server echoing the key back
    with pytest.raises(BackendError) as caught:
        llm.generate(gen_request)
    for shown in (repr(llm), str(llm), str(caught.value), repr(caught.value)):
        assert KEY not in shown
    assert "***" in str(caught.value)


def test_key_comes_from_openai_api_key_when_unset(backend, fake_openai, openai_settings, gen_request, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    fake_openai.reply("ok")
    backend(openai_settings()).generate(gen_request)
    assert fake_openai.completions[0].headers["authorization"] == f"Bearer {KEY}"


def test_no_authorization_header_without_a_key(backend, fake_openai, openai_settings, gen_request):
    fake_openai.reply("ok")
    backend(openai_settings()).generate(gen_request)
    assert "authorization" not in fake_openai.completions[0].headers


def test_an_injected_client_is_used_and_left_open(backend, fake_openai, openai_settings, gen_request):
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]}) as client:
        fake_openai.reply("ok")
        with backend(openai_settings(), client=client) as llm:
            llm.generate(gen_request)
        assert seen == [f"{fake_openai.url}/chat/completions"]
        assert not client.is_closed


def test_settings_without_a_model_or_with_a_bad_url_fail_early():
    with pytest.raises(ConfigError, match="RAG_LLM__MODEL"):
        OpenAILLM(Settings(llm={"backend": "openai"}))
    with pytest.raises(ConfigError, match="http://"):
        OpenAILLM(Settings(llm={"backend": "openai", "model": "m", "base_url": "localhost:8000/v1"}))


def test_backoff_grows_with_jitter_and_respects_retry_after_with_a_cap():
    llm = OpenAILLM(Settings(llm={"backend": "openai", "model": "m", "api_key": SecretStr(KEY)}))
    delays = [llm._delay(attempt, None) for attempt in range(6)]
    assert 0.25 <= delays[0] <= 0.5 and 0.5 <= delays[1] <= 1.0
    assert all(d <= 8.0 for d in delays)
    assert llm._delay(0, 2.5) == 2.5
    assert llm._delay(0, 3600) == 30.0
