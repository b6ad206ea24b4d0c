"""The chat page at `/` in a real browser: asking, streaming, sources, documents, safety, layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag import Document
from rag.api import create_app
from tests.api.conftest import KEY, make_settings, open_real_rag, serve_app
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.web.conftest import visit

pytestmark = pytest.mark.slow

QUESTION = "How much will Microsoft invest in Japan?"
HOSTILE = {
    "id": "hostile-note",
    "title": "<img src=x onerror=\"window.__pwned='title'\">Quokka ferry <script>window.__pwned='title2'</script>",
    "text": "The Quokka Island ferry timetable changed in 2019. <script>window.__pwned='text'</script> "
            "<img src=x onerror=\"window.__pwned='img'\"> The Quokka Island ferry now leaves at nine.",
    "url": "javascript:window.__pwned='url'",
    "source": "<b onmouseover=\"window.__pwned='source'\">tests</b>",
    "date": "2019-05-01",
}
LINKED = {"id": "linked-note", "title": "Zephyr lighthouse", "date": "1911-05-01", "source": "tests",
          "url": "https://example.org/zephyr",
          "text": "The Zephyr lighthouse on Quokka Island was painted teal in 1911 by the keeper Amelia Brant."}


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    rag = open_real_rag(make_settings(tmp_path_factory.mktemp("web") / "index"))
    yield rag
    rag.close()


@pytest.fixture(scope="module")
def site(rag: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_app(create_app(make_settings(tmp_path_factory.mktemp("unused")), rag=rag)) as url:
        # The API refuses a javascript: URL (422), so the hostile note goes in through the library,
        # as a JSONL file or a plugin could bring it: the page must stay safe whatever the index holds.
        rag.add([Document(**HOSTILE)])
        httpx.post(f"{url}/v1/documents", json={"documents": [LINKED]}).raise_for_status()
        yield url


def ask(page: Any, question: str) -> Any:
    """Type a question, send it with Enter, and return the finished answer element."""
    count = page.locator("#turns > li").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    answer = page.locator("#turns > li").nth(count).locator(".answer")
    answer.locator(".text, .error").first.wait_for(timeout=20_000)
    return answer


def test_ask_cites_and_opens_the_quote_in_context(browser: Any, site: str) -> None:
    with visit(browser, site) as v:
        answer = ask(v.page, QUESTION)
        assert "2.9 billion" in answer.inner_text()
        marker = answer.locator(".text .cite").first
        assert re.fullmatch(r"\[\d+\]", marker.inner_text())
        marker.click()
        dialog = v.page.locator("#source")
        assert dialog.is_visible()
        assert "Microsoft" in dialog.locator("#source-title").inner_text()
        assert "2024-04" in dialog.locator("#source-meta").inner_text()
        quote = dialog.locator("#source-context mark").inner_text()
        assert "2.9 billion" in quote
        assert len(dialog.locator("#source-context").inner_text()) > len(quote)  # the passage around it
        v.screenshot("source-light")
        v.page.keyboard.press("Escape")
        assert not dialog.is_visible()
        v.assert_stayed_local()


def test_follow_up_is_sent_with_history_and_differing_sources_are_noted(browser: Any, site: str) -> None:
    with visit(browser, site) as v:
        bodies: list[str] = []
        v.page.on("request", lambda r: bodies.append(r.post_data or "") if r.url.endswith("/v1/ask") else None)
        ask(v.page, "How much money goes to the US-Japan university AI partnerships?")
        answer = ask(v.page, "Who are the recipients?")
        assert '"history":[{"role":"user","content":"How much money goes' in bodies[-1]
        assert answer.inner_text()
        first = v.page.locator("#turns > li").first
        assert first.locator(".differ").is_visible()
        assert "Sources differ" in first.locator(".differ").inner_text()
        v.assert_stayed_local()


def test_an_abstention_is_shown_as_one(browser: Any, site: str) -> None:
    with visit(browser, site) as v:
        answer = ask(v.page, "How much is Microsoft investing in South Korea?")
        assert "abstained" in answer.get_attribute("class")
        assert answer.locator(".badge").inner_text() == "Not in the documents"
        assert answer.locator(".cite").count() == 0
        v.assert_stayed_local()


def test_hostile_document_text_stays_text(browser: Any, site: str) -> None:
    with visit(browser, site) as v:
        answer = ask(v.page, "When does the Quokka Island ferry leave?")
        answer.locator(".text .cite").first.click()
        dialog = v.page.locator("#source")
        assert "<script>" in dialog.locator("#source-title").inner_text()
        assert "<script>" in dialog.locator("#source-context").inner_text()
        assert "Link not shown" in dialog.locator("#source-link").inner_text()
        v.page.keyboard.press("Escape")
        v.page.click("#toggle-docs")
        v.page.locator(".doc-title", has_text="Quokka ferry").first.wait_for()
        v.screenshot("hostile-document")
        assert v.page.evaluate("window.__pwned") is None
        assert v.page.locator("a[href^='javascript:' i]").count() == 0
        assert v.page.locator("#turns img, #documents img, #source img, #turns script").count() == 0
        v.assert_stayed_local()


def test_citation_links_only_to_web_addresses(browser: Any, site: str) -> None:
    with visit(browser, site, color_scheme="dark") as v:
        answer = ask(v.page, "What colour was the Zephyr lighthouse painted?")
        answer.locator(".text .cite").first.click()
        link = v.page.locator("#source-link a")
        assert link.get_attribute("href") == "https://example.org/zephyr"
        assert link.get_attribute("rel") == "noopener noreferrer"
        v.screenshot("source-dark")
        v.assert_stayed_local()


def test_upload_through_the_file_picker_then_delete(browser: Any, site: str, tmp_path: Path) -> None:
    good = tmp_path / "harbour-notes.md"
    good.write_text("# Corlin harbour\n\nThe Corlin harbour handles four hundred ships a month.\n", encoding="utf-8")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x90\x00")
    with visit(browser, site) as v:
        page = v.page
        page.click("#toggle-docs")
        page.locator("#stats").filter(has_text="passages").wait_for()
        before = int(page.inner_text("#stats").split()[0])
        page.set_input_files("#files", [str(good), str(bad)])  # choosing uploads: no other click
        results = page.locator("#upload-results li")
        page.locator("#upload-results li", has_text="not supported").wait_for()
        assert re.search(r"harbour-notes\.md: added, 1 passage$", results.nth(0).inner_text())
        assert "not supported" in results.nth(1).inner_text() and "error" in results.nth(1).get_attribute("class")
        page.locator("#stats", has_text=f"{before + 1} documents").wait_for()
        answer = ask(page, "How many ships does the Corlin harbour handle?")
        assert "four hundred" in answer.inner_text()
        v.screenshot("documents-after-upload")

        page.once("dialog", lambda dialog: dialog.dismiss())  # cancelling keeps the document
        page.click("button[aria-label='Delete Corlin harbour']")
        page.wait_for_timeout(300)
        assert page.locator(".doc-title", has_text="Corlin harbour").count() == 1
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button[aria-label='Delete Corlin harbour']")
        page.locator("#stats", has_text=f"{before} documents").wait_for()
        # The list and the stats are fetched side by side: wait for the list too, not just the stats.
        page.locator(".doc-title", has_text="Corlin harbour").wait_for(state="detached", timeout=5000)
        assert "Deleted Corlin harbour" in page.inner_text("#upload-results")
        v.assert_stayed_local()


def test_documents_list_pages(browser: Any, site: str) -> None:
    extra = [{"id": f"filler-{i}", "text": f"Filler note number {i} about the harbour tides."} for i in range(5)]
    httpx.post(f"{site}/v1/documents", json={"documents": extra}).raise_for_status()
    with visit(browser, site) as v:
        page = v.page
        page.click("#toggle-docs")
        page.locator("#page-info", has_text="Page 1 of").wait_for()
        first = page.locator(".doc-title").all_inner_texts()
        assert len(first) == 10 and page.is_disabled("#prev-page")
        page.click("#next-page")
        page.locator("#page-info", has_text="Page 2 of").wait_for()
        assert page.locator(".doc-title").all_inner_texts() != first
        assert page.is_disabled("#next-page") and page.is_enabled("#prev-page")
        v.assert_stayed_local()
    for doc in extra:
        httpx.delete(f"{site}/v1/documents/{doc['id']}").raise_for_status()


def test_phone_width_dark_theme_and_keyboard(browser: Any, site: str) -> None:
    with visit(browser, site, viewport={"width": 390, "height": 844}, color_scheme="dark") as v:
        page = v.page
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert _luminance(background) < 0.2, background  # the system's dark setting is followed
        answer = ask(page, QUESTION)
        assert answer.is_visible()
        page.click("#toggle-docs")
        page.locator("#page-info", has_text="Page 1").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        for control in ("#question", "#send", "#files", "#toggle-docs", "#toggle-theme"):
            box = page.locator(control).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, control
        v.screenshot("phone-dark")
        page.click("#toggle-theme")  # auto -> light
        assert _luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) > 0.8
        v.screenshot("phone-light")
        page.focus("#question")
        page.keyboard.type("first line")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("second line")
        assert page.input_value("#question") == "first line\nsecond line"  # Shift+Enter: a new line
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "send"
        v.assert_stayed_local()


def test_every_control_has_a_label(browser: Any, site: str) -> None:
    with visit(browser, site) as v:
        v.page.click("#toggle-docs")
        v.page.locator("#page-info", has_text="Page 1").wait_for()
        unlabelled = v.page.evaluate(
            """[...document.querySelectorAll('button, input, textarea')]
                .filter(el => el.offsetParent !== null)
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                              && !el.textContent.trim())
                .map(el => el.outerHTML)"""
        )
        assert unlabelled == []


def _luminance(css_color: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css_color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# -- streaming and keys: servers of their own ---------------------------------------------------

@pytest.fixture(scope="module")
def streaming_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeOpenAIServer]]:
    """rag with the openai backend, whose (fake) model writes its reply in slow pieces."""
    with FakeOpenAIServer() as llm:
        settings = make_settings(tmp_path_factory.mktemp("stream") / "index",
                                 llm={"backend": "openai", "model": "fake-model", "base_url": llm.url, "max_retries": 0})
        rag = open_real_rag(settings)
        with serve_app(create_app(settings, rag=rag)) as url:
            yield url, llm
        rag.close()


def test_the_answer_streams_as_it_is_written(browser: Any, streaming_site: tuple[str, FakeOpenAIServer]) -> None:
    url, llm = streaming_site
    text = "Microsoft plans to invest $2.9 billion in Japan over two years, the company said [1]."
    llm.push(Reply(text, chunks=6, pace=0.25))
    with visit(browser, url) as v:
        # Record what the answer showed while it was still being written.
        v.page.evaluate("""() => {
            window.__partial = [];
            new MutationObserver(() => {
                const a = document.querySelector('#turns .answer.streaming');
                if (a) window.__partial.push(a.textContent);
            }).observe(document.getElementById('turns'), {subtree: true, childList: true, characterData: true});
        }""")
        answer = ask(v.page, QUESTION)
        partial = [p for p in v.page.evaluate("window.__partial") if p]
        assert len(set(partial)) >= 3, partial  # several growing states, not one final paint
        assert all(text.startswith(p.strip()) or p.strip() in text for p in partial)
        assert "2.9 billion" in answer.inner_text() and answer.locator(".text .cite").count() >= 1
        v.assert_stayed_local()


@pytest.fixture(scope="module")
def keyed_site(rag: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("keyed"), api_keys=[KEY])
    with serve_app(create_app(settings, rag=rag)) as url:
        yield url


def test_a_keyed_server_asks_for_the_key_once_per_tab(browser: Any, keyed_site: str) -> None:
    with visit(browser, keyed_site) as v:
        page = v.page
        page.fill("#question", QUESTION)
        page.press("#question", "Enter")
        dialog = page.locator("#key-dialog")
        dialog.wait_for()
        assert "missing API key" in page.inner_text("#key-why")
        page.fill("#key-input", KEY)
        page.press("#key-input", "Enter")
        page.locator("#turns .answer .text").wait_for()
        assert "2.9 billion" in page.inner_text("#turns .answer")
        assert page.evaluate("sessionStorage.getItem('rag-api-key')") == KEY
        assert page.evaluate("localStorage.getItem('rag-api-key')") is None
        ask(page, "What is GENIAC?")  # the kept key serves the next question without asking
        assert not dialog.is_visible()
        v.assert_stayed_local()
    with visit(browser, keyed_site) as fresh:  # another tab starts without it
        assert fresh.page.evaluate("sessionStorage.getItem('rag-api-key')") is None
