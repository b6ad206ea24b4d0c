"""Run gold questions through the same library calls the service uses, and score every one."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from rag.answer.types import Answer, Timings
from rag.errors import RagError
from rag.evaluation import metrics as m
from rag.evaluation.baselines import BM25Baseline, documents_from
from rag.evaluation.gold import GoldItem
from rag.types import Document, Passage

KS = (1, 3, 5, 10)
"""Cut-offs for retrieval metrics; `search` is asked for max(10, top_k) passages."""

ALL = "all"
"""Key of the aggregate over every split in `EvalResult.summary`."""


class Searchable(Protocol):
    """What the runner needs from `rag.RAG` (or a baseline, or a test fake)."""

    def search(self, query: str, k: int | None = None, *, mode: str | None = None) -> list[Passage]: ...

    def ask(
        self,
        question: str,
        history: Any = None,
        *,
        top_k: int | None = None,
        llm: str | None = None,
        mode: str | None = None,
    ) -> Answer: ...


class EvalConfig(BaseModel):
    """One configuration to evaluate; None means the setting's default."""

    name: str = "default"
    kind: Literal["rag", "bm25"] = "rag"
    mode: str | None = None
    top_k: int | None = None
    chunk_size: int | None = None
    llm: str | None = None


class QuestionRecord(BaseModel):
    """What happened to one gold question, with pass/fail (bool) or a score (float) per metric."""

    id: str
    split: str | None = None
    type: str | None = None
    question: str
    gold: list[str] = Field(default_factory=list)
    answerable: bool = True
    sources: list[str] = Field(default_factory=list)
    answer: str = ""
    abstained: bool = False
    cited_sources: list[str] = Field(default_factory=list)
    retrieved: list[str] = Field(default_factory=list, description="doc ids of the searched passages, best first")
    metrics: dict[str, float | bool | None] = Field(default_factory=dict)
    timings: Timings = Field(default_factory=Timings)
    search_ms: float = 0.0
    error: str | None = None


class EvalResult(BaseModel):
    config: EvalConfig
    summary: dict[str, dict[str, float | int | None]] = Field(description="per split, plus 'all'")
    records: list[QuestionRecord]
    wall_s: float = 0.0


def run_eval(
    rag: Searchable,
    gold: Sequence[GoldItem],
    *,
    mode: str | None = None,
    top_k: int | None = None,
    llm: str | None = None,
    progress: bool = True,
    config: EvalConfig | None = None,
) -> EvalResult:
    """Search and ask every gold question; exceptions are recorded per question, never skipped."""
    config = config or EvalConfig(mode=mode, top_k=top_k, llm=llm)
    mode, llm = config.mode or mode, config.llm or llm
    top_k = config.top_k or top_k
    search_k = max(max(KS), top_k or _default_top_k(rag))
    started = time.perf_counter()
    prefetch = getattr(rag, "prefetch", None)
    if callable(prefetch):  # a batched search where the target offers one (the BM25 baseline does)
        prefetch([item.question for item in gold], search_k)
    records = [
        evaluate_question(rag, item, search_k=search_k, top_k=top_k, llm=llm, mode=mode)
        for item in _progress(gold, progress, config.name)
    ]
    return EvalResult(config=config, summary=summarize(records), records=records, wall_s=time.perf_counter() - started)


def evaluate_question(
    rag: Searchable, item: GoldItem, *, search_k: int, top_k: int | None, llm: str | None, mode: str | None
) -> QuestionRecord:
    """One question: search (for retrieval metrics), ask (for the answer), score both."""
    record = QuestionRecord(
        id=item.id,
        split=item.split,
        type=item.type,
        question=item.question,
        gold=item.answers,
        answerable=item.answerable,
        sources=item.sources,
    )
    passages: list[Passage] = []
    answer = Answer(question=item.question, answer="")
    try:
        started = time.perf_counter()
        passages = rag.search(item.question, k=search_k, mode=mode)
        record.search_ms = (time.perf_counter() - started) * 1000
        answer = rag.ask(item.question, history=list(item.history) or None, top_k=top_k, llm=llm, mode=mode)
    except Exception as exc:  # noqa: BLE001 - a failing question is a result, not a crash
        # What did not come back scores as a miss, so failures pull the averages down instead of vanishing.
        record.error = f"{type(exc).__name__}: {exc}"
    record.answer = answer.answer
    record.abstained = answer.abstained
    record.cited_sources = list(dict.fromkeys(c.doc_id for c in answer.citations))
    record.retrieved = [p.doc_id for p in passages]
    record.timings = answer.timings
    record.metrics = score_question(item, passages, answer)
    return record


def score_question(item: GoldItem, passages: Sequence[Passage], answer: Answer) -> dict[str, float | bool | None]:
    """Every per-question metric; a metric that does not apply to the item is left out."""
    scores: dict[str, float | bool | None] = {}
    texts = [p.text for p in passages]
    if item.answerable:
        # An abstention answers nothing, so it scores 0 however its text reads.
        predicted = "" if answer.abstained else m.strip_markers(answer.answer)
        scores["str_em"] = m.str_em(predicted, item.answers)
        scores["em"] = m.exact_match(predicted, item.answers)
        scores["f1"] = m.token_f1(predicted, item.answers)
        # The answer's first sentence, SQuAD-style: "$2.9 billion." scores 1, a whole sentence far less.
        lead = m.lead_sentence(predicted)
        scores["lead_em"] = m.exact_match(lead, item.answers)
        scores["lead_f1"] = m.token_f1(lead, item.answers)
        # Length of what was said; abstentions say nothing, so they are left out of the mean.
        scores["answer_words"] = None if answer.abstained else float(len(predicted.split()))
        for k in KS:
            scores[f"answer_recall@{k}"] = m.answer_recall_at_k(texts, item.answers, k)
        scores["answer_mrr"] = m.reciprocal_rank(m.answer_rank(texts, item.answers))
    if item.sources:
        doc_ids = [p.doc_id for p in passages]
        for k in KS:
            scores[f"source_recall@{k}"] = m.source_recall_at_k(doc_ids, item.sources, k)
        scores["source_mrr"] = m.reciprocal_rank(m.source_rank(doc_ids, item.sources))
    citations = m.citation_scores(answer, item.answers)
    scores["citation_precision"] = citations.precision
    scores["citation_recall"] = citations.recall
    return scores


def summarize(records: Sequence[QuestionRecord]) -> dict[str, dict[str, float | int | None]]:
    """Aggregates over all records and per split (splits in order of first appearance)."""
    splits = list(dict.fromkeys(r.split or "unsplit" for r in records))
    summary = {ALL: aggregate(records)}
    if len(splits) > 1:
        for split in splits:
            summary[split] = aggregate([r for r in records if (r.split or "unsplit") == split])
    return summary


def aggregate(records: Sequence[QuestionRecord]) -> dict[str, float | int | None]:
    """Means of per-question metrics where defined, abstention rates, latency percentiles."""
    out: dict[str, float | int | None] = {
        "questions": len(records),
        "answerable": sum(r.answerable for r in records),
        "unanswerable": sum(not r.answerable for r in records),
        "errors": sum(r.error is not None for r in records),
    }
    names = list(dict.fromkeys(name for r in records for name in r.metrics))
    for name in names:
        out[name] = m.mean([r.metrics.get(name) for r in records])
    out.update(m.abstention_metrics([r.answerable for r in records], [r.abstained for r in records]))
    ok = [r for r in records if r.error is None]
    out.update(m.latency_summary([r.timings.total_ms for r in ok], "latency"))
    out["retrieve_p50_ms"] = m.percentile([r.timings.retrieve_ms for r in ok], 50)
    out["generate_p50_ms"] = m.percentile([r.timings.generate_ms for r in ok], 50)
    out["search_p50_ms"] = m.percentile([r.search_ms for r in records if r.search_ms > 0], 50)
    return out


RagOpener = Callable[[Path, Any], Any]
"""How `run_compare` opens an index for a chunk size: (index dir, settings) -> RAG."""


def run_compare(
    configs: Sequence[EvalConfig],
    gold: Sequence[GoldItem],
    *,
    rag: Searchable | None = None,
    corpus: Sequence[str | Path | Document] = (),
    settings: Any = None,
    open_rag: RagOpener | None = None,
    progress: bool = True,
) -> list[EvalResult]:
    """Evaluate several configurations on the same gold set in one run, in the given order.

    Configs without a chunk size use `rag`; a chunk size gets its own index, built from `corpus`
    in a temporary folder; `kind="bm25"` is the plain BM25 baseline over the same `corpus`.
    """
    results = []
    for config in configs:
        needs_corpus = config.kind == "bm25" or config.chunk_size is not None
        if needs_corpus and not corpus:
            raise RagError(f"--compare {config.name} needs documents to index; pass --corpus or --squad")
        if config.kind == "bm25":
            chunk = config.chunk_size or _chunk_size(settings)
            baseline = BM25Baseline(documents_from(corpus), chunk_tokens=chunk, top_k=config.top_k or 5)
            results.append(run_eval(baseline, gold, config=config, progress=progress))
        elif config.chunk_size is not None:
            results.append(_run_rebuilt(config, gold, corpus, settings, open_rag or _open_rag, progress))
        else:
            if rag is None:
                raise RagError(f"--compare {config.name} needs an index; none was opened")
            results.append(run_eval(rag, gold, config=config, progress=progress))
    return results


def _run_rebuilt(
    config: EvalConfig,
    gold: Sequence[GoldItem],
    corpus: Sequence[str | Path | Document],
    settings: Any,
    open_rag: RagOpener,
    progress: bool,
) -> EvalResult:
    """Index the corpus with this config's chunk size in a temporary folder, then evaluate."""
    assert config.chunk_size is not None
    from rag.store.scratch import scratch_settings

    with scratch_settings(with_chunk_size(settings, config.chunk_size)) as scratch:
        engine = open_rag(scratch.index_dir, scratch)
        try:
            engine.add(list(corpus))
            return run_eval(engine, gold, config=config, progress=progress)
        finally:
            engine.close()


def with_chunk_size(settings: Any, size: int) -> Any:
    """A copy of `settings` chunking at `size` tokens; the overlap shrinks to stay below the size."""
    if settings is None:
        from rag.config import Settings

        settings = Settings()
    overlap = min(settings.chunking.overlap, size // 4)
    chunking = settings.chunking.model_copy(update={"size": size, "overlap": overlap})
    return settings.model_copy(update={"chunking": chunking})


def _open_rag(index_dir: Path, settings: Any) -> Any:
    from rag.engine import RAG

    return RAG.open(index_dir, settings=settings)


def _chunk_size(settings: Any) -> int:
    return int(settings.chunking.size) if settings is not None else 256


def _default_top_k(rag: Searchable) -> int:
    settings = getattr(rag, "settings", None)
    return int(getattr(getattr(settings, "retrieval", None), "top_k", 5))


def _progress(items: Sequence[GoldItem], enabled: bool, name: str) -> Iterator[GoldItem]:
    # A bar only on a terminal: logs and CI output stay clean. The same bar as indexing and bench.
    from rag.progress import progress_bar

    with progress_bar(total=len(items), desc=f"eval {name}", unit="q", enabled=enabled and sys.stderr.isatty()) as bar:
        for item in items:
            yield item
            bar.update(1)
