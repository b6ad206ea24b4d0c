"""Word analysis shared by BM25 and by answer-sentence scoring: lowercase, drop stopwords, stem."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import repeat
from typing import cast

import Stemmer

from rag.text.memo import SENTENCE_CHARS, per_text

_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom whose why will with would you your yours yourself yourselves also much many s t""".split()
)

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    # Numbers and dotted forms ("2.9", "u.s") are kept whole: stemming would mangle them.
    if not word.isalpha():
        return word
    return _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, numbers kept whole ("2.9", "u.s")."""
    return list(_words(text))


def terms(text: str) -> list[str]:
    """Stemmed content terms: what BM25 indexes and what overlap scoring compares."""
    return list(_terms(text))


# Answers analyse the same retrieved sentences again and again: remember them (see rag.text.memo).
@per_text(maxsize=32_768, max_chars=SENTENCE_CHARS)
def _words(text: str) -> tuple[str, ...]:
    return tuple(match.group(0).replace("’", "'") for match in _WORD.finditer(text.lower()))


@per_text(maxsize=32_768, max_chars=SENTENCE_CHARS)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(fresh_terms(text))


# Word as matched in lower-cased text -> its term (None for a stopword); per process. Indexing
# meets each sentence once but each word again and again: the work is done once per word.
_WORD_TERMS: dict[str, str | None] = {}
_MAX_WORDS = 1_000_000


def fresh_terms(text: str) -> list[str]:
    """`terms(text)` without remembering `text`: for text analysed once (indexing a chunk), where
    a per-text memo would only push out the sentences answers keep coming back to."""
    found = _WORD.findall(text.lower())
    cache = _WORD_TERMS
    seen = [term for term in map(cache.get, found, repeat(0)) if term is not None]  # 0: not seen yet
    if 0 not in seen:
        return cast("list[str]", seen)
    # Decided from this pass alone: another thread may clear or fill the cache meanwhile.
    known = {word: _known_term(word, cache.get(word, 0)) for word in set(found)}
    if len(cache) > _MAX_WORDS:
        cache.clear()  # bound memory on endless vocabularies (numbers, typos, URLs)
    cache.update(known)
    return [term for term in map(known.__getitem__, found) if term is not None]


def _known_term(word: str, cached: str | None | int) -> str | None:
    return _word_term(word.replace("’", "'")) if cached == 0 else cached  # type: ignore[return-value]


def _word_term(word: str) -> str | None:
    return None if word in STOPWORDS else stem(word)
