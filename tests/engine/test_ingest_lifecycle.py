"""What a user sees when indexing: no-op re-index, replacement, de-duplication, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG, Document
from rag.errors import IndexMismatchError, InvalidQuestionError
from rag.config import Settings


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reindexing_unchanged_files_is_a_no_op_and_changed_files_replace_chunks(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "lanterns.md", "# Lanterns\n\nThe Veltra lantern factory ships nine thousand lanterns a week.")
    rag = RAG.open(tmp_path / "index")
    first = rag.add([docs])
    assert first.count("added") == 1
    assert rag.add([docs]).count("unchanged") == 1
    _write(docs, "lanterns.md", "# Lanterns\n\nThe Veltra lantern factory now ships twelve thousand lanterns a week.")
    second = rag.add([docs])
    assert second.count("replaced") == 1
    texts = " ".join(p.text for p in rag.search("Veltra lanterns per week", 5))
    assert "twelve thousand" in texts and "nine thousand" not in texts
    assert rag.stats().documents == 1


def test_identical_text_under_two_names_is_stored_once(tmp_path: Path) -> None:
    rag = RAG.open(tmp_path / "index")
    text = "Orvanto Bank opened a branch in Lisbon with forty staff in March."
    report = rag.add([Document(id="a", text=text), Document(id="b", text=text)])
    assert [item.status for item in report.items] == ["added", "duplicate"]
    assert "same text as a" in (report.items[1].message or "")
    assert rag.stats().documents == 1


def test_bad_files_get_one_message_each_and_the_rest_is_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "good.txt", "Quillmark Foods bought two bakeries in Porto last spring.")
    (docs / "latin1.txt").write_bytes("Caf\xe9 au lait co\xfbte cher.".encode("latin-1"))
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (docs / "empty.txt").write_text("   \n", encoding="utf-8")
    (docs / "picture.png").write_bytes(b"\x89PNG")
    rag = RAG.open(tmp_path / "index")
    report = rag.add([docs, tmp_path / "missing.txt"])
    assert report.count("added") == 1
    problems = {Path(item.source or "").name: item.message or "" for item in report.items if item.status != "added"}
    assert {"latin1.txt", "binary.txt", "empty.txt", "picture.png", "missing.txt"} <= set(problems)
    assert "UTF-8" in problems["latin1.txt"]
    assert rag.search("Quillmark bakeries", 1)[0].doc_id == "good.txt"


def test_a_failed_write_leaves_the_previous_index_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rag = RAG.open(tmp_path / "index")
    rag.add([Document(id="keep", text="The Tessaly ferry crosses the bay twice a day.")])

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rag.store, "write", boom)
    with pytest.raises(RuntimeError):
        rag.add([Document(id="new", text="The Tessaly ferry will add a night crossing.")])
    monkeypatch.undo()
    reopened = RAG.open(tmp_path / "index")
    assert [d.doc_id for d in reopened.documents()] == ["keep"]
    assert reopened.search("Tessaly ferry", 3)[0].doc_id == "keep"


def test_delete_removes_every_chunk_of_a_document(tmp_path: Path) -> None:
    rag = RAG.open(tmp_path / "index")
    rag.add([Document(id="gone", text="Zephyrine turbines power the Norvik plant."), Document(id="stay", text="Norvik has a harbour.")])
    assert rag.delete("gone")
    assert not rag.delete("gone")
    assert all(p.doc_id != "gone" for p in rag.search("Zephyrine turbines Norvik", 5))


def test_opening_with_another_embedder_says_how_to_rebuild(tmp_path: Path) -> None:
    RAG.open(tmp_path / "index").add([Document(id="x", text="Some text about harbours.")])
    other = Settings(embedder={"name": "hashing:d=128"})
    with pytest.raises(IndexMismatchError) as info:
        RAG.open(tmp_path / "index", other)
    message = str(info.value)
    assert "hashing" in message and "rebuild" in message.lower()


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01"])
def test_empty_questions_are_rejected_clearly(tmp_path: Path, question: str) -> None:
    rag = RAG.open(tmp_path / "index")
    with pytest.raises(InvalidQuestionError, match="empty"):
        rag.search(question)


def test_a_huge_question_is_rejected_with_the_limit(tmp_path: Path) -> None:
    rag = RAG.open(tmp_path / "index")
    with pytest.raises(InvalidQuestionError, match="limit"):
        rag.ask("why " * 30_000)
