"""Rows for the synthetic-size, batch, thread, LlamaIndex and ANN sections of the benchmark table."""

from __future__ import annotations

from typing import Any

from rag.bench.cells import Row, check, ms, ratio


def size_rows(n: int, r: dict[str, Any]) -> list[Row]:
    if "error" in r:
        return [(f"[{n:,}] error", r["error"][:90], "", "", "")]
    return [
        *_ingest_rows(n, r["ingest"]),
        *_search_rows(n, r["search"]),
        *_overhead_rows(n, r),
        *batch_rows(r["batch_qps"]),
        *thread_rows(r["threads"]),
        *llama_rows(r.get("llama"), n),
        *_update_rows(r["updates"]),
    ]


def _ingest_rows(n: int, ing: dict[str, Any]) -> list[Row]:
    return [
        (
            f"[{n:,}] ingest RAG.add ({ing['batches']} call(s))",
            f"{ing['seconds']} s",
            f"{ing['chunks']:,} chunks",
            "",
            "",
        ),
        (
            "  docs/s | chunks/s | tokens/s",
            f"{ing['docs_per_s']} | {ing['chunks_per_s']} | {ing['tokens_per_s']:,}",
            "",
            "",
            "",
        ),
        (
            "  peak RSS | index on disk",
            f"{ing['peak_rss_mb']} MB | {ing['index_mb']} MB",
            f"{ing['bytes_per_chunk_disk']} B/chunk",
            "",
            "",
        ),
    ]


def _search_rows(n: int, s: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for mode in ("dense", "lexical", "hybrid"):
        target = check(s[mode]["p50"] <= 3.0, "<=3 ms p50 @10k") if mode == "hybrid" and n <= 10_000 else ""
        rows.append(
            (
                f"  RAG.search {mode} p50/p95 (hit@5 {s[mode]['hit@5']})",
                f"{s[mode]['p50']:.3f}/{s[mode]['p95']:.3f} ms",
                "",
                "",
                target,
            )
        )
    return rows


def _overhead_rows(n: int, r: dict[str, Any]) -> list[Row]:
    """The store's dense and lexical searches next to raw FAISS and bm25s on the same data."""
    s, ov = r["search"], r["dense_overhead"]
    embed = s["embed_query"]["p50"]
    dense_net = s["dense"]["p50"] - embed
    raw = ov["raw_faiss"]["p50"]
    return [
        (
            "  search dense minus embed_query p50",
            ms(dense_net),
            f"raw IndexFlatIP {ms(raw)}",
            ratio(dense_net, raw),
            check(dense_net / raw <= 1.5, "<=1.5x raw @10k") if n <= 10_000 else "",
        ),
        (
            "  store.dense_search (precomputed vec)",
            ms(ov["store_dense_search"]["p50"]),
            f"raw {ms(raw)}",
            ratio(ov["store_dense_search"]["p50"], raw),
            "",
        ),
        (
            "  store.dense_search + chunks(20)",
            ms(ov["store_dense_plus_fetch"]["p50"]),
            f"raw {ms(raw)}",
            ratio(ov["store_dense_plus_fetch"]["p50"], raw),
            "",
        ),
        ("  embed_query p50 | chunks(20) fetch p50", f"{ms(embed)} | {ms(ov['chunk_fetch_20']['p50'])}", "", "", ""),
        (
            "  store.lexical_search p50 (top 50)",
            ms(r["lexical"]["store_lexical_search"]["p50"]),
            f"bm25s {ms(r['lexical']['bm25s']['p50'])}",
            ratio(r["lexical"]["store_lexical_search"]["p50"], r["lexical"]["bm25s"]["p50"]),
            "",
        ),
    ]


def _update_rows(up: dict[str, Any]) -> list[Row]:
    return [
        (
            "  add one document p50/p95",
            f"{up['add_one_ms']['p50']:.1f}/{up['add_one_ms']['p95']:.1f} ms",
            "",
            "",
            check(up["add_one_ms"]["p50"] < 1000, "<1 s"),
        ),
        (
            "  delete ms | stale hits after delete",
            f"{up['delete_ms']} | {up['stale_hits_after_delete']}",
            "",
            "",
            check(up["stale_hits_after_delete"] == 0, "0 stale"),
        ),
    ]


def batch_rows(b: dict[str, Any]) -> list[Row]:
    return [
        (
            f"  batch 64 q/s, BLAS threshold {label}",
            f"store {b[f'store@{key}']:,.0f}",
            f"raw {b[f'raw_faiss@{key}']:,.0f}",
            ratio(b[f"raw_faiss@{key}"], b[f"store@{key}"]),
            "",
        )
        for key, label in (("faiss_default", str(b["faiss_default_threshold"])), ("rag_16", "16 queries (rag)"))
    ]


def thread_rows(t: dict[str, Any]) -> list[Row]:
    return [
        (
            "  dense p50, 1 vs 2 OpenMP threads",
            f"{ms(t['rag_dense_p50@1'])} vs {ms(t['rag_dense_p50@2'])}",
            f"raw {ms(t['raw_faiss_p50@1'])} vs {ms(t['raw_faiss_p50@2'])}",
            "",
            "",
        )
    ]


def llama_rows(llama: dict[str, Any] | None, n: int) -> list[Row]:
    if not llama:
        return []
    if "skipped" in llama:
        return [("  LlamaIndex VectorStoreIndex", llama["skipped"], "", "", "")]
    return [
        (
            f"  LlamaIndex retrieve p50 ({llama['queries']} q)",
            ms(llama["llama_p50"]),
            f"rag dense {ms(llama['rag_dense_p50'])}",
            f"{llama['speedup_dense']}x faster",
            check(llama["speedup_dense"] >= 30, ">=30x") if n <= 10_000 else "",
        ),
        (
            "  ... vs rag hybrid",
            ms(llama["llama_p50"]),
            f"rag hybrid {ms(llama['rag_hybrid_p50'])}",
            f"{llama['speedup_hybrid']}x faster",
            "",
        ),
    ]


def ann_rows(requested: int, r: dict[str, Any]) -> list[Row]:
    if "error" in r:
        return [(f"[ANN {requested:,}] error", r["error"][:90], "", "", "")]
    h, f = r["hnsw"], r["flat"]
    scale = requested / r["rows"]
    rows: list[Row] = [
        (
            f"[ANN {r['rows']:,} rows{' (for ' + format(requested, ',') + ')' if scale > 1 else ''}] embed",
            f"{r['embed_rows_per_s']:,} rows/s",
            "",
            "",
            "",
        ),
        ("  HNSW build (rag HNSWIndex, defaults)", f"{h['build_s']} s", f"{h['build_threads']} thread(s)", "", ""),
        (
            "  HNSW recall@10 | p50",
            f"{h['recall@10']} | {ms(h['p50_ms'])}",
            f"flat {ms(f['p50_ms'])}",
            ratio(f["p50_ms"], h["p50_ms"]) + " faster",
            "",
        ),
    ]
    rows += [
        (f"  HNSW efSearch={ef} recall@10 | p50", f"{v['recall@10']} | {ms(v['p50_ms'])}", "", "", "")
        for ef, v in h["ef_sweep"].items()
    ]
    rows.append(("  bytes/row flat | HNSW", f"{f['bytes_per_row']:.0f} | {h['bytes_per_row']:.0f}", "", "", ""))
    for name, c in r["compressed"].items():
        rows.append(
            (
                f"  {name} (IndexScalarQuantizer) recall@10 | p50",
                f"{c['recall@10']} | {ms(c['p50_ms'])}",
                f"{c['bytes_per_row']:.0f} B/row",
                ratio(f["bytes_per_row"], c["bytes_per_row"]) + " smaller",
                "",
            )
        )
    if scale > 1:
        rows.append(
            (
                f"  extrapolated to {requested:,} (linear)",
                f"flat p50 ~{f['p50_ms'] * scale:.1f} ms",
                f"flat {f['bytes_per_row'] * requested / 2**30:.2f} GiB, HNSW {h['bytes_per_row'] * requested / 2**30:.2f} GiB",
                f"HNSW build ~{h['build_s'] * scale * 1.2:.0f} s",
                "",
            )
        )
    return rows
