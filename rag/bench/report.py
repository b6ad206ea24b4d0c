"""Print the benchmark table (figure, value, baseline, ratio, target) and write the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, str]  # section/figure, value, baseline, ratio, target check


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ms(x: Any) -> str:
    return "-" if x is None else f"{x:.3f} ms"


def _ratio(a: Any, b: Any) -> str:
    return "-" if not a or not b else f"{a / b:.2f}x"


def _check(ok: bool | None, target: str) -> str:
    return "" if ok is None else f"{'PASS' if ok else 'MISS'} ({target})"


def size_rows(n: int, r: dict[str, Any]) -> list[Row]:
    if "error" in r:
        return [(f"[{n:,}] error", r["error"][:90], "", "", "")]
    ing, s, ov = r["ingest"], r["search"], r["dense_overhead"]
    embed = s["embed_query"]["p50"]
    dense_net = s["dense"]["p50"] - embed
    rows: list[Row] = [
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
    for mode in ("dense", "lexical", "hybrid"):
        target = _check(s[mode]["p50"] <= 3.0, "<=3 ms p50 @10k") if mode == "hybrid" and n <= 10_000 else ""
        rows.append(
            (
                f"  RAG.search {mode} p50/p95 (hit@5 {s[mode]['hit@5']})",
                f"{s[mode]['p50']:.3f}/{s[mode]['p95']:.3f} ms",
                "",
                "",
                target,
            )
        )
    raw = ov["raw_faiss"]["p50"]
    rows += [
        (
            "  search dense minus embed_query p50",
            _ms(dense_net),
            f"raw IndexFlatIP {_ms(raw)}",
            _ratio(dense_net, raw),
            _check(dense_net / raw <= 1.5, "<=1.5x raw @10k") if n <= 10_000 else "",
        ),
        (
            "  store.dense_search (precomputed vec)",
            _ms(ov["store_dense_search"]["p50"]),
            f"raw {_ms(raw)}",
            _ratio(ov["store_dense_search"]["p50"], raw),
            "",
        ),
        (
            "  store.dense_search + chunks(20)",
            _ms(ov["store_dense_plus_fetch"]["p50"]),
            f"raw {_ms(raw)}",
            _ratio(ov["store_dense_plus_fetch"]["p50"], raw),
            "",
        ),
        ("  embed_query p50 | chunks(20) fetch p50", f"{_ms(embed)} | {_ms(ov['chunk_fetch_20']['p50'])}", "", "", ""),
        (
            "  store.lexical_search p50 (top 50)",
            _ms(r["lexical"]["store_lexical_search"]["p50"]),
            f"bm25s {_ms(r['lexical']['bm25s']['p50'])}",
            _ratio(r["lexical"]["store_lexical_search"]["p50"], r["lexical"]["bm25s"]["p50"]),
            "",
        ),
    ]
    rows += batch_rows(r["batch_qps"]) + thread_rows(r["threads"]) + llama_rows(r.get("llama"), n)
    up = r["updates"]
    rows.append(
        (
            "  add one document p50/p95",
            f"{up['add_one_ms']['p50']:.1f}/{up['add_one_ms']['p95']:.1f} ms",
            "",
            "",
            _check(up["add_one_ms"]["p50"] < 1000, "<1 s"),
        )
    )
    rows.append(
        (
            "  delete ms | stale hits after delete",
            f"{up['delete_ms']} | {up['stale_hits_after_delete']}",
            "",
            "",
            _check(up["stale_hits_after_delete"] == 0, "0 stale"),
        )
    )
    return rows


def batch_rows(b: dict[str, Any]) -> list[Row]:
    return [
        (
            f"  batch 64 q/s, BLAS threshold {label}",
            f"store {b[f'store@{key}']:,.0f}",
            f"raw {b[f'raw_faiss@{key}']:,.0f}",
            _ratio(b[f"raw_faiss@{key}"], b[f"store@{key}"]),
            "",
        )
        for key, label in (("faiss_default", str(b["faiss_default_threshold"])), ("rag_16", "16 (rag)"))
    ]


def thread_rows(t: dict[str, Any]) -> list[Row]:
    return [
        (
            "  dense p50, 1 vs 2 OpenMP threads",
            f"{_ms(t['rag_dense_p50@1'])} vs {_ms(t['rag_dense_p50@2'])}",
            f"raw {_ms(t['raw_faiss_p50@1'])} vs {_ms(t['raw_faiss_p50@2'])}",
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
            _ms(llama["llama_p50"]),
            f"rag dense {_ms(llama['rag_dense_p50'])}",
            f"{llama['speedup_dense']}x faster",
            _check(llama["speedup_dense"] >= 30, ">=30x") if n <= 10_000 else "",
        ),
        (
            "  ... vs rag hybrid",
            _ms(llama["llama_p50"]),
            f"rag hybrid {_ms(llama['rag_hybrid_p50'])}",
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
            f"{h['recall@10']} | {_ms(h['p50_ms'])}",
            f"flat {_ms(f['p50_ms'])}",
            _ratio(f["p50_ms"], h["p50_ms"]) + " faster",
            "",
        ),
    ]
    rows += [
        (f"  HNSW efSearch={ef} recall@10 | p50", f"{v['recall@10']} | {_ms(v['p50_ms'])}", "", "", "")
        for ef, v in h["ef_sweep"].items()
    ]
    rows.append(("  bytes/row flat | HNSW", f"{f['bytes_per_row']:.0f} | {h['bytes_per_row']:.0f}", "", "", ""))
    for name, c in r["compressed"].items():
        rows.append(
            (
                f"  {name} (IndexScalarQuantizer) recall@10 | p50",
                f"{c['recall@10']} | {_ms(c['p50_ms'])}",
                f"{c['bytes_per_row']:.0f} B/row",
                _ratio(f["bytes_per_row"], c["bytes_per_row"]) + " smaller",
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


def misc_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    s = results.get("sample")
    if s and "error" not in s:
        rows.append(
            (
                f"[sample corpus, {s['chunks']} chunks] ask p50/p95",
                f"{s['ask']['p50']:.1f}/{s['ask']['p95']:.1f} ms",
                f"hybrid search {_ms(s['hybrid_search']['p50'])}",
                "",
                "",
            )
        )
    q = results.get("squad")
    if q and "error" not in q:
        rows += [
            (
                f"[SQuAD {q['paragraphs']:,} paragraphs] ingest",
                f"{q['ingest_s']} s",
                f"{q['docs_per_s']} docs/s",
                "",
                "",
            ),
            (
                "  search p50 dense | lexical | hybrid",
                " | ".join(f"{q[f'search_{m}']['p50']:.2f}" for m in ("dense", "lexical", "hybrid")) + " ms",
                "",
                "",
                "",
            ),
            ("  ask p50/p95", f"{q['ask']['p50']:.1f}/{q['ask']['p95']:.1f} ms", "", "", ""),
        ]
    if q and "hybrid_recall" in q:
        rows.append(
            (
                f"  hybrid R@1 | R@5 ({q['questions']} q, {q['embedder']})",
                f"{q['hybrid_recall']['r@1'] * 100:.1f} | {q['hybrid_recall']['r@5'] * 100:.1f}",
                "",
                "",
                "",
            )
        )
    rows += distinct_rows(results.get("squad_distinct"))
    c = results.get("cold_start")
    if c:
        rows.append(
            (
                "[cold start] rag search (median of 5)",
                f"{c['rag_search_s']} s",
                f"import rag.cli {c['import_rag_cli_s']} s, python {c['python_pass_s']} s",
                "",
                _check(c["rag_search_s"] <= 0.6, "<=0.6 s"),
            )
        )
        rows.append(("  heavy modules imported", ", ".join(c["heavy_imports"]) or "none", "", "", ""))
    t = results.get("ten_million_tokens")
    if t:
        rows.append(
            (
                "[10M tokens] ingest wall time",
                f"{t['seconds']} s",
                t["method"],
                "",
                _check(t["seconds"] <= 120, "<=120 s"),
            )
        )
    return rows


def distinct_rows(d: dict[str, Any] | None) -> list[Row]:
    if not d or "error" in d:
        return [("[SQuAD distinct docs] error", d["error"][:90], "", "", "")] if d else []
    hybrid, floor = d["hybrid"]["p50"], d["floor_p50"]
    return [
        (
            f"[SQuAD {d['docs']:,} distinct docs] ingest",
            f"{d['ingest_s']} s",
            f"{d['docs_per_s']} docs/s",
            "",
            _check(d["docs_per_s"] >= 5000, ">=5,000 docs/s"),
        ),
        (
            "  RAG.search hybrid p50/p95",
            f"{hybrid:.3f}/{d['hybrid']['p95']:.3f} ms",
            f"raw FAISS + store BM25 {_ms(floor)}",
            _ratio(hybrid, floor),
            _check(hybrid <= 2.0, "<=2 ms p50"),
        ),
        (
            "  raw FAISS | store BM25 | embed_query p50",
            f"{_ms(d['raw_faiss']['p50'])} | {_ms(d['store_lexical']['p50'])} | {_ms(d['embed_query']['p50'])}",
            "",
            "",
            "",
        ),
    ]


def serve_rows(s: dict[str, Any] | None) -> list[Row]:
    if not s:
        return []
    rows: list[Row] = [
        (
            f"[rag serve --workers {s['workers']}, {s['documents']} docs, {s['connections']} connections]",
            "req/s | p50/p95/p99",
            "",
            "vs /healthz",
            "",
        )
    ]
    health = s["endpoints"].get("healthz", {})
    for name, r in s["endpoints"].items():
        if "error" in r:
            rows.append((f"  {name}", r["error"][:90], "", "", ""))
            continue
        ratio = s["ratio_to_healthz"].get(name)
        rows.append(
            (
                f"  {name} ({r['tool']}, {r['errors']} errors)",
                f"{r['req_per_s']:,.1f} | {r['p50']:.1f}/{r['p95']:.1f}/{r['p99']:.1f} ms",
                f"healthz {health.get('req_per_s', 0):,.1f}/s" if ratio is not None else "",
                f"{ratio:.1%}" if ratio is not None else "",
                "",
            )
        )
    rows += _cpu_rows(s, health)
    return rows


def _cpu_rows(s: dict[str, Any], health: dict[str, Any]) -> list[Row]:
    """Server CPU per request: unlike req/s, it does not move with other work on the machine."""
    if not health.get("server_cpu_ms"):
        return []
    rows: list[Row] = [("  server CPU per request", "ms (all workers)", "", "healthz/endpoint", "")]
    for name, r in s["endpoints"].items():
        if r.get("server_cpu_ms"):
            ratio = s.get("cpu_ratio_to_healthz", {}).get(name)
            rows.append(
                (
                    f"    {name}",
                    f"{r['server_cpu_ms']:.2f} ms",
                    f"healthz {health['server_cpu_ms']:.2f} ms" if ratio is not None else "",
                    f"{ratio:.1%}" if ratio is not None else "",
                    "",
                )
            )
    return rows


def render(results: dict[str, Any]) -> str:
    rows: list[Row] = [("figure", "value", "baseline", "ratio", "target")]
    for n, r in results.get("sizes", {}).items():
        rows += size_rows(int(n), r)
    for n, r in results.get("ann", {}).items():
        rows += ann_rows(int(n), r)
    rows += misc_rows(results) + serve_rows(results.get("serve"))
    from rag.bench.postgres_suite import report_rows as postgres_rows

    rows += postgres_rows(results.get("postgres"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def write_json(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "bench.json"
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return path
