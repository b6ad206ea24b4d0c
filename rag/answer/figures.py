"""Figures in text (money, percentages, counts, days, dates) and where sources disagree on them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text.analyze import terms
from rag.text.memo import SENTENCE_CHARS, per_text

_SCALE = r"(?:thousand|million|billion|trillion|bn|mn|m|k)\b"
MONEY = re.compile(
    rf"(?:(?:US|A|C|HK)?[$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?{_SCALE})?)"
    rf"|(?:\b\d[\d,]*(?:\.\d+)?\s?(?:{_SCALE}\s)?(?:dollars|euros|pounds|yen)\b)",
    re.IGNORECASE,
)
PERCENT = re.compile(r"\b\d[\d,]*(?:\.\d+)?\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)
COUNT = re.compile(rf"\b\d[\d,]*(?:\.\d+)?(?:\s{_SCALE})?", re.IGNORECASE)
WEEKDAY = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
# `\b(?:January|February|...|December)\b` and a day and year, with the names grouped by first
# letter, each group starting with its capital: the regex engine then skips ahead to the next
# capital instead of trying at every position (same matches, ~3.5x faster).
_MONTHS = "January February March April May June July August September October November December".split()
_MONTH_GROUPS = {name[0]: [m[1:] for m in _MONTHS if m[0] == name[0]] for name in _MONTHS}
MONTH = re.compile(
    "(?:" + "|".join(rf"{c}(?<!\w{c})(?:{'|'.join(rest)})" for c, rest in _MONTH_GROUPS.items()) + ")"
    r"\b(?:\s\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s\d{4})?"
)
YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})s?\b")
_CENTURY = re.compile(r"\bcentury\b|\d{1,2}(?:st|nd|rd|th)\b")
DIGIT = re.compile(r"\d")  # what every figure pattern needs: texts without one skip them
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens half first "
    "second third".split()
)
# A hedged figure ("nearly $3 billion") approximates; it does not contradict an exact one.
_HEDGE = re.compile(
    r"(?:nearly|almost|about|around|roughly|approximately|over|more than|less than|up to|some)\s*$", re.I
)
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}


@dataclass(frozen=True, slots=True)
class Figure:
    kind: str  # money | percent | count | weekday | date
    text: str
    value: float | None = None  # numeric kinds only


def find_figures(text: str) -> list[Figure]:
    """Figures in `text`, most specific kind first; hedged figures are skipped."""
    return list(_figures(text))


# Every answer to a question asking for a figure compares the same retrieved sentences again.
@per_text(maxsize=16_384, max_chars=SENTENCE_CHARS)
def _figures(text: str) -> tuple[Figure, ...]:
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in (
        ("money", MONEY),
        ("percent", PERCENT),
        ("weekday", WEEKDAY),
        ("date", MONTH),
        ("count", COUNT),
    ):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            if _HEDGE.search(text[: match.start()]) or (kind == "count" and YEAR.fullmatch(match.group(0))):
                continue
            found.append(
                Figure(
                    kind,
                    match.group(0).strip(),
                    _value(match.group(0)) if kind in ("money", "percent", "count") else None,
                )
            )
    return tuple(found)


def has_number(text: str, exclude: frozenset[str] = frozenset()) -> bool:
    """Whether `text` states a quantity (digits or number words) not already in `exclude`."""
    # Years are dates, not quantities: "How many ..." is rarely answered by "in 1887".
    if any(
        m.group(0) not in exclude and not YEAR.fullmatch(m.group(0)) for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", text)
    ):
        return True
    return any(w in NUMBER_WORDS and w not in exclude for w in re.findall(r"[a-z]+", text.lower()))


def has_date(text: str) -> bool:
    # Cheap tests first: a year or an ordinal needs a digit, a weekday ends in "day"; every text
    # of an index is tested when it is written, and most have neither.
    digit = DIGIT.search(text) is not None
    return bool(
        (digit and YEAR.search(text))
        or MONTH.search(text)
        or ("day" in text and WEEKDAY.search(text))
        or ((digit or "century" in text) and _CENTURY.search(text))
    )


def _value(text: str) -> float | None:
    number = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    if number is None:
        return None
    value = float(number.group(0).replace(",", ""))
    scale = re.search(_SCALE, text[number.end() :].lower())
    return value * _SCALES.get(scale.group(0), 1.0) if scale else value


def _unit(figure: Figure) -> str:
    # "$100 million" and "$110 million" share a unit; "3 million" people and "$3 million" do not.
    scale = re.search(_SCALE, figure.text.lower())
    return f"{figure.kind}:{scale.group(0) if scale else ''}"


def _conflict(a: Figure, b: Figure) -> bool:
    if a.kind != b.kind or a.text.lower() == b.text.lower():
        return False
    if a.kind == "weekday":
        return True
    if a.kind == "date":
        return False  # different events carry different dates; only weekdays are compared
    if a.value is None or b.value is None or a.value == b.value or _unit(a) != _unit(b):
        return False
    if a.kind == "count" and _unit(a) == "count:":
        # Bare small numbers (scores, ranks, counts of different things) differ all the time without
        # contradicting each other; only scaled amounts ("3 million" people) are compared.
        return False
    # Figures an order of magnitude apart measure different things, not the same one twice.
    return max(a.value, b.value) <= 1.5 * min(a.value, b.value)


def _about_same_thing(a: str, b: str) -> bool:
    ta, tb = _topic_terms(a), _topic_terms(b)
    shared = len(ta & tb)
    return shared >= 4 or (shared >= 2 and shared / (len(ta | tb) or 1) >= 0.3)


@per_text(maxsize=16_384, max_chars=2 * SENTENCE_CHARS)  # a sentence and the one before it
def _topic_terms(text: str) -> frozenset[str]:
    return frozenset(t for t in terms(text) if not t[0].isdigit() and t not in _SCALES)


def find_disagreements(
    sentences: Sequence[tuple[str, str] | tuple[str, str, str]], kinds: frozenset[str] | None = None
) -> list[str]:
    """Notes on figures that differ between sentences about the same thing.

    `sentences` are (text, marker) pairs, e.g. ("... $100 million ...", "[2]"), optionally with a
    third element: the text that says what the sentence is about (it and the sentence before it,
    since "The partnerships get $110 million" names its subject one sentence earlier). Each note
    reads "Sources differ on this figure: $100 million [2] vs $110 million [1]."
    """
    notes: list[str] = []
    seen: set[frozenset[str]] = set()
    figures = [(item[0], item[1], find_figures(item[0]), item[2] if len(item) > 2 else item[0]) for item in sentences]
    for i, (_text_a, marker_a, figs_a, topic_a) in enumerate(figures):
        asked_a = [fa for fa in figs_a if kinds is None or fa.kind in kinds]
        if not asked_a:
            continue  # nothing of the asked kinds to disagree about: skip comparing topics
        for _text_b, marker_b, figs_b, topic_b in figures[i + 1 :]:
            if not figs_b or marker_a == marker_b or not _about_same_thing(topic_a, topic_b):
                continue
            for fa in asked_a:
                if any(fb.text.lower() == fa.text.lower() for fb in figs_b if fb.kind == fa.kind):
                    continue  # both sources state this figure
                for fb in figs_b:
                    key = frozenset((fa.text.lower(), fb.text.lower()))
                    if key not in seen and _conflict(fa, fb) and not any(f.text == fb.text for f in figs_a):
                        seen.add(key)
                        what = "day" if fa.kind in ("weekday", "date") else "figure"
                        notes.append(f"Sources differ on this {what}: {fa.text} {marker_a} vs {fb.text} {marker_b}.")
    return notes
