"""The default answerer on SQuAD v1.1 dev, split into a tuning half and a held-out half.

Articles are split by a hash of their title (crc32 even: tuning, odd: held out), so a change
chosen from the tuning half's misses is judged on articles it never saw. Every question is
searched once with `RAG.search` (the default settings, all dev paragraphs indexed) and answered
with `compose_answer` and the extractive backend, as `RAG.ask` does. Per half: STR-EM, words,
lead-sentence EM/F1, abstentions, answer recall@5. `--misses` adds, for the tuning half only,
where the sentence holding the gold answer ranked when the answer missed it.

    python scripts/measure_answer_halves.py [--limit N] [--misses]
"""

from __future__ import annotations

import argparse
import tempfile
import zlib
from collections import Counter
from pathlib import Path

from rag import RAG
from rag.answer.extractive import ExtractiveConfig, score_sentences
from rag.answer.pipeline import compose_answer
from rag.config import Settings
from rag.evaluation import metrics as m
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad
from rag.llm.extractive import ExtractiveLLM


def half(source: str) -> str:
    """'tune' or 'held' for a SQuAD document id ("Title/3")."""
    return "tune" if zlib.crc32(source.rsplit("/", 1)[0].encode()) % 2 == 0 else "held"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N questions only")
    parser.add_argument("--misses", action="store_true", help="rank of the gold sentence when the answer missed it")
    args = parser.parse_args()
    documents, items = load_squad(DEFAULT_SQUAD, limit=args.limit)
    totals: dict[str, Counter] = {"tune": Counter(), "held": Counter()}
    misses: Counter = Counter()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(index_dir=Path(folder))
        rag = RAG.open(Path(folder), settings=settings, seed_sample=False)
        rag.add(documents)
        backend = ExtractiveLLM(settings)
        for item in items:
            which = half(item.sources[0])
            passages = rag.search(item.question)
            answer = compose_answer(item.question, passages, backend, settings)
            text = "" if answer.abstained else m.strip_markers(answer.answer)
            lead = m.lead_sentence(text)
            row = totals[which]
            row["n"] += 1
            row["str_em"] += m.str_em(text, item.answers)
            row["lead_em"] += m.exact_match(lead, item.answers)
            row["lead_f1"] += m.token_f1(lead, item.answers)
            row["abstained"] += answer.abstained
            row["words"] += len(text.split())
            row["recall5"] += m.answer_recall_at_k([p.text for p in passages], item.answers, 5)
            if args.misses and which == "tune" and not answer.abstained and not m.str_em(text, item.answers):
                misses[_gold_rank(item.question, passages, item.answers)] += 1
    for which, row in totals.items():
        n, answered = max(row["n"], 1), max(row["n"] - row["abstained"], 1)
        print(
            f"{which}: n={row['n']} STR-EM {100 * row['str_em'] / n:.2f} words {row['words'] / answered:.1f} "
            f"lead EM {100 * row['lead_em'] / n:.1f} lead F1 {100 * row['lead_f1'] / n:.1f} "
            f"abstained {100 * row['abstained'] / n:.1f}% R@5 {100 * row['recall5'] / n:.1f}"
        )
    if args.misses:
        print("tuning-half misses by the rank of the first sentence holding the gold answer:", dict(misses))
    return 0


def _gold_rank(question: str, passages: list, answers: list[str]) -> str:
    ranked = score_sentences(question, passages, ExtractiveConfig())
    rank = next((i for i, s in enumerate(ranked) if m.str_em(s.sentence.span.text, answers)), None)
    if rank is None:
        return "no single sentence"
    return "first (cut or joined away)" if rank == 0 else f"{min(rank, 5)}{'+' if rank >= 5 else ''}"


if __name__ == "__main__":
    raise SystemExit(main())
