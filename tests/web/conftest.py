"""A real Chromium (Debian's, driven by Playwright) against real servers on loopback.

Skips with a reason where the browser or Playwright is missing (`.ci/run` installs both).
Every context records the hosts its pages ask for, and aborts anything not on the server's own
origin, so a test can assert that nothing left the machine. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("RAG_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
# Quiet, offline Chromium: no sandbox (CI runs as root), nothing phoning home.
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set RAG_TEST_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Visit:
    """One browser context on one server: its page, what it asked for, what the page logged."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    stopped_by_csp: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_stayed_local(self) -> None:
        assert not self.blocked, f"the page asked other hosts: {self.blocked}"
        # A request the page's Content-Security-Policy refused never reached the network.
        strangers = [url for url in self.requests
                     if not url.startswith((self.base, "data:", "blob:")) and url not in self.stopped_by_csp]
        assert not strangers, strangers


@contextmanager
def visit(browser: Any, base: str, path: str = "/", **context: Any) -> Iterator[Visit]:
    ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context})
    page = ctx.new_page()
    seen = Visit(page, base)
    ctx.on("request", lambda request: seen.requests.append(request.url))
    ctx.on("requestfailed", lambda request: seen.stopped_by_csp.append(request.url)
           if (request.failure or "").lower() in ("csp", "net::err_blocked_by_csp") else None)
    page.on("console", lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None)

    def block(route: Any) -> None:
        seen.blocked.append(route.request.url)
        route.abort()

    ctx.route(lambda url: not url.startswith(base), block)
    try:
        page.goto(base + path)
        yield seen
    finally:
        ctx.close()
