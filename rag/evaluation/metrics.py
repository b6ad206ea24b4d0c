"""Scoring functions, all pure: answer strings (SQuAD), retrieval ranks, citations, abstention, latency."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.types import Answer, Citation
from rag.text.analyze import terms
from rag.text.sentences import split_sentences

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lowercase, drop ASCII punctuation and a/an/the, collapse spaces."""
    text = _PUNCT.sub("", text.lower())
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answer_tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether `needle` occurs in `haystack` as a contiguous run of whole tokens."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    return any(haystack[i] == first and list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def _gold_token_lists(answers: Sequence[str]) -> list[list[str]]:
    # Answers that normalise to nothing ("the", "!") would match everything; they are ignored.
    return [tokens for tokens in (answer_tokens(a) for a in answers) if tokens]


def str_em(prediction: str, answers: Sequence[str]) -> bool:
    """ASQA-style STR-EM: some normalised gold answer appears in the normalised prediction.

    Matching is on whole tokens, so after normalisation "2.9 billion" is `29 billion` and
    "9 billion" does not match it.
    """
    predicted = answer_tokens(prediction)
    return any(_contains(predicted, gold) for gold in _gold_token_lists(answers))


def exact_match(prediction: str, answers: Sequence[str]) -> bool:
    """SQuAD EM: the normalised prediction equals some normalised gold answer."""
    predicted = normalize_answer(prediction)
    return any(predicted == normalize_answer(gold) for gold in answers)


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """SQuAD F1: token overlap counted as a multiset, max over the gold answers."""
    predicted = answer_tokens(prediction)
    best = 0.0
    for gold in answers:
        gold_tokens = answer_tokens(gold)
        common = sum((Counter(predicted) & Counter(gold_tokens)).values())
        if common == 0:
            continue
        precision = common / len(predicted)
        recall = common / len(gold_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def lead_sentence(text: str) -> str:
    """The first sentence of an answer (markers already stripped): where a direct answer leads."""
    spans = split_sentences(text)
    return spans[0].text if spans else ""


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether a passage contains a normalised gold answer as whole tokens."""
    return str_em(text, answers)


def answer_rank(passage_texts: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first passage that contains a gold answer, None when none does."""
    golds = _gold_token_lists(answers)
    for rank, text in enumerate(passage_texts, start=1):
        tokens = answer_tokens(text)
        if any(_contains(tokens, gold) for gold in golds):
            return rank
    return None


def answer_recall_at_k(passage_texts: Sequence[str], answers: Sequence[str], k: int) -> bool:
    """Whether one of the top-k passages contains a gold answer."""
    return answer_rank(passage_texts[:k], answers) is not None


def reciprocal_rank(rank: int | None) -> float:
    """1/rank, 0 when nothing relevant was retrieved."""
    return 0.0 if rank is None else 1.0 / rank


def source_rank(doc_ids: Sequence[str], sources: Sequence[str]) -> int | None:
    """1-based rank of the first passage from a gold source document."""
    wanted = set(sources)
    return next((rank for rank, doc_id in enumerate(doc_ids, start=1) if doc_id in wanted), None)


def source_recall_at_k(doc_ids: Sequence[str], sources: Sequence[str], k: int) -> bool | None:
    """Whether a gold source document is among the top-k passages; None without sources.

    Gold `sources` list every document that holds the answer, so one of them is enough.
    """
    if not sources:
        return None
    return not set(sources).isdisjoint(doc_ids[:k])


# Citation markers as the answer pipeline writes them: [1]  [1, 2]  [1-3]  [1; 2]
_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[-–,;]\s*\d{1,3})*)\s*\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d{1,3}(?:\s*[-–,;]\s*\d{1,3})*\s*\])+")

SUPPORT_THRESHOLD = 0.5
"""A passage supports a sentence when it holds at least this share of the sentence's content terms."""


@dataclass(frozen=True, slots=True)
class CitationScores:
    precision: float | None  # None when the answer carries no citation
    recall: float | None  # None when there is no answer sentence (or the answer abstained)
    citations: int
    sentences: int


def support_score(sentence: str, passage: str) -> float:
    """Share of the sentence's distinct content terms (stemmed, no stopwords) found in the passage."""
    wanted = set(terms(_MARKER.sub(" ", sentence)))
    if not wanted:
        return 0.0
    return len(wanted & set(terms(passage))) / len(wanted)


def supports(sentence: str, passage: str, threshold: float = SUPPORT_THRESHOLD) -> bool:
    return support_score(sentence, passage) >= threshold


def cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences (markers removed) with the marker numbers each carries.

    Markers that open a sentence ("... growth. [2] Next") belong to the sentence before.
    """
    pieces: list[tuple[str, list[int]]] = []
    for span in split_sentences(text):
        piece = span.text
        lead = _LEADING_MARKERS.match(piece)
        if lead and pieces:
            pieces[-1][1].extend(_numbers(lead.group(0)))
            piece = piece[lead.end() :]
        plain = strip_markers(piece)
        if plain.strip(string.punctuation + " "):
            pieces.append((plain, _numbers(piece)))
    return [(sentence, list(dict.fromkeys(numbers))) for sentence, numbers in pieces]


def strip_markers(text: str) -> str:
    """Answer text without citation markers, so "[1]" does not count as the word "1"."""
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(_MARKER.sub(" ", text).split()))


def _numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            bounds = [int(x) for x in re.split(r"[-–]", part) if x.strip()]
            numbers.extend(range(bounds[0], bounds[-1] + 1) if len(bounds) == 2 else bounds)
    return numbers


def citation_scores(
    answer: Answer, gold_answers: Sequence[str], threshold: float = SUPPORT_THRESHOLD
) -> CitationScores:
    """Citation precision and recall in the spirit of ALCE, with term overlap standing in for NLI.

    A citation is good when its passage (full text, found by chunk_id among `answer.passages`;
    the quote when absent) contains a gold answer or supports the sentence it is attached to.
    A marker with no matching citation is a bad citation. precision = good / all citations;
    recall = share of answer sentences with a good citation, or whose cited passages together
    support them.
    """
    if answer.abstained:
        return CitationScores(None, None, 0, 0)
    by_number = {c.n: c for c in answer.citations}
    texts = {p.chunk_id: p.text for p in answer.passages}
    total = good = supported = 0
    sentences = cited_sentences(answer.answer)
    for sentence, numbers in sentences:
        cited = [_cited_text(by_number.get(n), texts) for n in numbers]
        verdicts = [
            t is not None and (contains_answer(t, gold_answers) or supports(sentence, t, threshold)) for t in cited
        ]
        total += len(verdicts)
        good += sum(verdicts)
        together = " ".join(t for t in cited if t)
        if any(verdicts) or (together and supports(sentence, together, threshold)):
            supported += 1
    return CitationScores(_ratio(good, total), _ratio(supported, len(sentences)), total, len(sentences))


def _cited_text(citation: Citation | None, texts: dict[str, str]) -> str | None:
    if citation is None:
        return None
    return texts.get(citation.chunk_id, citation.quote)


def abstention_metrics(answerable: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float | None]:
    """Abstention as detection of unanswerable questions (positives), plus false abstentions.

    precision: share of abstentions that were on unanswerable questions;
    recall: share of unanswerable questions abstained on;
    false_abstention_rate: share of answerable questions abstained on.
    A value is None when its denominator is zero.
    """
    pairs = list(zip(answerable, abstained, strict=True))
    true_pos = sum(1 for ok, out in pairs if not ok and out)
    abstentions = sum(1 for _, out in pairs if out)
    unanswerable = sum(1 for ok, _ in pairs if not ok)
    answerable_n = len(pairs) - unanswerable
    false_abstentions = sum(1 for ok, out in pairs if ok and out)
    return {
        "abstention_precision": _ratio(true_pos, abstentions),
        "abstention_recall": _ratio(true_pos, unanswerable),
        "false_abstention_rate": _ratio(false_abstentions, answerable_n),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation), None for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def latency_summary(values_ms: Sequence[float], prefix: str = "latency") -> dict[str, float | None]:
    return {f"{prefix}_p50_ms": percentile(values_ms, 50), f"{prefix}_p95_ms": percentile(values_ms, 95)}


def mean(values: Sequence[float | bool | None]) -> float | None:
    """Mean of the defined values; None when there are none."""
    defined = [float(v) for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
