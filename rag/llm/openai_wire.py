"""The OpenAI chat-completions wire format: streamed chunks, usage, error bodies, Retry-After.

Pure functions over what a server sent, kept apart from the backend's connection and retry logic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from rag.llm.base import Usage

CHARS_PER_TOKEN = 4  # usage estimate when a server sends none (OpenAI's rule of thumb for English)


def chunk_text(chunk: Mapping[str, Any]) -> str:
    choices = chunk.get("choices") or []
    if not choices or not isinstance(choices[0], Mapping):
        return ""
    delta = choices[0].get("delta") or {}
    content = delta.get("content") if isinstance(delta, Mapping) else None
    return content if isinstance(content, str) else ""


def usage_of(raw: Mapping[str, Any]) -> Usage:
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
    )


def estimate_usage(messages: list[dict[str, str]], completion_chars: int) -> Usage:
    """Approximate counts (characters / 4) for servers that do not report usage."""
    prompt_chars = sum(len(m["content"]) for m in messages)
    return Usage(
        prompt_tokens=math.ceil(prompt_chars / CHARS_PER_TOKEN),
        completion_tokens=math.ceil(completion_chars / CHARS_PER_TOKEN),
    )


def safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def message_of(body: Any) -> str:
    """The human-readable message in an OpenAI-style error body, or ''."""
    if not isinstance(body, Mapping):
        return ""
    error = body.get("error", body)
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("detail") or "")
    return str(error)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait (Retry-After seconds or date, or OpenAI's retry-after-ms)."""
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
