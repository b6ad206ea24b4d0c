"""SQuAD realism runs: ~12k distinct documents for the default path, paragraph recall for any embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rag.bench.baselines import flat_ip
from rag.bench.search_suite import POOL, stored_vectors
from rag.bench.timing import latencies, peak_rss_mb, percentiles, timed


def distinct_documents(path: str | Path) -> tuple[list, list]:
    """SQuAD v1.1 dev paragraphs plus each of their sentences as its own document (~12.3k, no
    two alike), and the questions; real text at a size where per-document costs show."""
    from rag.evaluation.squad import load_squad
    from rag.text.sentences import split_sentences
    from rag.types import Document

    paragraphs, gold = load_squad(path)
    seen = {d.text for d in paragraphs}
    docs = list(paragraphs)
    for doc in paragraphs:
        for i, span in enumerate(split_sentences(doc.text)):
            text = doc.text[span.start : span.end]
            if text not in seen:
                seen.add(text)
                docs.append(Document(id=f"{doc.id}/s{i}", title=doc.title, text=text))
    return docs, gold


def run_distinct(args: dict[str, Any]) -> dict[str, Any]:
    """Ingest rate and hybrid `RAG.search` p50 beside the raw FAISS and BM25 searches it runs."""
    from rag import RAG

    docs, gold = distinct_documents(args["path"])
    questions = [g.question for g in gold][:: max(1, len(gold) // args.get("questions", 200))]
    with RAG.open(Path(args["index_dir"])) as rag:
        report, seconds = timed(lambda: rag.add(docs))
        _, vectors = stored_vectors(rag)
        raw = flat_ip(vectors)
        query_vectors = list(rag.embedder.embed_documents(questions)[:, None, :])
        out: dict[str, Any] = {"docs": len(docs), "chunks": report.chunks_added, "ingest_s": round(seconds, 2),
               "docs_per_s": round(len(docs) / seconds, 1), "peak_rss_mb": peak_rss_mb(),
               "questions": len(questions), "embedder": rag.embedder.id,
               "hybrid": percentiles(latencies(lambda q: rag.search(q, 5), questions)),
               "raw_faiss": percentiles(latencies(lambda v: raw.search(v, POOL), query_vectors)),
               "store_lexical": percentiles(latencies(lambda q: rag.store.lexical_search(q, POOL), questions)),
               "embed_query": percentiles(latencies(rag.embedder.embed_query, questions))}
    out["floor_p50"] = round(out["raw_faiss"]["p50"] + out["store_lexical"]["p50"], 4)
    return out


def paragraph_recall(rag: Any, gold: list, mode: str = "hybrid") -> dict[str, float]:
    """Share of questions whose own paragraph (r@k), or a passage holding a gold answer
    (answer_r@k, as `rag eval` counts it), is first / among the first five."""
    from rag.evaluation.metrics import answer_recall_at_k

    hits: dict[str, list[bool]] = {"r@1": [], "r@5": [], "answer_r@1": [], "answer_r@5": []}
    for item in gold:
        passages = rag.search(item.question, 5, mode=mode)
        ids, texts = [p.doc_id for p in passages], [p.text for p in passages]
        for k in (1, 5):
            hits[f"r@{k}"].append(item.sources[0] in ids[:k])
            hits[f"answer_r@{k}"].append(bool(answer_recall_at_k(texts, item.answers, k)))
    return {name: round(float(np.mean(values)), 4) for name, values in hits.items()}
