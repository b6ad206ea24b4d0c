"""The SQL of searching one index: filters as WHERE clauses, Okapi BM25 from postings, vector top-k.

BM25 here is the folder store's formula (`rag.store.bm25`) over the same analysed terms and term
ids, so both stores rank identically: IDF ln(1 + (N - df + 0.5) / (df + 0.5)) with N, the average
length and df read from the index's own statistics in the same statement (one snapshot).
PostgreSQL's ts_rank has no IDF and no length saturation; see docs/postgres.md for the measurement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psycopg import sql

from rag.types import Filters


@dataclass(frozen=True)
class ChunkFilter:
    """Filters compiled to a condition on `c` (a row of the chunk table), evaluated inside each search.

    The Retriever asks `len()` to skip a search that cannot match (the count is one indexed query);
    code that needs the ids themselves gets them through `np.asarray`.
    """

    condition: sql.Composable
    params: dict[str, Any]
    count: int
    fetch_ids: Callable[[], np.ndarray] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return self.count

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The matching chunk ids, fetched only when a caller needs them as an array (set arithmetic)."""
        ids = self.fetch_ids()
        return ids if dtype is None else ids.astype(dtype)


def filter_condition(schema: str, filters: Filters) -> tuple[sql.Composable, dict[str, Any]]:
    """A condition on chunk alias `c` with the folder store's semantics (see Catalog.allowed_ids)."""
    where: list[sql.Composable] = []
    params: dict[str, Any] = {}
    for column, value in (("source", filters.source), ("doc_id", filters.doc_id)):
        if value:
            where.append(sql.SQL("d.{} = ANY({})").format(sql.Identifier(column), sql.Placeholder(f"f_{column}")))
            params[f"f_{column}"] = [value] if isinstance(value, str) else list(value)
    if filters.date_from:
        where.append(sql.SQL("d.date >= %(f_from)s"))
        params["f_from"] = filters.date_from
    if filters.date_to:
        # Compare on the given precision so "2024-03-05T10:00" counts as on 2024-03-05.
        where.append(sql.SQL("substr(d.date, 1, length(%(f_to)s)) <= %(f_to)s"))
        params["f_to"] = filters.date_to
    condition = sql.SQL("c.doc_id IN (SELECT d.doc_id FROM {}.documents d WHERE {})").format(
        sql.Identifier(schema), sql.SQL(" AND ").join(where)
    )
    return condition, params


def filter_queries(schema: str, filters: Filters) -> tuple[sql.Composable, sql.Composed, sql.Composed, dict[str, Any]]:
    """(condition on chunks `c`, count of matching chunks, their ids in order, parameters) for `filters`."""
    condition, params = filter_condition(schema, filters)
    chunks = sql.SQL("FROM {}.chunks c WHERE ").format(sql.Identifier(schema))
    count = sql.SQL("SELECT count(*) ") + chunks + condition
    return condition, count, sql.SQL("SELECT c.id ") + chunks + condition + sql.SQL(" ORDER BY c.id"), params


def document_frequencies(schema: str) -> sql.Composed:
    """(term, chunks holding it, live chunks) for each term id in the array parameter."""
    return sql.SQL(
        "SELECT t.term, coalesce(x.df, 0), (SELECT chunks FROM {s}.state) FROM unnest(%s::bigint[]) AS t(term) "
        "LEFT JOIN {s}.terms x ON x.term = t.term"
    ).format(s=sql.Identifier(schema))


def restriction(allowed: ChunkFilter | np.ndarray | None) -> tuple[sql.Composable | None, dict[str, Any]]:
    """`WHERE ...` for chunk alias `c` from a compiled filter or an explicit id list (None when none)."""
    if allowed is None:
        return None, {}
    if isinstance(allowed, ChunkFilter):
        return sql.SQL("WHERE ") + allowed.condition, allowed.params
    ids = np.asarray(allowed, dtype=np.int64).reshape(-1).tolist()
    return sql.SQL("WHERE c.id = ANY(%(f_ids)s::bigint[])"), {"f_ids": ids}


def lexical_query(schema: str, where: sql.Composable | None, k1: float, b: float) -> sql.Composed:
    """Top-k BM25; parameters: terms (ids), qtf (query term counts), k, and the filter's."""
    s = sql.Identifier(schema)
    chunk_filter: sql.Composable = sql.SQL("")
    if where is not None:
        chunk_filter = sql.SQL("WHERE p.chunk IN (SELECT c.id FROM {}.chunks c {})").format(s, where)
    # Index probes per query term whatever the table statistics say (a fresh index has none, and the
    # planner then chose a parallel scan of all postings: 100 ms instead of a few): LIMIT 1 on the
    # state row, a scalar df lookup, and a LATERAL subquery that OFFSET 0 keeps from being flattened.
    return sql.SQL("""
        WITH s AS (SELECT chunks::float8 AS n, greatest(total_terms::float8 / greatest(chunks, 1), 1e-9) AS avgdl
                   FROM {s}.state LIMIT 1),
             t AS MATERIALIZED (SELECT t.term, t.qtf, coalesce((SELECT x.df FROM {s}.terms x WHERE x.term = t.term), 0) AS df
                   FROM unnest(%(terms)s::bigint[], %(qtf)s::float8[]) AS t(term, qtf)),
             q AS MATERIALIZED (SELECT t.term, t.qtf * ln(1 + (s.n - t.df + 0.5) / (t.df + 0.5)) AS w FROM t CROSS JOIN s)
        SELECT p.chunk, sum(q.w * p.tf * {k1p} / (p.tf + {k1} * (1 - {b} + {b} * p.dl / s.avgdl))) AS score
        FROM q CROSS JOIN s CROSS JOIN LATERAL (
            SELECT x.chunk, x.tf, x.dl FROM {s}.postings x WHERE x.term = q.term OFFSET 0) AS p
        {chunk_filter}
        GROUP BY p.chunk ORDER BY score DESC, p.chunk LIMIT %(k)s""").format(
        s=s,
        k1p=sql.Literal(float(k1) + 1.0),
        k1=sql.Literal(float(k1)),
        b=sql.Literal(float(b)),
        chunk_filter=chunk_filter,
    )


def dense_query(schema: str, where: sql.Composable | None) -> sql.Composed:
    """Top-k by inner product (`<#>` is its negative; one parameter for both uses, so it is computed once);
    parameters: vector, k, and the filter's."""
    return sql.SQL(
        "SELECT c.id, c.embedding <#> %(vector)s AS distance FROM {}.chunks c {} "
        "ORDER BY c.embedding <#> %(vector)s LIMIT %(k)s"
    ).format(sql.Identifier(schema), where or sql.SQL(""))


def idf(n: float, df: np.ndarray) -> np.ndarray:
    return np.log1p((n - df + 0.5) / (df + 0.5))
