from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from rag.ingest.loaders import IngestProblem, find_date, iter_documents
from rag.types import Document

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
STORY = "Ferry Timetable Changes\n\nFrom June the first ferry leaves at 6:10. Late boats stop in winter.\n"


def load(*paths: Path | str, **kwargs: int) -> tuple[list[Document], list[IngestProblem]]:
    items = list(iter_documents(paths, **kwargs))
    docs = [item for item in items if isinstance(item, Document)]
    problems = [item for item in items if isinstance(item, IngestProblem)]
    return docs, problems


def make_pdf(text: str) -> bytes:
    """A one-page PDF with `text` in Helvetica; pypdf reads it back."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_text_file_id_title_source_and_date(tmp_path: Path) -> None:
    path = tmp_path / "ferry.txt"
    path.write_text("Published 2023-05-02\n" + STORY)
    (doc,), problems = load(path)
    assert not problems
    assert doc.id == doc.source == "ferry.txt"
    assert doc.title == "Ferry Timetable Changes"
    assert doc.date == "2023-05-02"
    assert "first ferry leaves at 6:10" in doc.text


def test_a_prose_first_line_gives_its_opening_words_not_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "3f9a1c07e2.txt"
    path.write_text("The library extends its hours during exam weeks, staff said on Monday, June 3, 2024. "
                    "Doors stay open until midnight.\n")
    (doc,), _ = load(path)
    assert doc.title == "The library extends its hours during exam weeks, staff said on Monday…"
    assert doc.date == "2024-06-03"
    short = tmp_path / "b41e.txt"
    short.write_text("Date: 2024-06-03 Trams run late tonight. Then more text follows here.\n")
    assert load(short)[0][0].title == "Trams run late tonight"


def test_title_falls_back_to_the_file_name_only_without_text(tmp_path: Path) -> None:
    from rag.ingest.loaders import guess_title

    assert guess_title("   \n\n", "notes") == "notes"
    assert guess_title("2024-06-03\n", "notes") == "notes"


def test_folder_recurses_sorted_skips_hidden_and_reports_unknown(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Second story text here.")
    (tmp_path / "a.md").write_text("# First\n\nFirst story text here.")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text("never read")
    (tmp_path / ".draft.txt").write_text("never read")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    docs, problems = load(tmp_path)
    assert [doc.id for doc in docs] == ["a.md", "b/two.txt"]
    assert [(p.path, p.status) for p in problems] == [("photo.jpg", "skipped")]
    assert ".jpg" in problems[0].message


def test_markdown_is_stripped_and_titled_by_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "---\ntitle: Cycling Guide\ndate: 2022-09-14\n---\n"
        "Intro line.\n\n## Where to **ride**\n\nSee [the map](https://example.org/map) and ![a bike](b.png).\n"
        "* quiet lanes\n* `route 7`\n"
    )
    (doc,), _ = load(path)
    assert doc.title == "Cycling Guide" and doc.date == "2022-09-14"
    assert "Where to ride" in doc.text and "See the map and a bike." in doc.text
    assert "- route 7" in doc.text
    assert "**" not in doc.text and "](" not in doc.text and "---" not in doc.text


def test_markdown_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("Some preamble text that is a sentence.\n\n# Harbour *Festival* Returns\n\nBoats and music.")
    (doc,), _ = load(path)
    assert doc.title == "Harbour Festival Returns"


def test_html_main_content_and_metadata(tmp_path: Path) -> None:
    paragraphs = "".join(
        f"<p>The orchestra will tour {city} in spring, playing works by local composers for new audiences.</p>"
        for city in ("Leeds", "Porto", "Gdansk", "Bergen")
    )
    page = (
        "<html><head><title>Orchestra Plans Spring Tour</title>"
        '<meta property="article:published_time" content="2021-03-04">'
        '<link rel="canonical" href="https://news.example.org/orchestra"></head>'
        "<body><nav><a href='/'>Home</a> <a href='/arts'>Arts</a></nav>"
        f"<article><h1>Orchestra Plans Spring Tour</h1>{paragraphs}</article>"
        "<footer>Copyright Example News</footer><script>var x = 1;</script></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page)
    (doc,), problems = load(path)
    assert not problems
    assert doc.title == "Orchestra Plans Spring Tour"
    assert doc.date == "2021-03-04"
    assert doc.url == "https://news.example.org/orchestra"
    assert "tour Gdansk in spring" in doc.text
    assert "var x" not in doc.text and "Copyright" not in doc.text


def test_html_without_main_content_falls_back_to_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "tiny.htm"
    path.write_text("<div>Gate closes at noon</div><style>p{}</style>")
    (doc,), _ = load(path)
    assert "Gate closes at noon" in doc.text and "p{}" not in doc.text


def test_jsonl_bad_lines_are_problems_and_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "n1", "text": "Trams return to the old town.", "title": "Trams", "url": "https://t.example",
                    "date": "2020-01-02", "section": "city"}),
        "{not json",
        json.dumps({"title": "no text here"}),
        "",
        json.dumps({"text": "A second story without an id."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    docs, problems = load(path)
    assert [doc.id for doc in docs] == ["n1", "feed.jsonl:5"]
    assert docs[0].title == "Trams" and docs[0].date == "2020-01-02" and docs[0].metadata == {"section": "city"}
    assert docs[1].source == "feed.jsonl"
    assert [(p.path, p.line) for p in problems] == [("feed.jsonl", 2), ("feed.jsonl", 3)]
    assert "not valid JSON" in problems[0].message and '"text"' in problems[1].message
    assert str(problems[0]).startswith("feed.jsonl: line 2: ")


def test_only_web_addresses_are_kept_as_urls(tmp_path: Path) -> None:
    # Front ends turn a document's url into a link: javascript: or data: must never get that far.
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(x) for x in [
        {"id": "bad", "text": "The Harlow dam is old.", "url": "javascript:alert(1)"},
        {"id": "good", "text": "The Penn weir is new.", "url": "https://example.org/penn"},
    ]) + "\n")
    (tmp_path / "note.md").write_text("---\nurl: data:text/html,hi\n---\n# Note\n\nThe Osk lock opens daily.\n")
    docs, problems = load(feed, tmp_path / "note.md")
    assert {d.id: d.url for d in docs} == {"good": "https://example.org/penn", "note.md": None}
    (problem,) = problems
    assert problem.line == 1 and "http:// or https://" in problem.message


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "notice.pdf"
    path.write_bytes(make_pdf("The pool reopens in July."))
    (doc,), problems = load(path)
    assert not problems and "The pool reopens in July." in doc.text


def test_missing_pypdf_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # makes `import pypdf` fail
    path = tmp_path / "notice.pdf"
    path.write_bytes(make_pdf("Hello"))
    _, (problem,) = load(path)
    assert "pip install 'rag[pdf]'" in problem.message


def test_bad_files_are_problems_while_good_ones_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cp1252.txt").write_bytes("Caf\u00e9 prices rose.".encode("cp1252"))
    (tmp_path / "binary.txt").write_bytes(b"abc\x00\x01\x02")
    (tmp_path / "blank.txt").write_text("  \n\t\n")
    (tmp_path / "big.txt").write_text("word " * 300)
    (tmp_path / "bom.txt").write_bytes("\ufeffBOM text is fine.".encode("utf-8"))
    (tmp_path / "locked.txt").write_text("secret")
    (tmp_path / "ok.txt").write_text("This one loads.")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 garbage")
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    docs, problems = load(tmp_path, tmp_path / "missing.txt", max_bytes=1000)
    assert [doc.id for doc in docs] == ["bom.txt", "ok.txt"]
    assert docs[0].text == "BOM text is fine."
    messages = {Path(p.path).name: p.message for p in problems}
    assert "offset 3" in messages["cp1252.txt"] and "UTF-8" in messages["cp1252.txt"]
    assert "looks binary" in messages["binary.txt"]
    assert "empty" in messages["blank.txt"]
    assert "too large" in messages["big.txt"] and "MB" in messages["big.txt"]
    assert "permission denied" in messages["locked.txt"]
    assert "no such file" in messages["missing.txt"]
    assert "PDF" in messages["broken.pdf"]
    assert all(p.status == "error" for p in problems)


def test_find_date_forms() -> None:
    assert find_date("Posted Sept. 4, 2021 by staff") == "2021-09-04"
    assert find_date("released 2019-13-45 then 2019-12-01") == "2019-12-01"  # impossible dates skipped
    assert find_date("no date at all, only 1999 and 12") is None
    assert find_date("x" * 700 + " 2020-01-01") is None  # only the top of the text is searched


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared corpus is absent")
def test_shared_corpus_loads_with_dates_and_titles() -> None:
    docs, problems = load(SHARED)
    by_prefix = {doc.id[:3]: doc for doc in docs if doc.id.endswith(".txt")}
    assert len(by_prefix) == 5 and not [p for p in problems if p.status == "error"]
    assert by_prefix["000"].date == "2024-04-22"
    assert by_prefix["001"].date == "2024-04-10"
    assert by_prefix["002"].date == "2024-04-10"
    assert by_prefix["001"].title.startswith("Microsoft Commits $2.9 Billion")  # not the breadcrumb
    assert by_prefix["003"].title.startswith("Japan: Microsoft will invest")  # not the share bar
    assert by_prefix["000"].title.startswith("The investment supports the Generative AI")  # not the hash name
    assert not any(doc.title.startswith(prefix) for prefix, doc in by_prefix.items())


def test_indexing_progress_has_a_total_and_keeps_its_final_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from rag import RAG

    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(3):
        (folder / f"note-{n}.md").write_text(f"# Note {n}\n\nThe Corlin tram line {n} opens in spring.\n")
    with RAG.open(tmp_path / "index") as rag:
        rag.add([folder], progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()
    assert any("indexing" in line and "0/3" in line for line in bar)  # the total is known from the start
    assert "3/3" in bar[-1] and "indexing: 100%" in bar[-1]  # and the last state stays on screen
