"""Sentence-level evidence: split passages into sentences and score them against a question.

Shared by the extractive answerer (which sentences answer?) and abstention (does anything?).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.facts import CAPITALISED as _CAPITALISED
from rag.answer.facts import SentenceFacts, facts_of
from rag.text.analyze import terms, words
from rag.text.memo import PASSAGE_CHARS, per_text
from rag.text.sentences import Span
from rag.types import Passage

# Words that say what kind of answer is wanted ("how many", "what year"), not what it is about.
_ANSWER_TYPE_WORDS = frozenset("mani much name call year type kind often money go get".split())
_MONEY_WORDS = re.compile(r"\b(?:how much|cost|price|paid|pay|spen[dt]|worth|fund\w*|invest\w*|budget|revenue|money)\b")
_CONDENSED = re.compile(r"^(?P<main>.*\S)\s+\((?P<context>[^()]*)\)\s*$")
QUESTION_OPENERS = frozenset(
    "what which who whom whose when where why how is are was were do does did can could in on at for by according".split()
)


@dataclass(slots=True)
class Sentence:
    """One sentence of a retrieved passage; `span` offsets are within the passage text."""

    passage: int  # 0-based index into the passages as given
    position: int  # index of the sentence within its passage
    span: Span
    terms: Sequence[str]
    term_set: frozenset[str]
    facts: SentenceFacts  # what the sentence holds regardless of the question, worked out once


@dataclass(frozen=True, slots=True)
class Question:
    terms: frozenset[str]
    kind: str  # money | number | date | person | place | other
    names: frozenset[str]  # stemmed terms the question capitalised (names, places, products)
    numbers: frozenset[str]
    # Neighbouring content terms of the question, in order ("titl philo", "philo work"): a sentence
    # that keeps them together states the asked-about phrase, not just its words scattered.
    pairs: frozenset[tuple[str, str]] = frozenset()


def passage_sentences(passages: Sequence[Passage], folded: bool = False) -> list[Sentence]:
    """Every sentence of the passages; `folded`: terms with possessives folded, as abstention compares them.

    The Sentence objects are shared between answers (the same chunks come back question after
    question): read them, never change them.
    """
    out: list[Sentence] = []
    for i, passage in enumerate(passages):
        text = passage.text
        out.extend(
            _sentences(text, i, folded) if len(text) <= PASSAGE_CHARS else _sentences.__wrapped__(text, i, folded)
        )
    return out


@lru_cache(maxsize=8_192)
def _sentences(text: str, passage: int, folded: bool) -> tuple[Sentence, ...]:
    if folded:
        return tuple(Sentence(passage, j, f.span, f.folded, f.folded_set, f) for j, f in enumerate(facts_of(text)))
    return tuple(Sentence(passage, j, f.span, f.terms, f.term_set, f) for j, f in enumerate(facts_of(text)))


@per_text(maxsize=8_192, max_chars=PASSAGE_CHARS)
def passage_term_set(text: str) -> frozenset[str]:
    """The terms of all of a passage's sentences (unfolded), joined in sentence order once per text."""
    found: frozenset[str] = frozenset()
    for f in facts_of(text):
        found = found | f.term_set
    return found


def idf_table(sentences: Sequence[Sentence]) -> tuple[dict[str, float], float]:
    """BM25 IDF of each term over the sentences, and the IDF of a term found in none.

    The table is shared between calls over the same sentences (the same passages come back for
    many questions): read it, never change it.
    """
    return _idf(tuple(s.term_set for s in sentences))


@lru_cache(maxsize=1_024)
def _idf(term_sets: tuple[frozenset[str], ...]) -> tuple[dict[str, float], float]:
    n = len(term_sets)
    df = Counter(t for found in term_sets for t in found)
    idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
    return idf, math.log(1 + (n + 0.5) / 0.5)


# The same question is analysed by abstention, scoring, selection and the notes of one answer.
@lru_cache(maxsize=4_096)
def analyse_question(question: str) -> Question:
    lowered = " ".join(words(question))
    content = [t for t in terms(question) if t not in _ANSWER_TYPE_WORDS]
    names = frozenset(question_names(question))
    # The condenser's appended context words ("(AWS Japan data centres)") are key words, not a phrase.
    asked = [t for t in terms(split_condensed(question)[0]) if t not in _ANSWER_TYPE_WORDS]
    return Question(
        terms=frozenset(content),
        kind=answer_kind(lowered),
        names=names,
        numbers=frozenset(re.findall(r"\d[\d,.]*", question)),
        # A two-word name ("Veldt Dynamics") is one thing, already counted by coverage.
        pairs=frozenset(pair for pair in zip(asked, asked[1:]) if not names.issuperset(pair)),
    )


def split_condensed(question: str) -> tuple[str, str]:
    """The question itself and the context words the condenser appended in parentheses."""
    match = _CONDENSED.match(question)
    if match is None or not re.search(r"[?.!]\s*$", match.group("main")):
        return question, ""
    return match.group("main"), match.group("context")


def answer_kind(lowered: str) -> str:
    """The kind of answer a question asks for, from its wh-phrase."""
    if re.search(r"\bhow much\b", lowered) and _MONEY_WORDS.search(lowered.replace("how much", "")):
        return "money"
    if re.search(
        r"\bhow (?:many|much|long|far|old|large|big|tall|high|few|often|fast)\b|\bwhat (?:percentage|percent|number|amount|proportion|fraction|size)\b",
        lowered,
    ):
        return "number"
    if re.search(r"\bwhen\b|\b(?:what|which) (?:year|years|date|day|month|century|decade|time|period|era)\b", lowered):
        return "date"
    if re.search(
        r"\bwho\b|\bwhom\b|\bwhose\b|\b(?:what|which) (?:person|man|woman|company|organization|group|team|king|president)\b",
        lowered,
    ):
        return "person"
    if re.search(
        r"\bwhere\b|\b(?:what|which) (?:country|city|state|place|region|location|continent|island|river|area)\b",
        lowered,
    ):
        return "place"
    return "other"


def question_names(question: str) -> list[str]:
    """Stemmed terms the question writes with a capital (its first word excepted)."""
    names: list[str] = []
    for i, match in enumerate(_CAPITALISED.finditer(question)):
        word = match.group(0)
        if i == 0 and match.start() == len(question) - len(question.lstrip()) and word.lower() in QUESTION_OPENERS:
            continue
        names.extend(terms(word))
    return names


def coverage(question: Question, found: frozenset[str], idf: dict[str, float], unseen: float) -> float:
    """IDF-weighted share of the question's terms that `found` contains (0..1)."""
    return coverer(question, idf, unseen)(found)


def coverer(question: Question, idf: dict[str, float], unseen: float) -> Callable[[frozenset[str]], float]:
    """`coverage` of one question over one IDF table, its denominator summed once for every sentence."""
    asked = question.terms
    total = sum(idf.get(t, unseen) for t in asked)
    # The same terms summed in the same order as `idf.get(t, unseen)` would give: identical floats.
    weight = {t: idf.get(t, unseen) for t in asked}.__getitem__

    def cover(found: frozenset[str]) -> float:
        if total == 0:
            return 0.0
        return sum(map(weight, asked & found)) / total

    return cover


def phrase_match(question: Question, sentence: Sentence, idf: dict[str, float], unseen: float) -> float:
    """IDF-weighted share of the question's neighbouring term pairs that stand side by side in the
    sentence (0..1): a pair of rare terms ("research grants") says more than common ones."""
    if not question.pairs or len(sentence.term_set & question.terms) < 2:
        return 0.0
    found = sentence.terms
    side_by_side = {pair for pair in zip(found, found[1:]) if pair in question.pairs}
    if not side_by_side:
        return 0.0

    def weight(pair: tuple[str, str]) -> float:
        return idf.get(pair[0], unseen) + idf.get(pair[1], unseen)

    return sum(map(weight, side_by_side)) / sum(map(weight, question.pairs))


def kind_match(question: Question, sentence: Sentence) -> bool:
    """Whether the sentence holds a candidate answer of the kind the question asks for."""
    facts = sentence.facts
    if question.kind == "money":
        return facts.money or facts.percent
    if question.kind == "number":
        return facts.has_number(question.numbers)
    if question.kind == "date":
        return facts.date
    if question.kind in ("person", "place"):
        return bool(facts.names - question.terms)
    return len(sentence.term_set - question.terms) >= 2


def penalty(sentence: Sentence) -> float:
    """Evidence a sentence is not a statement: a question, a fragment, page furniture (see rag.answer.facts)."""
    return sentence.facts.penalty
