"""The chat page's files over HTTP (the browser tests in tests/web drive it for real)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from rag.api.routes.page import page_files
from tests.api.conftest import Server

WEB = Path(__file__).resolve().parents[2] / "rag" / "web"


def test_the_page_is_served_with_a_self_only_policy(fake_server: Server) -> None:
    reply = httpx.get(fake_server.url + "/")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    policy = reply.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy and "unsafe" not in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    for asset in re.findall(r'(?:src|href)="(/ui/[^"]+)"', reply.text):
        assert httpx.get(fake_server.url + asset).status_code == 200, asset


def test_the_page_has_no_inline_code_and_no_other_host() -> None:
    html = (WEB / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no inline event handlers
    for name, body in page_files().items():
        assert not re.search(rb"https?://(?!www.w3.org/2000/svg)", body), name  # nothing fetched elsewhere
    scripts = b"".join(body for name, body in page_files().items() if name.endswith(".js"))
    assert b"innerHTML" not in scripts and b"insertAdjacentHTML" not in scripts and b"document.write" not in scripts


def test_only_the_page_files_are_served(fake_server: Server) -> None:
    for path in ("/ui/../pyproject.toml", "/ui/%2e%2e%2fapp.py", "/ui/__init__.py", "/ui/nope.js"):
        reply = httpx.get(fake_server.url + path)
        assert reply.status_code == 404, path
        assert set(reply.json()["error"]) == {"message", "type", "param", "code"}
