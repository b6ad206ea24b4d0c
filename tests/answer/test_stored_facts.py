"""Sentence facts stored with each chunk: answers are the same whether they are stored, missing
(an index written before they existed) or stale, and `rag index --rebuild` stores them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from rag import RAG
from rag.answer import facts
from rag.engine import sample_corpus_dir
from rag.ingest import parallel
from rag.types import Document

QUESTIONS = (
    "How much will Microsoft invest in Japan?",
    "Who is the CEO of Oracle?",
    "What is GENIAC?",
    "How many people will be trained in AI skills?",
    "What did Microsoft announce about South Korea?",
)


def _answers(index: Path) -> list[dict]:
    facts.clear()  # nothing remembered from an earlier index: each answer reads this one
    with RAG.open(index) as rag:
        return [rag.ask(q).model_dump(mode="json", exclude={"timings"}) for q in QUESTIONS]


def _stored(index: Path) -> tuple[int, int]:
    """(chunks, chunks with stored facts)."""
    with sqlite3.connect(index / "catalog.sqlite") as conn:
        return conn.execute("SELECT COUNT(*), COUNT(facts) FROM chunks").fetchone()


def _sql(index: Path, statement: str) -> None:
    conn = sqlite3.connect(index / "catalog.sqlite")
    with conn:
        conn.execute(statement)
    conn.close()


def test_answers_are_the_same_with_stored_missing_or_stale_facts(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with RAG.open(index) as rag:
        rag.add([sample_corpus_dir()])
    chunks, stored = _stored(index)
    assert chunks > 0 and stored == chunks
    with_facts = _answers(index)
    assert any(a["citations"] for a in with_facts)

    _sql(index, "UPDATE chunks SET facts = X'00ff'")  # unreadable
    assert _answers(index) == with_facts

    # An index written before facts were stored: no such column at all.
    _sql(index, "ALTER TABLE chunks DROP COLUMN facts")
    assert _answers(index) == with_facts
    assert _stored(index) == (chunks, 0)  # opened, given the column, filled lazily in memory only


def test_facts_written_by_other_rules_are_not_used() -> None:
    text = "Acme will invest $5 billion in Japan. The plan was announced on Monday."
    stored = facts.dumps(text)
    assert facts.loads(text, stored) == facts.analyse(text)
    data = json.loads(zlib.decompress(stored))
    data["v"] = "older-rules"
    assert facts.loads(text, zlib.compress(json.dumps(data).encode())) is None


def test_rebuild_stores_facts_for_an_old_index(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with RAG.open(index) as rag:
        rag.add([sample_corpus_dir()])
    _sql(index, "ALTER TABLE chunks DROP COLUMN facts")
    with RAG.open(index):
        pass
    chunks, _ = _stored(index)
    assert _stored(index) == (chunks, 0)
    result = subprocess.run(
        [sys.executable, "-c", "from rag.cli import main; main()", "index", "--rebuild", str(sample_corpus_dir()), "--index-dir", str(index)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert _stored(index) == (chunks, chunks)


def test_parallel_ingest_stores_the_facts_a_serial_one_does(tmp_path: Path) -> None:
    # More documents than rag.ingest.parallel.MIN_DOCUMENTS: chunked and analysed in worker processes.
    docs = [
        Document(id=f"note-{n}", text=f"Plant {n} opened on Monday. It cost ${n + 3} million and employs {n * 7} people.")
        for n in range(parallel.MIN_DOCUMENTS + 20)
    ]
    index = tmp_path / "index"
    with RAG.open(index) as rag:
        rag.add(docs)
    with sqlite3.connect(index / "catalog.sqlite") as conn:
        rows = conn.execute("SELECT text, facts FROM chunks").fetchall()
    assert len(rows) == len(docs)
    assert all(stored == facts.dumps(text) for text, stored in rows)


# Sentences that tempt the shortcuts `facts` takes before its patterns: case, non-ASCII letters
# that IGNORECASE folds (the long s, the Kelvin sign, dotted capital I), digits of other scripts.
TRICKY = (
    "Sign up now! CLICK here to Subscribe.",
    "ſubscribe to the newsletter; it costs $5 million.",
    "Über 5 % der Kosten. Prices rose 3 Percent, or 4 per cent.",
    "On Monday the 21st century began. In the 1990s it cost 2,500 DOLLARS.",
    "© 2024 all rights reserved.",
    "İstanbul: CLİCK and Read More. Twenty-three hundred people, one's dozens.",
    "A ¥300 fee; €4 bn. The U.S. and Mr. Smith's dog's toys.",
    "Ⅻ and ١٢٣ are digits too. Reprinted, printing, print.",
    "A fortnight of Sundays. Three thousands? threefold ones.",
)


def _plain_rules(text: str) -> tuple[int, float, list[str], list[str]]:
    """The facts the patterns alone give a sentence (flags, penalty, numbers, number words)."""
    import re

    from rag.answer.figures import MONEY, NUMBER_WORDS, PERCENT, YEAR, has_date

    flags = bool(MONEY.search(text)) | 2 * bool(PERCENT.search(text)) | 4 * bool(has_date(text))
    penalty = 0.5 * text.rstrip("\"'”’) ").endswith("?") + 0.3 * (len(facts.terms(text)) < 3)
    penalty += 0.3 * bool(facts._BOILERPLATE.search(text))
    numbers = [m for m in re.findall(r"\d[\d,]*(?:\.\d+)?", text) if not YEAR.fullmatch(m)]
    return flags, penalty, numbers, [w for w in re.findall("[a-z]+", text.lower()) if w in NUMBER_WORDS]


def test_facts_shortcuts_find_what_the_patterns_find() -> None:
    for text in TRICKY:
        for sentence in facts.analyse(text):
            expected = _plain_rules(sentence.span.text)
            got = (sentence.flags, round(sentence.penalty, 6), list(sentence.numbers), list(sentence.number_words))
            assert got == (expected[0], round(expected[1], 6), *expected[2:]), sentence.span.text
    # Page furniture spelt with a long s is still page furniture; money in words is still money.
    (sentence,) = facts.analyse("ſubscribe today for 5 dollars.")
    assert (sentence.flags, round(sentence.penalty, 6)) == (1, 0.3)
