"""The fake server speaks the protocol real clients expect: checked with the official openai SDK."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes import DEFAULT_TEXT, FakeOpenAIServer

openai = pytest.importorskip("openai")

MESSAGES = [{"role": "user", "content": "say something nice"}]


def sdk(server: FakeOpenAIServer, key: str = "any") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=5)


def test_streaming_with_usage(fake_openai: FakeOpenAIServer):
    fake_openai.reply("one two three four", chunks=2)
    with sdk(fake_openai) as client:
        chunks = list(client.chat.completions.create(
            model="fake-model", messages=MESSAGES, stream=True, stream_options={"include_usage": True},
        ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three four"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_non_streaming_completion(fake_openai: FakeOpenAIServer):
    fake_openai.reply("a whole reply")
    with sdk(fake_openai) as client:
        completion = client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert completion.choices[0].message.content == "a whole reply"
    assert completion.usage is not None and completion.usage.prompt_tokens == 3
    assert fake_openai.completions[0].body["messages"] == MESSAGES


def test_default_reply_when_nothing_is_scripted(fake_openai: FakeOpenAIServer):
    with sdk(fake_openai) as client:
        completion = client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert completion.choices[0].message.content == DEFAULT_TEXT


def test_scripted_errors_reach_the_client(fake_openai: FakeOpenAIServer):
    fake_openai.fail(429, "slow down", retry_after=2)
    with sdk(fake_openai) as client, pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert caught.value.response.headers["retry-after"] == "2"
    assert "slow down" in str(caught.value)


def test_api_key_is_enforced_when_configured(fake_openai: FakeOpenAIServer):
    fake_openai.api_key = "right"
    with sdk(fake_openai, key="wrong") as client, pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="fake-model", messages=MESSAGES)
    with sdk(fake_openai, key="right") as client:
        assert client.chat.completions.create(model="fake-model", messages=MESSAGES).choices


def test_models_are_listed(fake_openai: FakeOpenAIServer):
    with sdk(fake_openai) as client:
        assert [m.id for m in client.models.list()] == ["fake-model"]


def test_a_dedicated_server_starts_and_stops():
    with FakeOpenAIServer(models=["a", "b"]) as server:
        assert httpx.get(f"{server.url}/models").json()["data"][1]["id"] == "b"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/models", timeout=1)
