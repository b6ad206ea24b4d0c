"""Sentence-level evidence: split passages into sentences and score them against a question.

Shared by the extractive answerer (which sentences answer?) and abstention (does anything?).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.figures import MONEY, PERCENT, has_date, has_number
from rag.text.analyze import terms, words
from rag.text.sentences import Span, split_sentences
from rag.types import Passage

_BOILERPLATE = re.compile(
    r"\b(?:click|subscribe|sign up|share on|share this|read more|cookies?|newsletter|comments?|"
    r"all rights reserved|advertisement|follow us|min read|print)\b|©",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w’'.-]*[A-Za-z0-9]|\b[A-Z]\b")
# Words that say what kind of answer is wanted ("how many", "what year"), not what it is about.
_ANSWER_TYPE_WORDS = frozenset("mani much name call year type kind often money go get".split())
_MONEY_WORDS = re.compile(r"\b(?:how much|cost|price|paid|pay|spen[dt]|worth|fund\w*|invest\w*|budget|revenue|money)\b")
_QUESTION_OPENERS = frozenset("what which who whom whose when where why how is are was were do does did can could in on at for by according".split())


@dataclass(slots=True)
class Sentence:
    """One sentence of a retrieved passage; `span` offsets are within the passage text."""

    passage: int  # 0-based index into the passages as given
    position: int  # index of the sentence within its passage
    span: Span
    terms: list[str]
    term_set: frozenset[str]


@dataclass(frozen=True, slots=True)
class Question:
    terms: frozenset[str]
    kind: str  # money | number | date | person | place | other
    names: frozenset[str]  # stemmed terms the question capitalised (names, places, products)
    numbers: frozenset[str]


def passage_sentences(passages: Sequence[Passage]) -> list[Sentence]:
    out: list[Sentence] = []
    for i, passage in enumerate(passages):
        for j, span in enumerate(split_sentences(passage.text)):
            found = terms(span.text)
            out.append(Sentence(i, j, span, found, frozenset(found)))
    return out


def idf_table(sentences: Sequence[Sentence]) -> tuple[dict[str, float], float]:
    """BM25 IDF of each term over the sentences, and the IDF of a term found in none."""
    n = len(sentences)
    df = Counter(t for s in sentences for t in s.term_set)
    idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
    return idf, math.log(1 + (n + 0.5) / 0.5)


def analyse_question(question: str) -> Question:
    lowered = " ".join(words(question))
    return Question(
        terms=frozenset(terms(question)) - _ANSWER_TYPE_WORDS,
        kind=answer_kind(lowered),
        names=frozenset(question_names(question)),
        numbers=frozenset(re.findall(r"\d[\d,.]*", question)),
    )


def answer_kind(lowered: str) -> str:
    """The kind of answer a question asks for, from its wh-phrase."""
    if re.search(r"\bhow much\b", lowered) and _MONEY_WORDS.search(lowered.replace("how much", "")):
        return "money"
    if re.search(r"\bhow (?:many|much|long|far|old|large|big|tall|high|few|often|fast)\b|\bwhat (?:percentage|percent|number|amount|proportion|fraction|size)\b", lowered):
        return "number"
    if re.search(r"\bwhen\b|\b(?:what|which) (?:year|years|date|day|month|century|decade|time|period|era)\b", lowered):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\b(?:what|which) (?:person|man|woman|company|organization|group|team|king|president)\b", lowered):
        return "person"
    if re.search(r"\bwhere\b|\b(?:what|which) (?:country|city|state|place|region|location|continent|island|river|area)\b", lowered):
        return "place"
    return "other"


def question_names(question: str) -> list[str]:
    """Stemmed terms the question writes with a capital (its first word excepted)."""
    names: list[str] = []
    for i, match in enumerate(_CAPITALISED.finditer(question)):
        word = match.group(0)
        if i == 0 and match.start() == len(question) - len(question.lstrip()) and word.lower() in _QUESTION_OPENERS:
            continue
        names.extend(terms(word))
    return names


def coverage(question: Question, found: frozenset[str], idf: dict[str, float], unseen: float) -> float:
    """IDF-weighted share of the question's terms that `found` contains (0..1)."""
    total = sum(idf.get(t, unseen) for t in question.terms)
    if total == 0:
        return 0.0
    return sum(idf.get(t, unseen) for t in question.terms & found) / total


def kind_match(question: Question, sentence: Sentence) -> bool:
    """Whether the sentence holds a candidate answer of the kind the question asks for."""
    text = sentence.span.text
    if question.kind == "money":
        return bool(MONEY.search(text) or PERCENT.search(text))
    if question.kind == "number":
        return has_number(text, question.numbers)
    if question.kind == "date":
        return has_date(text)
    if question.kind in ("person", "place"):
        names = {t for w in _CAPITALISED.findall(text)[1:] for t in terms(w)}
        return bool(names - question.terms)
    return len(sentence.term_set - question.terms) >= 2


def penalty(sentence: Sentence) -> float:
    """Evidence a sentence is not a statement: a question, a fragment, page furniture."""
    text = sentence.span.text
    cost = 0.0
    if text.rstrip("\"'”’) ").endswith("?"):
        cost += 0.5
    if len(sentence.terms) < 3:
        cost += 0.3
    if _BOILERPLATE.search(text):
        cost += 0.3
    return cost
