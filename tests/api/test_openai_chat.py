"""The OpenAI-compatible routes, driven by the official openai SDK."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.api.conftest import Server

QUESTION = "How much will Microsoft invest in Japan?"


def client(server: Server, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)


def test_models_list_rag_and_backends(server: Server) -> None:
    ids = [model.id for model in client(server).models.list()]
    assert ids[0] == "rag"
    assert "rag-extractive" in ids


def test_chat_completion_has_markers_sources_and_citations(server: Server) -> None:
    completion = client(server).chat.completions.create(
        model="rag", messages=[{"role": "user", "content": QUESTION}],
        temperature=0, max_tokens=200, top_p=1, n=1, user="tester", stop=["\n\n\n"], presence_penalty=0,
    )
    content = completion.choices[0].message.content
    assert re.search(r"\[\d+\]", content)
    assert "\n\nSources:\n[1] " in content
    extra = completion.to_dict()
    assert extra["citations"] and extra["citations"][0]["n"] >= 1
    assert completion.model_extra["citations"] == extra["citations"]
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert completion.choices[0].finish_reason == "stop"


def test_chat_stream_deltas_assemble_then_citations_then_usage(server: Server) -> None:
    stream = client(server).chat.completions.create(
        model="rag-extractive", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert re.search(r"\[\d+\]", text) and "Sources:" in text
    finish, last = chunks[-2].to_dict(), chunks[-1].to_dict()
    assert finish["choices"][0]["delta"] == {} and finish["choices"][0]["finish_reason"] == "stop"
    assert finish["citations"] and "usage" not in finish
    # OpenAI's include_usage: one more chunk, with empty choices and the usage.
    assert last["choices"] == [] and last["usage"]["total_tokens"] == (
        last["usage"]["prompt_tokens"] + last["usage"]["completion_tokens"])
    assert last["usage"]["prompt_tokens"] > 100  # the question and the passages the answer read
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.usage is None for c in chunks[:-1])


def test_chat_stream_without_include_usage_reports_none(server: Server) -> None:
    chunks = list(client(server).chat.completions.create(
        model="rag", messages=[{"role": "user", "content": QUESTION}], stream=True))
    assert all(c.usage is None for c in chunks) and chunks[-1].choices[0].finish_reason == "stop"


def test_prompt_tokens_count_what_the_answer_read(server: Server) -> None:
    completion = client(server).chat.completions.create(
        model="rag", messages=[{"role": "user", "content": QUESTION}])
    passages = sum(len(p.split()) for p in _passage_texts(server))
    assert completion.usage.prompt_tokens >= passages  # at least one token per word read
    assert completion.usage.completion_tokens >= len(completion.choices[0].message.content.split(" Sources:")[0].split()) // 2


def _passage_texts(server: Server) -> list[str]:
    reply = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION})
    return [p["text"] for p in reply.json()["passages"]]


def test_n_above_one_is_a_clear_400(server: Server) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(server).chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}], n=2)
    assert caught.value.code == "unsupported_n" and caught.value.param == "n" and "n=1" in caught.value.message


def test_multi_turn_follow_up_passes_history(fake_server: Server) -> None:
    previous = "Microsoft plans to invest $2.9 billion [1].\n\nSources:\n[1] microsoft-japan-investment"
    client(fake_server).chat.completions.create(model="rag", messages=[
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": previous},
        {"role": "user", "content": [{"type": "text", "text": "Over how many years?"}]},
    ])
    call = fake_server.rag.calls[-1]
    assert call["question"] == "Over how many years?"
    assert [(m.role, m.content) for m in call["history"]] == [
        ("user", QUESTION), ("assistant", "Microsoft plans to invest $2.9 billion [1]."),
    ]


def test_multi_turn_on_real_library_condenses(server: Server) -> None:
    completion = client(server).chat.completions.create(model="rag", messages=[
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "Microsoft plans to invest $2.9 billion in Japan [1]."},
        {"role": "user", "content": "Over how many years?"},
    ])
    assert completion.choices[0].message.content


def test_unknown_model_is_404_in_openai_shape(server: Server) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(server).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    error = caught.value.body
    assert error["code"] == "model_not_found" and error["param"] == "model" and "rag-extractive" in error["message"]


def test_too_many_messages_is_422(server: Server) -> None:
    messages = [{"role": "user", "content": "hi"}] * 9
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client(server).chat.completions.create(model="rag", messages=messages)
    assert "limit is 8" in caught.value.body["message"]


def test_validation_errors_use_openai_shape(server: Server) -> None:
    reply = httpx.post(f"{server.url}/v1/chat/completions", json={"model": "rag", "messages": []})
    assert reply.status_code == 422
    assert set(reply.json()["error"]) == {"message", "type", "param", "code"}
    reply = httpx.post(f"{server.url}/v1/chat/completions",
                       json={"model": "rag", "messages": [{"role": "assistant", "content": "hi"}]})
    assert reply.status_code == 422 and "no user message" in reply.json()["error"]["message"]
