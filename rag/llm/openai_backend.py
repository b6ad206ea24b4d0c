"""The `openai` backend: any OpenAI-compatible chat-completions server.

Works with OpenAI, vLLM, Ollama, llama.cpp's server and LM Studio.

Talks HTTP with httpx directly (no openai SDK, to keep the default install light). Replies are
always streamed (`stream=True`, `stream_options.include_usage`); `generate` is derived from
`stream` by `StreamingLLM`. Failures before any text arrived are retried with exponential
backoff and jitter (429, 408/409, 5xx, connection errors; `Retry-After` respected, capped).
Once text has been yielded nothing is retried: the caller already showed it to someone.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from rag.config import Settings
from rag.errors import BackendError, ConfigError
from rag.llm import openai_wire as wire
from rag.llm.base import Delta, GenerationRequest, StreamingLLM, Usage

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 409, 429})  # plus every 5xx
MAX_RETRY_AFTER = 30.0  # seconds; a server asking for longer is treated as asking for this
DETAIL_CHARS = 300  # how much of a server's error body goes into our message


class _Retryable(Exception):
    """An attempt failed in a way that a fresh attempt may fix."""

    def __init__(self, detail: str, *, timeout: bool = False, retry_after: float | None = None):
        super().__init__(detail)
        self.detail = detail
        self.timeout = timeout
        self.retry_after = retry_after


class OpenAILLM(StreamingLLM):
    """Streams chat completions from `settings.llm.base_url` with `settings.llm.model`."""

    name = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
    ) -> None:
        llm = settings.llm
        if not llm.model:
            raise ConfigError(
                "the openai backend needs a model name: set RAG_LLM__MODEL (e.g. gpt-4o-mini, "
                "or the name your vLLM/Ollama/llama.cpp server serves)"
            )
        if not llm.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"RAG_LLM__BASE_URL must start with http:// or https://, got {llm.base_url!r} "
                "(e.g. http://localhost:8000/v1)"
            )
        self.model = llm.model
        self.base_url = llm.base_url.rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        secret = llm.api_key.get_secret_value() if llm.api_key is not None else ""
        # Local servers (vLLM, Ollama) need no key: then no Authorization header is sent.
        self._api_key = secret or os.environ.get("OPENAI_API_KEY", "")
        self._timeout = llm.timeout
        self._max_retries = llm.max_retries
        self._backoff = (backoff_base, backoff_cap)
        self._client = client
        self._owns_client = client is None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # Deliberately without the API key.
        return f"OpenAILLM(model={self.model!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP client if this backend created it (an injected one is the caller's)."""
        with self._lock:
            if self._owns_client and self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> OpenAILLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(self, request: GenerationRequest) -> Iterator[Delta]:
        payload = self._payload(request)
        attempt = 0
        while True:
            sent = [False]  # set by _attempt once text has been yielded
            try:
                yield from self._attempt(payload, sent)
                return
            except _Retryable as failure:
                if sent[0]:
                    detail = f"{failure.detail} after part of the reply had streamed; not retried (text would repeat)"
                    raise self._error(detail, timeout=failure.timeout) from failure.__cause__
                if attempt >= self._max_retries:
                    detail = f"gave up after {attempt + 1} attempt(s) (RAG_LLM__MAX_RETRIES={self._max_retries}): "
                    raise self._error(detail + failure.detail, timeout=failure.timeout) from failure.__cause__
                delay = self._delay(attempt, failure.retry_after)
                log.warning(
                    "openai backend: %s; retry %d of %d in %.2fs",
                    self._scrub(failure.detail),
                    attempt + 1,
                    self._max_retries,
                    delay,
                )
                time.sleep(delay)
                attempt += 1

    def _attempt(self, payload: dict[str, Any], sent: list[bool]) -> Iterator[Delta]:
        """One HTTP request; raises `_Retryable` for failures worth another try."""
        try:
            with self._http().stream(
                "POST", self.url, json=payload, headers=self._headers(), timeout=self._timeout
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._status_error(response)
                yield from self._deltas(response, payload, sent)
        except httpx.ConnectTimeout as exc:
            raise _Retryable(f"could not connect within {self._timeout:g}s", timeout=True) from exc
        except httpx.TimeoutException as exc:
            # Not retried: the server may still be working on it, and a retry would double the
            # wait the user set with RAG_LLM__TIMEOUT.
            raise self._error(
                f"no reply within {self._timeout:g}s; raise RAG_LLM__TIMEOUT if the model is slow",
                timeout=True,
            ) from exc
        except httpx.ConnectError as exc:
            raise _Retryable(f"could not connect ({exc}); is the server running? check RAG_LLM__BASE_URL") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"the connection broke ({type(exc).__name__}: {exc})") from exc

    def _deltas(self, response: httpx.Response, payload: dict[str, Any], sent: list[bool]) -> Iterator[Delta]:
        """Parse server-sent events into Deltas; the last Delta carries usage."""
        if "text/event-stream" not in response.headers.get("content-type", ""):
            # Some servers ignore stream=True and answer with one chat.completion object.
            yield from self._from_completion(self._json(response.read().decode("utf-8", "replace")))
            return
        usage: Usage | None = None
        chars = 0
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, ": keep-alive" comments, event:/id: fields
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                break
            chunk = self._json(data)
            if chunk.get("error"):
                raise self._error(f"the server reported an error mid-stream: {wire.message_of(chunk)}")
            text = wire.chunk_text(chunk)
            if text:
                sent[0] = True
                chars += len(text)
                yield Delta(text=text)
            if chunk.get("usage"):
                usage = wire.usage_of(chunk["usage"])
        yield Delta(usage=usage or wire.estimate_usage(payload["messages"], chars))

    def _from_completion(self, data: dict[str, Any]) -> Iterator[Delta]:
        try:
            text = data["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._error(f"bad reply: no choices[0].message in {str(data)[:DETAIL_CHARS]!r}") from exc
        if text:
            yield Delta(text=text)
        raw = data.get("usage")
        yield Delta(usage=wire.usage_of(raw) if raw else wire.estimate_usage([], len(text)))

    def _status_error(self, response: httpx.Response) -> Exception:
        """A BackendError saying what to change, or `_Retryable` for statuses worth retrying."""
        status = response.status_code
        detail = (
            f"HTTP {status}: {self._scrub(wire.message_of(wire.safe_json(response)) or response.text)[:DETAIL_CHARS]}"
        )
        if status == 401:
            what = "the API key was rejected" if self._api_key else "the server wants an API key and none was set"
            return self._error(f"{what} ({detail}); set a valid key in RAG_LLM__API_KEY (or OPENAI_API_KEY)")
        if status == 403:
            return self._error(f"access denied ({detail}); check that the API key may use model {self.model!r}")
        if status == 404:
            if "model" in detail.lower():
                return self._error(
                    f"model {self.model!r} was not found ({detail}); set RAG_LLM__MODEL to a model "
                    f"listed at GET {self.base_url}/models"
                )
            return self._error(f"no such endpoint ({detail}); check RAG_LLM__BASE_URL (it usually ends in /v1)")
        if status in RETRY_STATUSES or status >= 500:
            reason = "rate limited" if status == 429 else "the server failed"
            return _Retryable(f"{reason} ({detail})", retry_after=wire.retry_after(response.headers))
        return self._error(f"the server refused the request ({detail})")

    def _payload(self, request: GenerationRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout)
            return self._client

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        base, cap = self._backoff
        ceiling = min(cap, base * 2**attempt)
        # "Equal jitter": never zero, and clients that failed together do not retry together.
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _json(self, data: str) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except json.JSONDecodeError as exc:
            raise self._error(f"bad reply: expected JSON, got {self._scrub(data)[:100]!r}") from exc
        if not isinstance(value, dict):
            raise self._error(f"bad reply: expected a JSON object, got {self._scrub(data)[:100]!r}")
        return value

    def _error(self, message: str, *, timeout: bool = False) -> BackendError:
        text = f"openai backend ({self.url}): {self._scrub(message)}"
        return BackendError(text, backend=self.name, url=self.url, timeout=timeout)

    def _scrub(self, text: str) -> str:
        # Some servers echo the key they rejected; it must not reach logs or error messages.
        return text.replace(self._api_key, "***") if self._api_key else text
