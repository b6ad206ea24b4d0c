"""Error responses shared by route declarations, so /docs shows the error shape."""

from __future__ import annotations

from typing import Any

from rag.api.errors import ErrorBody


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in (401, 422, 503, *codes)}
