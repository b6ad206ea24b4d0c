"""What kind of answer a question asks for, and whether a sentence holds one (hand-written rules;
rag/answer/entities.py adds a trained tagger's view where it is installed)."""

from __future__ import annotations

import re

from rag.answer import scoring
from rag.answer.figures import MONEY, MONTH, NUMBER_WORDS, PERCENT, WEEKDAY, YEAR, has_date
from rag.answer.names import TITLES, TOKEN, same_name
from rag.text.analyze import STOPWORDS, stem, words

# "how many GPUs": a number stands at most this many words before the counted noun ("3 million Japanese workers").
COUNT_REACH = 4

# The condenser appends the previous question's key words: "And how many? (Microsoft Japan)".
_TIME_UNITS = r"(?:years?|months?|weeks?|days?|decades?|hours?|minutes?|centur(?:y|ies))"
_DURATION = re.compile(rf"\b(?:\d[\d,.]*|{'|'.join(sorted(NUMBER_WORDS))})[\s-]+{_TIME_UNITS}\b", re.I)
_RELATIVE_DATE = re.compile(
    r"\b(?:yesterday|today|tomorrow|ago|(?:last|next|this|earlier this|later this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)"
    r"|spring|summer|autumn|winter)\b",
    re.I,
)
_NAME_RUN = re.compile(r"\b[A-Z][a-z’'.-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-z’'.-]+)+")
_COUNTED_TIME = re.compile(rf"^\s*{_TIME_UNITS}\b", re.I)


def expected_type(question: str) -> str | None:
    """The kind of answer the question needs evidence of (money, count, percent, date, person),
    read from its first wh-phrase: "Who fumbled when tackled?" asks for a name, not a date."""
    lowered = " ".join(words(question))
    wh = re.search(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", lowered)
    if wh is None:
        return None
    phrase = lowered[wh.start() :]
    if scoring.answer_kind(phrase) == "money":
        return "money"
    if phrase.startswith("how many"):
        return "count"
    if re.match(r"(?:what|which) (?:percentage|percent|share|proportion)\b", phrase):
        return "percent"
    if re.match(r"when\b|(?:what|which) (?:year|years|date|day|month|weekday|century|decade|time|period)\b", phrase):
        return "date"
    if re.match(r"(?:who|whom)\b", phrase):
        return "person"
    return None


def role_of(question: str) -> str | None:
    """The role a who-question asks to fill: "director" in "Who will be the director of X?"."""
    match = re.search(
        r"\bwho (?:is|was|will be|are|were|has been|would be) (?:the|its|their) ((?:\w+ ){0,2}?\w+) (?:of|at|for|in|to)\b",
        " ".join(words(question)),
    )
    return match.group(1).split()[-1] if match else None


def has_type(wanted: str, text: str, question: str) -> bool:
    """Whether `text` holds an answer of the wanted kind that the question does not already give."""
    if wanted == "money":
        return bool(MONEY.search(text))
    if wanted == "percent":
        return bool(PERCENT.search(text))
    if wanted == "count":
        return _has_count(text, question)
    if wanted == "age":  # "How old is X?": a number an age can be, in words or of 1-3 digits (not a year)
        return any(w in NUMBER_WORDS - {"first", "second", "third"} or re.fullmatch(r"\d{1,3}", w) for w in words(text))
    if wanted == "date":  # "over what period" is answered by "two years"
        return has_date(text) or bool(_RELATIVE_DATE.search(text) or _DURATION.search(text))
    return _has_new_name(text, question)


def _has_count(text: str, question: str) -> bool:
    """A number counting the things asked about: not money, a percentage, a year or (unless
    asked) a duration; when the sentence names the counted things, the number must stand by them."""
    counted = re.search(r"\bhow many\s+([^\W_]+)", question, re.I)
    noun = counted.group(1).lower() if counted else ""
    time_asked = bool(_COUNTED_TIME.match(noun))
    for pattern in (MONEY, PERCENT, MONTH) + (() if time_asked else (_DURATION,)):
        text = pattern.sub(" ", text)
    asked = {w for w in words(question) if any(ch.isdigit() for ch in w) or w in NUMBER_WORDS}
    tokens = words(text)
    numbers = [
        i
        for i, w in enumerate(tokens)
        if w not in asked
        and not YEAR.fullmatch(w)
        and (w in NUMBER_WORDS - {"first", "second", "third"} or any(ch.isdigit() for ch in w))
    ]
    mentions = [i for i, w in enumerate(tokens) if noun and same_name(noun.rstrip("s"), w.rstrip("s"))]
    if not mentions:
        return bool(numbers)
    return any(0 < m - n <= COUNT_REACH for m in mentions for n in numbers)


def _has_new_name(text: str, question: str) -> bool:
    """A name the question does not give: two or more capitalised words ("Miki Tsusaka") or an
    acronym ("CBS"); and the role asked about where there is one ("director" for "Who will be
    the director of X?")."""
    role = role_of(question)
    if role and not any(stem(w) == stem(role) for w in words(text)):
        return False
    tokens = TOKEN.findall(text)
    if sum(t[:1].isupper() for t in tokens) > 0.6 * len(tokens):
        return False  # a headline in title case: every word looks like a name
    asked = {re.sub(r"['’]s$", "", w).lower() for w in TOKEN.findall(question)}
    if any(len(t) >= 3 and t.isupper() and t.isalpha() and t.lower() not in asked for t in tokens):
        return True
    for match in _NAME_RUN.finditer(text):
        parts = [re.sub(r"['’]s$", "", p).lower() for p in match.group(0).split()]
        if not text[: match.start()].strip() and re.search(r"(?:ing|ed|ly)$", parts[0]):
            parts = parts[1:]  # "Elevating Japan's position": a sentence's first word, not a name
        parts = [p for p in parts if p not in STOPWORDS and p not in TITLES]
        if len(parts) >= 2 and not any(
            p in asked or MONTH.fullmatch(p.title()) or WEEKDAY.fullmatch(p.title()) for p in parts
        ):
            return True
    return False
