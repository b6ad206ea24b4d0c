"""Analysed terms as 64-bit ids: what BM25 postings are keyed by, for documents and queries.

Shared by the postings (`rag.store.lexical`) and the scoring across segments (`rag.store.bm25`),
which therefore do not import each other's internals.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache
from itertools import repeat

import numpy as np

from rag.text.analyze import STOPWORDS, stem, terms


@lru_cache(maxsize=500_000)
def term_hash(term: str) -> int:
    """Stable 64-bit id of an analysed term (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def term_hashes(words: list[str]) -> np.ndarray:
    """The 64-bit ids under which analysed terms are stored."""
    return np.fromiter((term_hash(w) for w in words), dtype=np.uint64, count=len(words))


# The word pattern of rag.text.analyze (`words`), applied to lower-cased text.
_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*")
_NO_TERM = np.uint64(0)  # marks a stopword in the word cache
_WORD_TERMS: dict[str, int] = {}  # word as matched -> term hash, 0 for stopwords; per process
_MAX_WORDS = 1_000_000


def analyse_terms(texts: list[str]) -> list[np.ndarray]:
    """Per text, the term hashes of `terms(text)` in order: `term_hashes(terms(text))`, computed faster.

    One regex pass per text; the stopword test, the stemming and the hashing happen once per
    distinct word (cached per process), not once per occurrence.
    """
    cache = _WORD_TERMS
    out: list[np.ndarray] = []
    for text in texts:
        found = _WORD.findall(text.lower())
        values = np.fromiter(map(cache.get, found, repeat(-1)), dtype=np.int64, count=len(found))
        if len(values) and values.min() < 0:
            if len(cache) > _MAX_WORDS:
                cache.clear()  # bound memory on endless vocabularies (numbers, typos, URLs)
            for word in set(found).difference(cache):
                cache[word] = _word_term(word)
            values = np.fromiter(map(cache.__getitem__, found), dtype=np.int64, count=len(found))
        hashes = values.view(np.uint64)
        out.append(hashes[hashes != _NO_TERM])
    return out


_TERM_IDS: dict[str, int] = {}  # analysed term -> its hash as int64; per process


def text_hashes(text: str, sentence_terms: list[str]) -> np.ndarray:
    """`analyse_terms([text])[0]`, from `sentence_terms`, the terms of the text's sentences in
    order (`rag.answer.facts.dumps_with_terms` finds them anyway): they are the text's terms,
    since sentence boundaries are spaces and punctuation no word holds, and lower-casing goes
    character by character, except for the Greek capital sigma, whose lower case depends on the
    letters after it: a text holding one is analysed afresh.
    """
    if "Σ" in text:
        return analyse_terms([text])[0]
    cache = _TERM_IDS
    values = np.fromiter(map(cache.get, sentence_terms, repeat(0)), dtype=np.int64, count=len(sentence_terms))
    if len(values) and not values.all():
        if len(cache) > _MAX_WORDS:
            cache.clear()
        for term in set(sentence_terms).difference(cache):
            value = term_hash(term)
            cache[term] = value - (1 << 64) if value >= 1 << 63 else value
        values = np.fromiter(map(cache.__getitem__, sentence_terms), dtype=np.int64, count=len(sentence_terms))
    hashes = values.view(np.uint64)
    return hashes[hashes != _NO_TERM]  # as analyse_terms: a term hashing to 0 (1 in 2**64) is dropped


def _word_term(word: str) -> int:
    """Signed 64-bit view of the word's term hash (so numpy takes it as int64), 0 for a stopword."""
    word = word.replace("’", "'")
    if word in STOPWORDS:
        return 0
    value = term_hash(stem(word))  # a term hashing to 0 (1 in 2**64) would be dropped like a stopword
    return value - (1 << 64) if value >= 1 << 63 else value


def query_hashes(query: str) -> tuple[np.ndarray, np.ndarray]:
    """Unique term hashes of a query and how often each term occurs in it."""
    counts = Counter(terms(query))
    return term_hashes(list(counts)), np.asarray(list(counts.values()), dtype=np.float32)
