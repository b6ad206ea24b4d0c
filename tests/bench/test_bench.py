"""The synthetic corpus is deterministic, and a tiny quick run writes the expected JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rag.bench.synthetic import Generator, entity_name


def test_generator_is_deterministic() -> None:
    a, b = Generator(seed=7).corpus(20, 10), Generator(seed=7).corpus(20, 10)
    assert [d.text for d in a.documents] == [d.text for d in b.documents]
    assert a.queries == b.queries
    assert [d.text for d in Generator(seed=8).corpus(20, 10).documents] != [d.text for d in a.documents]


def test_queries_name_an_entity_of_their_target_document() -> None:
    corpus = Generator(seed=1).corpus(30, 15)
    by_id = {d.id: d.text for d in corpus.documents}
    for query in corpus.queries:
        assert query.target in query.text
        assert query.target in by_id[query.doc_id]
        assert query.text not in by_id[query.doc_id]  # held out of the document


def test_entity_names_are_unique() -> None:
    names = [entity_name(i) for i in range(20_000)]
    assert len(set(names)) == len(names)


@pytest.mark.slow
def test_quick_bench_writes_json(tmp_path, monkeypatch) -> None:
    import typer

    from rag.bench.command import bench_command

    app = typer.Typer()
    app.command()(bench_command)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--quick", "--sizes", "2000", "--out-dir", str(tmp_path / "out"),
                                      "--queries", "20", "--squad", str(tmp_path / "absent.json"),
                                      "--postgres", "off"])  # tests/store/test_postgres.py covers PostgreSQL
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert {"machine", "sizes", "ann", "sample", "cold_start", "ten_million_tokens"} <= set(data)
    assert data["postgres"] == {"skipped": "--postgres off"}
    size = data["sizes"]["2000"]
    assert "error" not in size, size
    assert {"ingest", "search", "dense_overhead", "batch_qps", "threads", "lexical", "updates"} <= set(size)
    assert size["updates"]["stale_hits_after_delete"] == 0
    assert "error" not in data["ann"]["2000"]
    assert "RAG.search hybrid" in result.output


def _tiny_squad(path) -> None:
    paragraphs = [
        {"context": "The harbour froze in January. Ferries stopped for a week.",
         "qas": [{"id": "q1", "question": "When did the harbour freeze?", "answers": [{"text": "January", "answer_start": 22}]}]},
        {"context": "A new bridge opened in May. It carries trains and cars.",
         "qas": [{"id": "q2", "question": "What does the bridge carry?", "answers": [{"text": "trains and cars", "answer_start": 40}]}]},
    ]
    path.write_text(json.dumps({"data": [{"title": "Port_Town", "paragraphs": paragraphs}]}))


def test_squad_parts_measure_distinct_documents_and_recall(tmp_path, monkeypatch) -> None:
    import typer

    from rag.bench.command import bench_command

    _tiny_squad(tmp_path / "squad.json")
    app = typer.Typer()
    app.command()(bench_command)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--only", "squad", "--out-dir", str(tmp_path / "out"), "--queries", "10",
                                      "--squad", str(tmp_path / "squad.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert "sizes" not in data and "cold_start" not in data  # --only runs only what it names
    distinct = data["squad_distinct"]
    assert "error" not in distinct, distinct
    assert distinct["docs"] == 6  # two paragraphs and their four sentences
    assert distinct["hybrid"]["p50"] > 0 and distinct["floor_p50"] > 0
    assert data["squad"]["hybrid_recall"]["r@5"] == 1.0
    assert "distinct docs" in result.output


def test_only_rejects_unknown_parts() -> None:
    from rag.bench.command import parse_parts

    assert parse_parts("squad, cold") == {"squad", "cold"}
    with pytest.raises(Exception, match="choose from"):
        parse_parts("squad,warp")
