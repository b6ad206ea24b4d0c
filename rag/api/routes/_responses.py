"""Error responses shared by route declarations, so /docs shows the error shape."""

from __future__ import annotations

from typing import Any

from rag.api.errors import ErrorBody, OpenAIErrorBody


def errors(*codes: int, openai: bool = False) -> dict[int | str, dict[str, Any]]:
    model = OpenAIErrorBody if openai else ErrorBody
    return {code: {"model": model} for code in (401, 422, 503, *codes)}
