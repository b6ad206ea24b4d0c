"""SQuAD retrieval quality on the folder store vs PostgreSQL (BM25 in SQL) vs PostgreSQL ts_rank.

Every paragraph of SQuAD v1.1 dev is indexed in each store; every `every`-th question is asked in
hybrid and lexical mode; recall@5 is "a gold answer string occurs in one of the top 5 passages"
and source@5 "the gold paragraph is one of them". ts_rank is PostgreSQL's own full-text rank, used
here in place of BM25 (OR of the query's lexemes, cover density off) to show why rag does not use it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings


def _ts_rank_store(store: Any) -> Any:
    """The same PostgresStore whose lexical side is PostgreSQL's ts_rank (no GIN index: fine at SQuAD size)."""
    from psycopg import sql

    from rag.store.postgres import queries

    def lexical_search(query: str, k: int, allowed: Any = None) -> tuple[np.ndarray, np.ndarray]:
        where, params = queries.restriction(allowed)
        text = sql.SQL(
            "WITH q AS (SELECT to_tsquery('english', string_agg(quote_literal(lexeme), ' | ')) AS q "
            "FROM unnest(to_tsvector('english', %(query)s))) "
            "SELECT c.id, ts_rank(to_tsvector('english', c.text), q.q) AS score FROM {}.chunks c, q {} "
            "{} to_tsvector('english', c.text) @@ q.q ORDER BY score DESC, c.id LIMIT %(k)s"
        ).format(
            sql.Identifier(store.schema),
            where or sql.SQL(""),
            sql.SQL("AND") if where is not None else sql.SQL("WHERE"),
        )
        rows = store._run(text, {**params, "query": query, "k": k})
        return (np.array([r[1] for r in rows], dtype=np.float32), np.array([r[0] for r in rows], dtype=np.int64))

    store.lexical_search = lexical_search
    return store


def _score(rag: Any, gold: list[Any], mode: str) -> dict[str, float]:
    from rag.evaluation.metrics import answer_recall_at_k, source_recall_at_k

    answers = sources = 0
    for item in gold:
        passages = rag.search(item.question, 5, mode=mode)
        answers += answer_recall_at_k([p.text for p in passages], item.answers, 5)
        sources += bool(source_recall_at_k([p.doc_id for p in passages], item.sources, 5))
    return {"recall_at_5": round(answers / len(gold), 4), "source_at_5": round(sources / len(gold), 4)}


def run(url: str, squad: Path, every: int = 10) -> dict[str, Any]:
    from rag import RAG
    from rag.evaluation.squad import load_squad

    docs, gold = load_squad(squad)
    gold = gold[::every]
    out: dict[str, Any] = {"paragraphs": len(docs), "questions": len(gold)}
    with tempfile.TemporaryDirectory(prefix="rag-recall-") as folder:
        variants = {
            "folder": Settings(index_dir=Path(folder)),
            "postgres": Settings(store={"url": url, "name": "recall"}),
        }
        for name, settings in variants.items():
            with RAG.open(settings=settings) as rag:
                rag.add(docs)
                out[name] = {mode: _score(rag, gold, mode) for mode in ("hybrid", "lexical")}
                if name == "postgres":
                    _ts_rank_store(rag.store)
                    out["postgres_ts_rank"] = {mode: _score(rag, gold, mode) for mode in ("hybrid", "lexical")}
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 10), indent=2))
