"""Deterministic synthetic corpora: article-like documents from a fixed Zipfian vocabulary.

Every paragraph carries a unique named entity (e.g. "Dorakin Velosu"), a place, a year and a
count, wrapped in filler sentences whose words follow a Zipf law. For each query one extra
sentence about a paragraph's entity is written but *held out* of the document; the query is
that sentence, so it shares the entity and some topic words with exactly one paragraph, and a
passage is a hit when it contains the entity's name.

The same seed always gives the same corpus (numpy PCG64 only, no hash randomisation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rag.types import Document

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]  # 70
_STOPWORDS = ["the", "of", "and", "in", "to", "a", "was", "is", "for", "on", "with", "by", "as", "that", "from"]
_VERBS = ["founded", "led", "described", "studied", "built", "reported", "funded", "opened", "measured"]
_PLACES = [
    "Arkalo",
    "Benvira",
    "Castomel",
    "Dunhaven",
    "Esperil",
    "Fandoro",
    "Gelmark",
    "Hostavin",
    "Iloria",
    "Jurastan",
    "Kelvaro",
    "Lumidor",
    "Marvessa",
    "Nortbury",
    "Ostrevia",
    "Pelandor",
]
VOCAB_SIZE = 30_000
ZIPF_S = 1.07
PARAGRAPHS_PER_DOC = 3
# Chunks per document with the default chunking (256 tokens, overlap 32, approx-v1 counter), measured.
CHUNKS_PER_DOC = 2.48
FILLER_SENTENCES = (5, 8)  # per paragraph, inclusive range
WORDS_PER_SENTENCE = (9, 16)


def vocabulary(size: int = VOCAB_SIZE) -> np.ndarray:
    """A fixed vocabulary of pronounceable 2-4 syllable words, the same on every machine."""
    rng = np.random.default_rng(20240601)
    syll = np.array(_SYLLABLES)
    words: dict[str, None] = {}
    while len(words) < size:
        n = int(rng.integers(2, 5))
        words.setdefault("".join(syll[rng.integers(0, len(syll), n)]), None)
    return np.array(list(words))


def entity_name(index: int) -> str:
    """A unique two-word capitalised name for paragraph `index` (unique below 70**6)."""
    s, n = _SYLLABLES, len(_SYLLABLES)
    mixed = (index * 48_271 + 12_345) % n**6  # a bijection, so neighbours get unlike names
    digits = [(mixed // n**p) % n for p in range(6)]
    first = s[digits[0]] + s[digits[1]] + "n"
    last = s[digits[2]] + s[digits[3]] + s[digits[4]] + s[digits[5]] + "r"
    return f"{first.capitalize()} {last.capitalize()}"


@dataclass(frozen=True)
class Query:
    text: str
    target: str  # the entity name a relevant passage contains
    doc_id: str


@dataclass
class Corpus:
    documents: list[Document]
    queries: list[Query]

    @property
    def texts(self) -> list[str]:
        return [d.text for d in self.documents]


class Generator:
    """Seeded generator of documents and held-out-sentence queries."""

    def __init__(self, seed: int = 0, vocab_size: int = VOCAB_SIZE) -> None:
        self.seed = seed
        self.vocab = vocabulary(vocab_size)
        ranks = np.arange(1, len(self.vocab) + 1, dtype=np.float64)
        weights = ranks**-ZIPF_S
        self._cdf = np.cumsum(weights / weights.sum())

    def corpus(self, n_docs: int, n_queries: int = 200, first_doc: int = 0) -> Corpus:
        docs = list(self.iter_documents(n_docs, first_doc))
        return Corpus(docs, self.queries(n_docs, n_queries, first_doc))

    def iter_documents(self, n_docs: int, first_doc: int = 0) -> Iterator[Document]:
        for d in range(first_doc, first_doc + n_docs):
            yield self.document(d)

    def document(self, d: int) -> Document:
        rng = np.random.default_rng([self.seed, d])
        paragraphs = [self._paragraph(rng, d * PARAGRAPHS_PER_DOC + p) for p in range(PARAGRAPHS_PER_DOC)]
        title = f"{entity_name(d * PARAGRAPHS_PER_DOC)} and the {self._words(rng, 2)[1]}"
        return Document(
            text="\n\n".join(paragraphs),
            id=f"syn-{d:08d}",
            title=title,
            source="synthetic",
            date=f"{2000 + d % 25}-{1 + d % 12:02d}-{1 + d % 28:02d}",
        )

    def queries(self, n_docs: int, n_queries: int, first_doc: int = 0) -> list[Query]:
        """Held-out sentences about evenly spread paragraphs of the first `n_docs` documents."""
        rng = np.random.default_rng([self.seed, 1 << 30])
        picks = rng.choice(n_docs * PARAGRAPHS_PER_DOC, size=min(n_queries, n_docs * PARAGRAPHS_PER_DOC), replace=False)
        out = []
        for g in sorted(int(p) for p in picks):
            d, p = divmod(g, PARAGRAPHS_PER_DOC)
            topic = self._topic_words(first_doc + d, p)
            name = entity_name((first_doc + d) * PARAGRAPHS_PER_DOC + p)
            out.append(
                Query(
                    f"What did {name} do about the {topic[0]} and {topic[1]} in {topic[2]}?",
                    name,
                    f"syn-{first_doc + d:08d}",
                )
            )
        return out

    def _topic_words(self, d: int, p: int) -> list[str]:
        # Regenerate the document and take rarer words of the paragraph: what a reader would ask about.
        text = self.document(d).text.split("\n\n")[p]
        words = [w.strip(".,").lower() for w in text.split()]
        rare = [w for w in words if w in self._rank and self._rank[w] > 200] or words
        return [rare[0], rare[len(rare) // 2], rare[-1]]

    @property
    def _rank(self) -> dict[str, int]:
        if not hasattr(self, "_rank_cache"):
            self._rank_cache = {w: i for i, w in enumerate(self.vocab.tolist())}
        return self._rank_cache

    def _words(self, rng: np.random.Generator, n: int) -> list[str]:
        idx = np.searchsorted(self._cdf, rng.random(n))
        return self.vocab[np.minimum(idx, len(self.vocab) - 1)].tolist()

    def _paragraph(self, rng: np.random.Generator, g: int) -> str:
        """A lead fact sentence, Zipfian filler, and one more mention of the entity's surname."""
        name = entity_name(g)
        place = _PLACES[int(rng.integers(len(_PLACES)))]
        year, count = int(rng.integers(1850, 2024)), int(rng.integers(2, 5000))
        verb = _VERBS[int(rng.integers(len(_VERBS)))]
        n = int(rng.integers(FILLER_SENTENCES[0], FILLER_SENTENCES[1] + 1))
        lengths = rng.integers(WORDS_PER_SENTENCE[0], WORDS_PER_SENTENCE[1] + 1, n)
        words = self._words(rng, int(lengths.sum()) + 7)
        stops = (rng.random(len(words)) < 0.3).tolist()
        picks = rng.integers(0, len(_STOPWORDS), len(words)).tolist()
        words = [_STOPWORDS[s] if stop else w for w, stop, s in zip(words, stops, picks)]
        sentences = [f"In {year}, {name} {verb} {count} {words[0]} {words[1]} in {place}."]
        at = 7
        for length in lengths.tolist():
            part = words[at : at + length]
            at += length
            sentences.append(part[0].capitalize() + " " + " ".join(part[1:]) + ".")
        where = int(rng.integers(2, len(sentences)))
        sentences.insert(where, f"{name.split()[1]} {' '.join(words[2:7])}.")
        return " ".join(sentences)
