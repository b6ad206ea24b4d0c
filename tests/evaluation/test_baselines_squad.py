from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.evaluation.baselines import BM25Baseline, chunk_document, documents_from, naive_answer
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad
from rag.types import Document
from tests.evaluation.conftest import PASSAGES

DOCS = [Document(id=p.doc_id, text=p.text) for p in PASSAGES]


def test_bm25_baseline_searches_and_answers_with_a_citation() -> None:
    baseline = BM25Baseline(DOCS)
    hits = baseline.search("harbour berths", k=10)
    assert hits[0].doc_id == "ports" and hits[0].rank == 1
    answer = baseline.ask("How many berths will the harbour add?")
    assert answer.answer.endswith("[1]") and answer.citations[0].doc_id == "ports"
    assert baseline.ask("zebra quantum").abstained


def test_naive_answer_picks_the_sentence_with_most_question_terms() -> None:
    p = PASSAGES[0].model_copy(update={"text": "Grants were discussed. The ministry set aside money for research grants."})
    answer = naive_answer("What did the ministry set aside for research grants?", [p])
    assert answer.citations[0].quote.startswith("The ministry set aside")


def test_chunk_document_packs_whole_sentences() -> None:
    doc = Document(id="d", text="One two three. Four five six. Seven eight.")
    chunks = chunk_document(doc, max_words=6)
    assert [c.chunk_id for c in chunks] == ["d#0", "d#1"]
    assert chunks[1].text == doc.text[chunks[1].start:chunks[1].end] and chunks[1].text.startswith("Seven")


def test_documents_from_reads_text_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alpha text.")
    (tmp_path / "b.md").write_text("Beta text.")
    (tmp_path / "c.bin").write_text("skip")
    docs = documents_from([tmp_path, DOCS[0]])
    assert [d.id for d in docs] == ["budget", "a.txt", "b.md"]  # ids as the ingest loaders give them


def test_load_squad_on_a_hand_made_file(tmp_path: Path) -> None:
    data = {"version": "1.1", "data": [
        {"title": "A", "paragraphs": [
            {"context": "c0", "qas": [{"id": "1", "question": "q1", "answers": [{"text": "x", "answer_start": 0}]}]},
            {"context": "c1", "qas": [{"id": "2", "question": "q2", "answers": [{"text": "y", "answer_start": 0}]}]},
        ]},
        {"title": "B", "paragraphs": [{"context": "c2", "qas": [{"id": "3", "question": "q3", "answers": []}]}]},
    ]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data))
    docs, gold = load_squad(path, limit=1)
    assert [d.id for d in docs] == ["A/0", "A/1"]  # every paragraph of the article involved
    assert [(g.id, g.answers, g.sources) for g in gold] == [("1", ["x"], ["A/0"])]
    docs, gold = load_squad(path)
    assert len(docs) == 3 and len(gold) == 3


@pytest.mark.shared
@pytest.mark.skipif(not DEFAULT_SQUAD.is_file(), reason="shared SQuAD dev set absent")
def test_load_squad_dev_set_counts() -> None:
    docs, gold = load_squad(DEFAULT_SQUAD)
    assert (len(docs), len(gold)) == (2067, 10570)
    assert docs[0].id.endswith("/0") and gold[0].sources == [docs[0].id]


def test_prefetch_answers_search_from_the_batch() -> None:
    baseline = BM25Baseline(DOCS)
    queries = ["harbour berths", "rain road", "zebra"]
    expected = [baseline.search(q, k=2) for q in queries]
    baseline.prefetch(queries, k=3)
    assert set(baseline._cache) == {"harbour berths", "rain road"}
    assert [baseline.search(q, k=2) for q in queries] == expected
