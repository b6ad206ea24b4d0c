"""Citations for replies written without markers: each claim goes to the passage sentence that supports it.

Small local models (SmolLM2 and the like) answer from the passages but rarely write `[n]`; without
this every sentence they write would be "unsupported". After generation, each claim sentence that
carries no marker is compared with every sentence of the numbered passages; when the best one
covers enough of the claim, the claim gets that passage's marker, and the usual citation resolution
then quotes that sentence. A claim no passage covers stays unmarked and is listed in
`unsupported_sentences`, as before.

Support is the IDF-weighted share of the claim's content terms (stemmed, stopwords out) found in
the passage sentence, times the share of the claim's numbers found there: a paraphrase keeps most
content words and every figure; a sentence that only shares the topic does not. The threshold is
calibrated by `scripts/measure_attribution.py --calibrate` (see the README's LLM section).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.citations import MARKER
from rag.text.analyze import terms
from rag.text.sentences import split_sentences
from rag.types import Passage

DEFAULT_THRESHOLD = 0.65  # chosen on the dev split by scripts/measure_attribution.py --calibrate
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CLOSING = re.compile(r"[\s.!?;:\"'”’)\]]*$")  # what a marker goes before at a sentence's end


@dataclass(frozen=True)
class _Evidence:
    passage: int  # 1-based, the number the prompt gave it
    terms: frozenset[str]
    numbers: frozenset[str]


def attribute(text: str, passages: Sequence[Passage], threshold: float = DEFAULT_THRESHOLD,
              question: str = "") -> tuple[str, int]:
    """`text` with a marker after each unmarked claim that a passage sentence supports; how many got one.

    A short claim ("The answer is 2.9 billion.") is read with the question's words, which it answers.
    """
    if threshold <= 0 or not passages or not text.strip():
        return text, 0
    # A passage's sentences say "the company" where the title names it: the title's words count for each.
    evidence = [_Evidence(n, frozenset(terms(s.text)) | frozenset(terms(passage.title or "")), _numbers(s.text))
                for n, passage in enumerate(passages, start=1) for s in split_sentences(passage.text)]
    idf = _idf(evidence)
    context = frozenset(terms(question))
    edits: list[tuple[int, str]] = []
    for span in split_sentences(text):
        if MARKER.search(span.text):
            continue
        cited, score = best_support(span.text, evidence, idf, context)
        if cited and score >= threshold:
            end = span.start + _CLOSING.search(span.text).start()  # type: ignore[union-attr]  # always matches
            edits.append((end, " " + "".join(f"[{n}]" for n in cited)))
    for at, marker in reversed(edits):
        text = text[:at] + marker + text[at:]
    return text, len(edits)


def best_support(claim: str, evidence: list[_Evidence], idf: dict[str, float],
                 context: frozenset[str] = frozenset()) -> tuple[list[int], float]:
    """The passages whose sentences support `claim` best (one, or two when it joins facts of both), and how well."""
    claim_terms = set(terms(claim)) - _ABOUT_THE_TASK
    if len(claim_terms) < 2:  # headings and fragments are not claims
        return [], 0.0
    if len(claim_terms) < _SHORT_CLAIM:
        claim_terms |= context
    claim_numbers = _numbers(claim)
    total = sum(idf.get(t, _MAX_IDF) for t in claim_terms)

    def score(found_terms: frozenset[str], found_numbers: frozenset[str]) -> float:
        covered = sum(idf.get(t, _MAX_IDF) for t in claim_terms & found_terms) / total
        if claim_numbers:
            covered *= len(claim_numbers & found_numbers) / len(claim_numbers)
        return covered

    ranked = sorted(((score(e.terms, e.numbers), i) for i, e in enumerate(evidence)), reverse=True)
    if not ranked or ranked[0][0] <= 0:
        return [], 0.0
    first = evidence[ranked[0][1]]
    best = ([first.passage], ranked[0][0])
    # A model often joins two facts in one sentence: try the best sentence with each of the next few.
    for _, i in ranked[1:8]:
        other = evidence[i]
        joint = score(first.terms | other.terms, first.numbers | other.numbers)
        if joint >= best[1] + _SECOND_GAIN:
            best = (sorted({first.passage, other.passage}), joint)
    return best


# Words a model uses about the task rather than the world ("The answer to the question is ...").
_ABOUT_THE_TASK = frozenset(terms("answer question passage article source provided text mentioned according"))
_SHORT_CLAIM = 5  # content terms; a claim this short leans on the question for its subject
_SECOND_GAIN = 0.15  # a second citation must explain this much more of the claim than the first alone
_MAX_IDF = 3.0  # a claim term no passage sentence has: as rare as a term can be here


def _idf(evidence: list[_Evidence]) -> dict[str, float]:
    # Over the passages' own sentences: words every sentence shares (the topic) weigh little.
    counts: dict[str, int] = {}
    for item in evidence:
        for term in item.terms:
            counts[term] = counts.get(term, 0) + 1
    n = len(evidence)
    return {t: min(_MAX_IDF, math.log((n + 1) / (c + 0.5))) + 0.1 for t, c in counts.items()}


def _numbers(text: str) -> frozenset[str]:
    return frozenset(m.group(0).replace(",", "") for m in _NUMBER.finditer(text))
