"""/docs and /redoc render in a real browser with nothing fetched from another host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rag.api import create_app
from tests.api.conftest import make_settings, serve_app
from tests.api.fake_rag import FakeRAG
from tests.web.conftest import visit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The docs pages need only the app's schema: the in-memory stand-in keeps startup instant.
    settings = make_settings(tmp_path_factory.mktemp("docs") / "index")
    with serve_app(create_app(settings, rag=FakeRAG(settings))) as url:
        yield url


def test_swagger_ui_renders_offline(browser: Any, site: str) -> None:
    with visit(browser, site, "/docs") as v:
        v.page.locator(".swagger-ui .opblock-summary-path", has_text="/v1/ask").first.wait_for(timeout=20_000)
        assert v.page.locator(".swagger-ui .opblock").count() >= 8
        v.screenshot("swagger-ui")
        v.assert_stayed_local()


def test_redoc_renders_offline(browser: Any, site: str) -> None:
    with visit(browser, site, "/redoc") as v:
        v.page.get_by_text("/v1/chat/completions").first.wait_for(timeout=30_000)
        v.screenshot("redoc")
        v.assert_stayed_local()


def test_docs_pages_name_no_other_host(site: str) -> None:
    for path in ("/docs", "/redoc"):
        html = httpx.get(site + path).text
        assert "cdn." not in html and "fonts.googleapis" not in html and "tiangolo" not in html, path
