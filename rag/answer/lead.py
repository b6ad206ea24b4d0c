"""Answer first: lead with the few words that answer ("$2.9 billion."), then the cited sentence.

Only when it is safe: the question asks for a typed answer (an amount, a count, a date, a
person, a place, an organisation), and the best sentence holds exactly one entity of that type
that the question does not already give, or several of which one stands next to the question's
words, clearly nearer than the rest. A short span that is the wrong one scores worse than a whole
sentence, so with candidates none of which stands out, or none, the answer stays the sentences
alone; and the sentence after a lead picked among several keeps them all (the extractive answerer).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.answer import entities
from rag.answer.figures import NUMBER_WORDS
from rag.answer.scoring import analyse_question
from rag.text.analyze import terms, words

_TIME_UNITS = r"(?:years|months|weeks|days|decades|hours|minutes)"
# Entity labels (spaCy's OntoNotes set) that answer each kind of question, most specific first.
_KINDS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (
        re.compile(
            r"\bhow much (?:money|did|does|do|will|has|have|is|was|were|are|would|could)\b|\b(?:what|which) (?:was |is |were )?(?:the )?(?:amount|sum|value|cost|price)\b"
        ),
        frozenset({"MONEY"}),
    ),
    (re.compile(r"\b(?:what|which) (?:percentage|percent|share|proportion)\b"), frozenset({"PERCENT"})),
    (re.compile(rf"\bhow many {_TIME_UNITS}\b"), frozenset({"DATE", "TIME"})),  # "over how many years": a span of time
    (re.compile(r"\bhow many\b"), frozenset({"CARDINAL", "QUANTITY"})),
    (
        re.compile(
            r"\bhow long\b|\b(?:over|for|across|within) (?:what|which|how long a) (?:period|time|span|timeframe|time span)\b"
        ),
        frozenset({"DATE"}),
    ),
    (
        re.compile(r"^(?:in |by |since |until )?(?:what|which) (?:year|date|day|month|decade|century)\b|^when\b"),
        frozenset({"DATE", "TIME"}),
    ),
    (re.compile(r"^(?:who|whom)\b|\bwho (?:is|was|will|has|had|leads|heads|runs)\b"), frozenset({"PERSON"})),
    (
        re.compile(
            r"\b(?:what|which) (?:\w+ )?(?:company|companies|firm|organi[sz]ation|group|agency|university|team|chipmaker|bank)\b"
        ),
        frozenset({"ORG"}),
    ),
    (
        re.compile(r"^where\b|\b(?:what|which) (?:\w+ )?(?:city|country|state|town|prefecture|region|nation)\b"),
        frozenset({"GPE", "LOC", "FAC"}),
    ),
)


_YEAR_ASKED = re.compile(r"\b(?:what|which) year\b")
_YEAR = re.compile(r"\b\d{4}\b")
_DURATION_ASKED = re.compile(
    rf"\bhow long\b|\bhow many {_TIME_UNITS}\b|\b(?:what|which|how long a) (?:period|time span|span|timeframe)\b"
)
_DURATION = re.compile(
    rf"\b(?:\d[\d,.]*|{'|'.join(sorted(NUMBER_WORDS))}|several|few|next|past|coming)[\s-]+(?:\w+\s+)?"
    r"(?:years?|months?|weeks?|days?|decades?|hours?|centur(?:y|ies))\b",
    re.IGNORECASE,
)


_COUNTS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_QUALIFIERS = frozenset(
    "about around almost nearly over under more less than up to some roughly approximately at least".split()
)


def _figure_word(word: str) -> bool:
    """Whether a figure span may start with this word: "4,000", "$2.9", "three", "about", "more"."""
    lowered = word.lower()
    return any(ch.isdigit() for ch in word) or word[:1] in "$€£¥" or lowered in NUMBER_WORDS or lowered in _QUALIFIERS


# ", and over what period?": a second question joined to the first.
_SECOND_PART = re.compile(
    r",?\s+(?:and|as well as)\s+(?=(?:\w+\s+){0,2}(?:how|what|which|who|whom|when|where)\b)", re.IGNORECASE
)


@lru_cache(maxsize=4096)  # asked once per candidate sentence and part: one question, many calls
def wanted_labels(question: str) -> frozenset[str] | None:
    """The entity labels that answer the question, or None when it asks for something untyped."""
    lowered = " ".join(words(question))
    for pattern, labels in _KINDS:
        if pattern.search(lowered):
            return labels
    return None


def lead_span(question: str, sentence: str, part: str | None = None, nearest: bool = False) -> str | None:
    """The one entity of the asked type in `sentence` that the question does not give, else None.
    `part` is the part of a two-part question to answer (its type); the whole question says what is given.
    `nearest`: of several, the one clearly closest to the question's words (`_next_to_question`)."""
    labels = wanted_labels(part or question)
    if labels is None or not entities.available():
        return None
    found = [
        (text, at)
        for text, label, at in entities.entities(sentence)
        if label in labels and not entities.given(text, question)
    ]
    lowered = " ".join(words(part or question))
    # "Over what period" wants a span of time ("the next decade"), not "this month"; "what year" a year.
    for asked, shape in ((_DURATION_ASKED, _DURATION), (_YEAR_ASKED, _YEAR)):
        if asked.search(lowered):
            found = [(text, at) for text, at in found if shape.search(text)]
    candidates = list(dict.fromkeys(text for text, _ in found))
    if nearest and len(candidates) > 1:
        closest = _next_to_question(found, sentence, question)
        candidates = [closest] if closest is not None else candidates
    if len(candidates) != 1:
        return None
    span = candidates[0].strip(" ,;:")
    if _YEAR_ASKED.search(lowered):
        span = _YEAR.search(span).group(0)  # type: ignore[union-attr]  # filtered above
    if labels & _COUNTS:  # the small model sometimes takes a verb along: "train 4,000"
        kept = span.split()
        while kept and not _figure_word(kept[0]):
            kept.pop(0)
        span = " ".join(kept)
    if not span or len(span.split()) > 8:
        return None
    return span


_TOKEN = re.compile(r"\S+")
# A candidate at most this many characters from a question word, and nearer than any other, is
# the one that answers: SQuAD tuning half, 46% exact against 76% for a sentence's sole candidate.
NEXT_TO = 20


def _next_to_question(found: list[tuple[str, int]], sentence: str, question: str) -> str | None:
    """Of several candidates, the one standing closest to a word of the question, when it is
    clearly closer than the rest (within NEXT_TO characters, nearer than any other)."""
    asked = analyse_question(question).terms
    hits = [(m.start(), m.end()) for m in _TOKEN.finditer(sentence) if asked.intersection(terms(m.group(0)))]
    if not hits:
        return None
    gaps = sorted((min(max(start - at - len(text), at - end, 0) for start, end in hits), text) for text, at in found)
    (best, text), (second, other) = gaps[0], gaps[1]
    if best > NEXT_TO or best == second or text == other:
        return None
    return text


def asked_parts(question: str) -> list[str]:
    """A two-part question's parts ("How much will Oracle invest, and over what period?"), each
    asking for a typed answer; otherwise the question alone."""
    parts = _SECOND_PART.split(question, maxsplit=1)
    return parts if len(parts) == 2 and all(wanted_labels(p) for p in parts) else [question]


def adds_asked_part(question: str, first: str, candidate: str) -> bool | None:
    """Whether a further sentence gives an asked-for part that the first does not: a part of a
    two-part question, or the asked type where the first sentence holds none. None without the
    tagger or for an untyped question (the caller's rules decide)."""
    if not entities.available():
        return None
    parts = [p for p in asked_parts(question) if wanted_labels(p)]
    if not parts:
        return None
    return any(not _typed(question, first, part) and _typed(question, candidate, part) for part in parts)


def _typed(question: str, sentence: str, part: str) -> bool:
    """Whether `sentence` names something of the type `part` asks for that the question does not give."""
    labels = wanted_labels(part) or frozenset()
    return any(label in labels and not entities.given(t, question) for t, label, _ in entities.entities(sentence))


def lead_spans(question: str, sentence: str, nearest: bool = False) -> list[str]:
    """The spans that lead the answer: one per asked part that the sentence answers."""
    spans = [lead_span(question, sentence, part, nearest) for part in asked_parts(question)]
    return list(dict.fromkeys(span for span in spans if span))


def lead_line(question: str, sentence: str, marker: str) -> str | None:
    """The lead as its own cited sentence ("$2.9 billion. [1]"; "More than $8 billion; the next
    decade. [1]" for both parts of a two-part question), or None."""
    found = [span.rstrip(".") for span in lead_spans(question, sentence, nearest=True)]
    if not found:
        return None
    text = "; ".join(found)
    return f"{text[0].upper()}{text[1:]}. {marker}".strip()  # a sentence: "The next decade."
