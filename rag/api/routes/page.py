"""The chat page at `/` and its files under `/ui/`, served from package data (rag/web).

The page holds no data of its own, so it needs no key; the API calls it makes do. It is sent
with a Content-Security-Policy that allows only this origin's own scripts, styles and requests:
document text is rendered as text, and the policy is the second line of defence.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from rag.api.errors import ApiError

router = APIRouter(include_in_schema=False)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Small files that change with the installed version; revalidating keeps an upgrade visible.
    "Cache-Control": "no-cache",
}


@cache
def page_files() -> dict[str, bytes]:
    """The page's files by name; only these are ever served (no path from the request touches disk)."""
    folder = resources.files("rag.web")
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and any(entry.name.endswith(suffix) for suffix in _TYPES)
    }


def _file(name: str) -> Response:
    body = page_files().get(name)
    if body is None:
        raise ApiError(404, f"no page file {name!r}", code="not_found")
    media_type = next(value for suffix, value in _TYPES.items() if name.endswith(suffix))
    return Response(body, media_type=media_type, headers=_HEADERS)


@router.get("/")
def chat_page() -> Response:
    """The chat page: ask, read the sources, manage documents."""
    return _file("index.html")


@router.get("/ui/{name}")
def page_file(name: str) -> Response:
    return _file(name)
