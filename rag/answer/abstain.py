"""When to say "the documents do not answer this": before generation (weak support) and after (a refusal)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer import scoring
from rag.answer.prompts import REFUSAL
from rag.config import Settings
from rag.types import Passage

# Calibrated on SQuAD v1.1 dev (scripts/measure_extractive.py --abstain): index the first half of
# the articles, ask all questions; the second half's should abstain. At 0.30 abstention has
# precision 0.84 and recall 0.82, and 15% of answerable questions abstain (0.25: 0.87/0.74/11%;
# 0.35: 0.80/0.88/21%). `settings.answer.abstain_threshold` overrides it.
DEFAULT_THRESHOLD = 0.30

_REFUSALS = re.compile(
    r"(?:do(?:es)?\s*n[o']t|cannot|can\s*not|can't|don't|doesn't)\s+(?:contain|answer|mention|say|provide|include|address|cover|specify)"
    r"|\bno (?:information|answer|mention)\b.*\b(?:passages?|sources?|documents?|context)\b"
    r"|\b(?:i|we) (?:do not|don't) know\b"
    r"|\bnot (?:mentioned|stated|specified|provided|found) in the (?:passages?|sources?|documents?|context)\b"
    r"|\b(?:unable|not able) to (?:answer|find)\b",
    re.IGNORECASE,
)


def support_score(question: str, passages: Sequence[Passage]) -> float:
    """How well the best retrieved sentence covers the question (0..1), IDF-weighted.

    A name or rare term of the question ("South Korea") found in no passage cuts the score:
    passages about something else share the common words but not the names.
    """
    sentences = scoring.passage_sentences(passages)
    q = scoring.analyse_question(question)
    if not sentences or not q.terms:
        return 0.0
    idf, unseen = scoring.idf_table(sentences)
    best = max(scoring.coverage(q, s.term_set, idf, unseen) for s in sentences)
    present = frozenset(t for s in sentences for t in s.term_set)
    missing_names = q.names - present
    if missing_names:
        best *= 1 - len(missing_names) / len(q.names)
    return best


def should_abstain(question: str, passages: Sequence[Passage], settings: Settings) -> bool:
    """True when the passages are unlikely to answer: nothing retrieved or weak support."""
    if not passages:
        return True
    threshold = settings.answer.abstain_threshold or DEFAULT_THRESHOLD
    return support_score(question, passages) < threshold


def is_refusal(text: str) -> bool:
    """Whether an answer is a refusal: the fixed sentence or a common paraphrase of it."""
    cleaned = re.sub(r"\s+", " ", re.sub(r"\[\d[\d,\s-]*\]", "", text)).strip()
    if not cleaned:
        return True
    if REFUSAL.lower().rstrip(".") in cleaned.lower():
        return True
    # Only a short reply is a refusal; a long answer that mentions a gap still answers.
    return len(cleaned.split()) <= 30 and bool(_REFUSALS.search(cleaned))
