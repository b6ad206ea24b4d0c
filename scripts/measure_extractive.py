"""Measure the extractive answerer on SQuAD v1.1 dev against a naive baseline.

Retrieval: bm25s (stemmed, English stopwords) over all dev paragraphs, top 3 as Passages.
STR-EM: share of questions whose answer text contains a gold answer after SQuAD normalisation.

    python scripts/measure_extractive.py                  # whole dev set, all variants
    python scripts/measure_extractive.py --half tune      # first half of the articles (tuning)
    python scripts/measure_extractive.py --abstain        # abstention calibration
    python scripts/measure_extractive.py --corpus         # answers on the shared news corpus
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import time
from pathlib import Path

import bm25s
import Stemmer

from rag.answer.abstain import support_score
from rag.answer.citations import strip_markers
from rag.answer.extractive import ExtractiveConfig, extract_answer
from rag.text.analyze import STOPWORDS, words
from rag.text.sentences import split_sentences
from rag.types import Passage

SHARED = Path(__file__).resolve().parents[2] / "shared"
SQUAD = SHARED / "bench" / "squad-v1.1" / "dev-v1.1.json"


def normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def load_squad(path: Path) -> tuple[list[Passage], list[dict]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    passages: list[Passage] = []
    questions: list[dict] = []
    for ai, article in enumerate(data):
        for pi, para in enumerate(article["paragraphs"]):
            idx = len(passages)
            ctx = para["context"]
            passages.append(Passage(chunk_id=f"{ai}#{pi}", doc_id=str(ai), text=ctx, start=0, end=len(ctx), title=article["title"]))
            for qa in para["qas"]:
                questions.append({"article": ai, "para": idx, "q": qa["question"], "gold": [a["text"] for a in qa["answers"]]})
    return passages, questions


class Retriever:
    def __init__(self, passages: list[Passage]):
        self.passages = passages
        self.stemmer = Stemmer.Stemmer("english")
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize([p.text for p in passages], stopwords="en", stemmer=self.stemmer, show_progress=False), show_progress=False)

    def top(self, queries: list[str], k: int = 3) -> list[list[Passage]]:
        tokens = bm25s.tokenize(queries, stopwords="en", stemmer=self.stemmer, show_progress=False)
        ids, _ = self.bm25.retrieve(tokens, k=k, show_progress=False)
        return [[self.passages[i].model_copy(update={"rank": r + 1}) for r, i in enumerate(row)] for row in ids]


def naive(question: str, passages: list[Passage]) -> str:
    """The sentence of the top passages with the most question-word overlap (first on ties)."""
    qwords = {w for w in words(question) if w not in STOPWORDS}
    best, best_overlap = "", -1
    for p in passages:
        for s in split_sentences(p.text):
            overlap = len(qwords & set(words(s.text)))
            if overlap > best_overlap:
                best, best_overlap = s.text, overlap
    return best


VARIANTS = {
    "extractive-1": ExtractiveConfig(max_sentences=1),
    "extractive-2 (ratio .8)": ExtractiveConfig(max_sentences=2, extra_ratio=0.8),
    "extractive-2 (ratio .6)": ExtractiveConfig(max_sentences=2, extra_ratio=0.6),
    "extractive-3 (default)": ExtractiveConfig(),
}


def evaluate(questions: list[dict], retrieved: list[list[Passage]], variants: dict) -> None:
    print(f"{'method':28} {'STR-EM':>7} {'words':>6} {'ms/q':>6}  (n={len(questions)})")
    methods = {"naive overlap sentence": naive} | {
        name: (lambda q, ps, c=cfg: " ".join(extract_answer(q, ps, c))) for name, cfg in variants.items()
    }
    for name, fn in methods.items():
        hits = total_words = 0
        start = time.perf_counter()
        for qa, passages in zip(questions, retrieved):
            text = strip_markers(fn(qa["q"], passages))
            norm = normalize(text)
            hits += any(normalize(g) in norm for g in qa["gold"])
            total_words += len(text.split())
        ms = (time.perf_counter() - start) * 1000 / len(questions)
        print(f"{name:28} {100 * hits / len(questions):6.1f}% {total_words / len(questions):6.1f} {ms:6.2f}")


def calibrate_abstention(passages: list[Passage], questions: list[dict]) -> None:
    """Index the first half of the articles; questions of the second half should abstain."""
    half = max(q["article"] for q in questions) // 2
    indexed = [p for p in passages if int(p.doc_id) < half]
    retriever = Retriever(indexed)
    retrieved = retriever.top([q["q"] for q in questions])
    rows = [(support_score(q["q"], ps), int(q["article"]) >= half) for q, ps in zip(questions, retrieved)]
    print(f"abstention: {sum(o for _, o in rows)} out-of-index vs {sum(not o for _, o in rows)} in-index questions")
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'in-index abstained':>19}")
    for t in [x / 100 for x in range(20, 80, 5)]:
        abst = [(s < t, o) for s, o in rows]
        tp = sum(a and o for a, o in abst)
        fp = sum(a and not o for a, o in abst)
        fn = sum((not a) and o for a, o in abst)
        in_idx = sum(not o for _, o in rows)
        print(f"{t:9.2f} {tp / max(1, tp + fp):9.3f} {tp / max(1, tp + fn):7.3f} {fp / in_idx:18.1%}")


CORPUS_QUESTIONS = [
    "How much will Microsoft invest in Japan?",
    "How many people will Microsoft train in AI skills?",
    "How much money supports the university AI research partnerships?",
    "On which day did Microsoft announce the investment?",
    "Where will the new Microsoft Research Asia lab be?",
    "How much is Microsoft investing in South Korea?",
]


def corpus_check() -> None:
    texts = sorted((SHARED / "corpus").glob("[0-9]*.txt"))
    passages = [
        Passage(chunk_id=f"{f.stem}#{i}", doc_id=f.stem, text=para.strip(), start=0, end=len(para.strip()))
        for f in texts
        for i, para in enumerate(f.read_text(encoding="utf-8").split("\n\n"))
        if len(para.split()) > 8
    ]
    retriever = Retriever(passages)
    for question, ps in zip(CORPUS_QUESTIONS, retriever.top(CORPUS_QUESTIONS, k=5)):
        print(f"Q: {question}\n   support={support_score(question, ps):.2f}")
        print("   A:", " ".join(extract_answer(question, ps, ExtractiveConfig())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=["tune", "test", "all"], default="all")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--abstain", action="store_true")
    parser.add_argument("--corpus", action="store_true")
    args = parser.parse_args()
    if not SQUAD.is_file():
        print(f"SQuAD not found at {SQUAD}", file=sys.stderr)
        return 1
    if args.corpus:
        corpus_check()
        return 0
    passages, questions = load_squad(SQUAD)
    if args.abstain:
        calibrate_abstention(passages, questions)
        return 0
    half = max(q["article"] for q in questions) // 2
    if args.half != "all":
        questions = [q for q in questions if (q["article"] < half) == (args.half == "tune")]
    if args.limit:
        questions = questions[: args.limit]
    retrieved = Retriever(passages).top([q["q"] for q in questions])
    evaluate(questions, retrieved, VARIANTS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
