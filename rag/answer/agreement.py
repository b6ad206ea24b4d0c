"""Whether a sentence's typed answer is the one the question asks for, not just one of its type.

Near-miss questions get past "an amount near the question's names": the articles discuss the
subject but never state the asked fact. A careful reader then notices that the only amount is
the one the question already gives ("How much will Arm add to the $100 million programme?"),
is in another currency ("How many pounds ..." against dollars), is a total where one share was
asked ("each"), that "one of the companies" counts nothing, that a date is less exact than
asked ("March 2024" for "which day of March", "in February" for "which year"), that the post
asked about is named for nobody ("country manager" where only a chief executive is named; read
with the trained parser, spaCy's en_core_web_sm, the `ner` extra), that "who founded" is not
answered by a sentence that does not say so, and that an age or a market value asked for is
given at all ("How old ...?" needs a number, "What was X's market value?" an amount said to be
one). What each costs on SQuAD and gains on the gold sets: docs/tuning.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from rag.answer import entities as ner
from rag.answer.answer_types import expected_type, has_type
from rag.answer.figures import MONEY, MONTH, NUMBER_WORDS, WEEKDAY, YEAR
from rag.text.analyze import stem, words

# The currency a question names, and the ways a sentence writes an amount in it.
_CURRENCIES = {
    "yen": re.compile(r"¥|\byen\b", re.I),
    "pound": re.compile(r"£|\bpounds?\b|\bsterling\b", re.I),
    "euro": re.compile(r"€|\beuros?\b", re.I),
    "dollar": re.compile(r"\$|\bdollars?\b", re.I),
}
_ASKED_CURRENCY = re.compile(r"\b(yen|pounds?|sterling|euros?|dollars?)\b", re.I)
# Pounds are also a weight: only a currency that is nothing else makes a question ask for money.
_CURRENCY_ASKED = re.compile(r"\b(?:in|into) (?:yen|euros|dollars|sterling|pounds sterling)\b", re.I)
_HOW_MANY = re.compile(r"\bhow many\b", re.I)
_MONEY_ASKED = re.compile(
    r"\bhow much (?:\w+ ){1,8}?(?:pa(?:y|id)|cost|spen[dt]|invest|donat|earn|commit|pledg)\w*"
    r"|\b(?:what|which) (?:is|was|are|were) (?:the |its |their )?(?:total |overall |annual )?(?:budget|cost|price|funding)\b",
    re.I,
)
# "What was X's stock market value?", "what is its annual revenue": a figure in money.
_VALUE_ASKED = re.compile(
    r"\b(?:what|which) (?:is|was|are|were) (?:the |its |their |\w+['’]s )?(?:\w+ ){0,2}?"
    r"(?:market value|market capitali[sz]ation|valuation|net worth|revenue|turnover|profit)s?\b",
    re.I,
)
# The sentence must name the measure: a $40 million fund a company pays into is not its value.
_VALUE_SAID = re.compile(r"\b(?:valu|worth|capitali[sz]|revenue|turnover|profit)", re.I)
_AGE_ASKED = re.compile(r"\bhow old\b", re.I)
# "How much does the Aare give the Rhine?" is water: get, give, contribute and put ask for money
# only where the question speaks of money ("from the grants", "to the $100 million programme").
_SHARE_ASKED = re.compile(r"\bhow much (?:\w+ ){1,8}?(?:get|receiv|giv|gave|contribut|put|rais|grant)\w*", re.I)
_MONEY_CONTEXT = re.compile(
    r"[$€£¥]|\b(?:grants?|funds?|funding|budget|money|investment|million|billion|dollars?)\b", re.I
)
# "How much does each project get?": one share, which a total does not give.
_DISTRIBUTIVE_ASKED = re.compile(r"\b(?:each|per|apiece)\b(?!\s+other\b)", re.I)
_DISTRIBUTIVE = re.compile(r"\b(?:each|per|apiece|a piece|every|individual(?:ly)?)\b|/", re.I)
# "On which day of March", "what date": a day-exact date; "which month": at least a month;
# "which year": a year, written or as "last year" (not "in February", not "46 years").
_YEAR_ASKED = re.compile(r"\b(?:which|what) year\b", re.I)
_STATED_YEAR = re.compile(
    r"\b(?:(?:last|this|next|that|the same|the following|the previous) year|a year (?:ago|earlier|later))\b", re.I
)
_DAY_ASKED = re.compile(r"\b(?:which|what) (?:exact )?(?:day|date)\b", re.I)
_MONTH_ASKED = re.compile(r"\b(?:which|what|in which|in what) month\b", re.I)
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DAY_OF_MONTH = re.compile(
    rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\b"
)
_FIGURE_TYPES = ("money", "count", "percent")


def asked_type(question: str) -> str | None:
    """The kind of answer the question asks for: the tagger's reading, an amount where money
    changes hands ("How much does each project get?", "... expressed in yen?"), else the rules'."""
    typed = ner.answer_type(question)
    if typed is None and (
        _MONEY_ASKED.search(question) or _CURRENCY_ASKED.search(question) or _VALUE_ASKED.search(question)
    ):
        return "money"
    if typed is None and _AGE_ASKED.search(question):
        return "age"
    if typed is None and _SHARE_ASKED.search(question) and _MONEY_CONTEXT.search(question):
        return "money"
    return typed or expected_type(question)


def holds_asked_answer(wanted: str, text: str, question: str) -> bool:
    """Whether `text` holds an answer of type `wanted` that is the one asked for (see the module doc)."""
    return ner.holds_answer(wanted, text, question, has_type) and all(check(wanted, text, question) for check in CHECKS)


def _new_figure(wanted: str, text: str, question: str) -> bool:
    """An amount, count or share that the question does not already state."""
    if wanted not in _FIGURE_TYPES:
        return True
    asked = set(_numbers(question)) | {w for w in words(question) if w in NUMBER_WORDS}
    found = _numbers(MONEY.sub(" ", text)) if wanted == "count" else _numbers(text)
    if wanted == "count":  # "ten teams" for "How many teams have a 15-1 record?"
        found += [w for w in words(text) if w in NUMBER_WORDS - {"first", "second", "third", "one"}]
    if wanted == "money":
        found = [n for m in MONEY.finditer(text) for n in _numbers(m.group(0))]
    return not found or any(n not in asked for n in found)


# "one of the companies", "one day": a word for one that counts nothing.
_NOT_A_COUNT = re.compile(r"\bone (?:of|another|day|time|way|side|hand)\b", re.I)


def _count_beyond_one_of(wanted: str, text: str, question: str) -> bool:
    """ "AWS is one of the companies paying ..." holds no count of anything for "how many"."""
    if wanted != "count" or not _NOT_A_COUNT.search(text):
        return True
    return has_type("count", _NOT_A_COUNT.sub(" ", text), question)


def _currency(wanted: str, text: str, question: str) -> bool:
    """ "How many pounds", "in yen": an amount in that currency, not a dollar figure."""
    match = _ASKED_CURRENCY.search(question)
    if match is None or wanted != "money" and not _MONEY_ASKED.search(_HOW_MANY.sub("how much", question)):
        return True
    name = {"pounds": "pound", "sterling": "pound", "euros": "euro", "dollars": "dollar"}.get(
        match.group(1).lower(), match.group(1).lower()
    )
    amounts = [m.group(0) for m in MONEY.finditer(text)]
    return any(_CURRENCIES[name].search(_around(text, a)) for a in amounts)


def _around(text: str, amount: str) -> str:
    """The amount with the words just after it ("5 billion yen")."""
    start = text.find(amount)
    return text[max(0, start - 3) : start + len(amount) + 12]


def _distributive(wanted: str, text: str, question: str) -> bool:
    if wanted not in _FIGURE_TYPES or not _DISTRIBUTIVE_ASKED.search(question):
        return True
    return bool(_DISTRIBUTIVE.search(text))


_COARSE = re.compile(
    rf"{_MONTHS}|\b\d{{4}}\b|\b(?:month|year|week|decade|century|season|spring|summer|autumn|winter)s?\b", re.I
)


def _named_day(text: str) -> bool:
    """A day the tagger reads as a date without a month or year in it: "Christmas Eve", "the next day"."""
    return any(label == "DATE" and not _COARSE.search(t) for t, label, _ in ner.entities(text))


def _date_precision(wanted: str, text: str, question: str) -> bool:
    if wanted != "date":
        return True
    if _DAY_ASKED.search(question):
        return bool(WEEKDAY.search(text) or _DAY_OF_MONTH.search(text) or _named_day(text))
    if _MONTH_ASKED.search(question):
        return bool(MONTH.search(text))
    if _YEAR_ASKED.search(question):
        return bool(YEAR.search(text) or _STATED_YEAR.search(text))
    return True


def _numbers(text: str) -> list[str]:
    return [w.replace(",", "") for w in words(text) if any(ch.isdigit() for ch in w)]


def _role(wanted: str, text: str, question: str) -> bool:
    """ "Who is Nvidia's country manager for Japan?": the post asked about must be named; a
    sentence naming only the chief executive does not say who the country manager is."""
    if wanted != "person":
        return True
    role = _asked_role(question)
    if role is None:
        return True
    said = {stem(w) for w in words(text)}
    return stem(role) in said or any(alias in said for alias in _ROLE_ALIASES.get(role, ()))


_ROLE_ALIASES = {"executive": ("ceo",), "officer": ("ceo", "cfo", "cto")}


@lru_cache(maxsize=4_096)
def _asked_role(question: str) -> str | None:
    """The common noun a copular who-question asks to fill: "manager", "president", "head"."""
    nlp = ner.model()
    if nlp is None:
        return None
    doc = nlp(question)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.lower_ not in ("is", "was", "are", "were", "be"):
        return None
    if not any(t.lower_ in ("who", "whom") for t in root.children):
        return None
    role = next((c for c in root.children if c.dep_ in ("nsubj", "attr") and c.pos_ == "NOUN"), None)
    # Posts only: "Westinghouse's chief rival" or "the singer" are described, not appointed.
    return role.lower_ if role is not None and role.lower_ in ner.JOBS else None


# "Who founded X?": a sentence naming X's chief executive does not say who founded it. Only
# founding: "who designed / invented / wrote" is as often answered by "built by", "the work of"
# (SQuAD, docs/tuning.md).
_ORIGIN_ASKED = re.compile(r"\bwho (?:first |originally |co-?)?(?:founded|established)\b", re.I)
_ORIGIN_SAID = re.compile(r"\b(?:co-?)?(?:found(?:ed|ers?|ing)?|establish\w*)\b", re.I)


def _origin(wanted: str, text: str, question: str) -> bool:
    """ "Who founded OpenAI?" needs a sentence that says who founded it ("founded", "founder")."""
    return wanted != "person" or not _ORIGIN_ASKED.search(question) or bool(_ORIGIN_SAID.search(text))


def _value(wanted: str, text: str, question: str) -> bool:
    """ "What is X's market value?" needs the amount said to be a value, not any amount near X."""
    return wanted != "money" or not _VALUE_ASKED.search(question) or bool(_VALUE_SAID.search(text))


CHECKS: tuple[Callable[[str, str, str], bool], ...] = (
    _new_figure,
    _count_beyond_one_of,
    _currency,
    _distributive,
    _date_precision,
    _role,
    _origin,
    _value,
)
