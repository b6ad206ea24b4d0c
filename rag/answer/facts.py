"""Question-independent facts about a passage's sentences, computed once per chunk text.

Every answer reads the same few retrieved chunks: their sentence spans, stemmed terms (plain
and with possessives folded, as abstention compares them), whether a sentence holds an amount,
a percentage, a date, which numbers and number words it states, the names it capitalises, and
how much it looks like page furniture. None of that depends on the question, so it is worked
out when a chunk is written (the folder store keeps it in the catalog's `facts` column, in the
same commit as the chunk) and otherwise on first use; either way it is remembered per text.

A stored analysis carries `VERSION`, a digest of the source of the code that produces it: when
that code changes, stored facts no longer match and are recomputed lazily (answers never
depend on stale facts); `rag index --rebuild` stores fresh ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

from rag.answer import stored_facts
from rag.answer.figures import DIGIT, MONEY, NUMBER_WORDS, PERCENT, YEAR, has_date
from rag.text.analyze import fresh_terms, stem, terms
from rag.text.memo import PASSAGE_CHARS, TextCache
from rag.text.sentences import Span, split_sentences

# Page furniture: words of buttons, banners and footers, not of statements.
_FURNITURE_WORDS = (
    "click",
    "subscribe",
    "sign up",
    "share on",
    "share this",
    "read more",
    "cookies?",
    "newsletter",
    "comments?",
    "all rights reserved",
    "advertisement",
    "follow us",
    "min read",
    "print",
)
_FURNITURE = "|".join(_FURNITURE_WORDS)
# What an ASCII sentence must contain, lower-cased, for _BOILERPLATE to match it.
_FURNITURE_LITERALS = tuple(word.removesuffix("s?") for word in _FURNITURE_WORDS)
_BOILERPLATE = re.compile(rf"\b(?:{_FURNITURE})\b|©", re.IGNORECASE)
# `\b[A-Z][\w’'.-]*[A-Za-z0-9]|\b[A-Z]\b`, written to start with one character class so that
# the regex engine skips ahead to the next capital (same matches, ~1.9x faster).
CAPITALISED = re.compile(r"[A-Z](?<!\w[A-Z])(?:[\w’'.-]*[A-Za-z0-9]|\b)")
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
# The runs of [a-z] that are number words: the words of `[a-z]+` found in NUMBER_WORDS, in order,
# without making a string of every word. Matched with the character before the word (found in
# " " + text) rather than a look-behind: the engine then tries only after a non-letter.
_NUMBER_WORD = re.compile(rf"[^a-z]((?:{'|'.join(sorted(NUMBER_WORDS))}))(?![a-z])")
_MONEY_BIT, _PERCENT_BIT, _DATE_BIT = 1, 2, 4
# What json.dumps(..., ensure_ascii=False, separators=(",", ":")) builds on every call, built once.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_CURRENCY_WORDS = ("dollars", "euros", "pounds", "yen")  # MONEY's words, for ASCII text without "$"


def _code_version() -> str:
    """A digest of the modules whose rules decide the facts: edit one and stored facts go stale."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in (
        here / "facts.py",
        here / "figures.py",
        here.parent / "text" / "analyze.py",
        here.parent / "text" / "sentences.py",
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


VERSION = _code_version()


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    span: Span
    terms: tuple[str, ...]
    folded: tuple[str, ...]  # terms with possessives folded ("Microsoft's" -> "microsoft")
    term_set: frozenset[str]
    folded_set: frozenset[str]
    flags: int  # money | percent | date bits
    penalty: float  # a question, a fragment, page furniture (see rag.answer.scoring.penalty)
    names: frozenset[str]  # stemmed terms of the words capitalised after the first
    numbers: tuple[str, ...]  # digit runs that are not years
    number_words: tuple[str, ...]  # "three", "million", ...

    @property
    def money(self) -> bool:
        return bool(self.flags & _MONEY_BIT)

    @property
    def percent(self) -> bool:
        return bool(self.flags & _PERCENT_BIT)

    @property
    def date(self) -> bool:
        return bool(self.flags & _DATE_BIT)

    def has_number(self, exclude: frozenset[str]) -> bool:
        """`rag.answer.figures.has_number` of the sentence, from the numbers found once."""
        return any(n not in exclude for n in self.numbers) or any(w not in exclude for w in self.number_words)


def fold(term: str) -> str:
    """ "Microsoft's" is "Microsoft": the possessive of a term folded into the term."""
    return stem(term[:-2]) if term.endswith("'s") and len(term) > 2 else term


def analyse(text: str) -> tuple[SentenceFacts, ...]:
    """The facts of every sentence of `text`, in order."""
    out = []
    for span in split_sentences(text):
        found = tuple(terms(span.text))
        out.append(_facts(span, found, **_worked_out(span.text, found)))
    return tuple(out)


def _sentence(span: Span, found: tuple[str, ...], **known: object) -> SentenceFacts:
    """One sentence's facts; `known` ones (flags, penalty, ... as stored) are not worked out again."""
    return _facts(span, found, **(known or _worked_out(span.text, found)))


def _worked_out(text: str, found: tuple[str, ...] | list[str]) -> dict:
    """The facts of a sentence beyond its span and terms, as `_facts` takes them.

    Every chunk of an index goes through here when it is written, so the figure patterns are
    tried only on sentences that hold a digit, and on ASCII text a test for the literal words a
    pattern needs (exact: ASCII text matches IGNORECASE patterns as its lower-case does) comes first.
    """
    lowered = text.lower()
    ascii_ = text.isascii()
    digit = DIGIT.search(text) is not None
    money = digit and (not ascii_ or "$" in text or any(w in lowered for w in _CURRENCY_WORDS)) and MONEY.search(text)
    percent = digit and (not ascii_ or "%" in text or "per" in lowered) and PERCENT.search(text)
    flags = (_MONEY_BIT if money else 0) | (_PERCENT_BIT if percent else 0) | (_DATE_BIT if has_date(text) else 0)
    cost = 0.0
    if text.rstrip("\"'”’) ").endswith("?"):
        cost += 0.5
    if len(found) < 3:
        cost += 0.3
    if (not ascii_ or any(w in lowered for w in _FURNITURE_LITERALS)) and _BOILERPLATE.search(text):
        cost += 0.3
    names = frozenset(chain.from_iterable(map(_word_terms, CAPITALISED.findall(text)[1:])))
    numbers = tuple(m for m in _DIGITS.findall(text) if not YEAR.fullmatch(m)) if digit else ()
    number_words = tuple(_NUMBER_WORD.findall(" " + lowered))
    return {"flags": flags, "penalty": cost, "names": names, "numbers": numbers, "number_words": number_words}


@lru_cache(maxsize=65_536)
def _word_terms(word: str) -> tuple[str, ...]:
    return tuple(terms(word))


def _facts(
    span: Span,
    found: tuple[str, ...],
    *,
    flags: int,
    penalty: float,
    names: frozenset[str],
    numbers: tuple[str, ...],
    number_words: tuple[str, ...],
) -> SentenceFacts:
    folded = tuple(fold(t) for t in found)
    return SentenceFacts(
        span, found, folded, frozenset(found), frozenset(folded), flags, penalty, names, numbers, number_words
    )


# -- remembered per text, and stored with the chunk --------------------------------------------

_CACHE: TextCache[tuple[SentenceFacts, ...]] = TextCache(maxsize=8_192, max_chars=PASSAGE_CHARS)
# Facts read from the index with their chunk, decoded only if the chunk is answered from.
_STORED = stored_facts.STORED
stored_facts.analysed_by(_CACHE.has)
remember = stored_facts.remember


def facts_of(text: str) -> tuple[SentenceFacts, ...]:
    """The facts of `text`: remembered, loaded from the index, or computed now."""
    return _CACHE.get(text, _load_or_analyse)


def dumps(text: str) -> bytes:
    """The facts of `text` as the store keeps them beside the chunk: zlib-compressed JSON (about
    half the size of the text; reading them back is ~10x cheaper than working them out)."""
    return dumps_with_terms(text)[0]


def dumps_with_terms(text: str) -> tuple[bytes, list[str]]:
    """`dumps(text)`, and the terms of its sentences in order, which indexing reuses for BM25."""
    rows = []
    all_terms: list[str] = []
    for span in split_sentences(text):
        found = fresh_terms(span.text)  # written once: not worth a place in the answers' memo
        all_terms.extend(found)
        known = _worked_out(span.text, found)
        rows.append(
            [
                span.start,
                span.end,
                found,
                known["flags"],
                known["penalty"],
                sorted(known["names"]),
                list(known["numbers"]),
                list(known["number_words"]),
            ]
        )
    data = _JSON.encode({"v": VERSION, "s": rows})
    return zlib.compress(data.encode("utf-8"), 6), all_terms


def _load_or_analyse(text: str) -> tuple[SentenceFacts, ...]:
    stored = _STORED.peek(text)
    loaded = loads(text, stored) if stored is not None else None
    return loaded if loaded is not None else analyse(text)


def loads(text: str, stored: bytes) -> tuple[SentenceFacts, ...] | None:
    """The facts `dumps` wrote for `text`; None when unreadable or written by other rules (stale)."""
    try:
        data = json.loads(zlib.decompress(stored))
        if not isinstance(data, dict) or data.get("v") != VERSION:
            return None
        return tuple(
            _sentence(
                Span(start, end, text[start:end]),
                tuple(found),
                flags=flags,
                penalty=penalty,
                names=frozenset(names),
                numbers=tuple(numbers),
                number_words=tuple(number_words),
            )
            for start, end, found, flags, penalty, names, numbers, number_words in data["s"]
        )
    except (TypeError, ValueError, KeyError, zlib.error):
        return None  # not the shape this version writes: computed from the text instead


def clear() -> None:
    _CACHE.clear()
    _STORED.clear()
