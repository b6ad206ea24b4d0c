"""The default embedder: signed feature hashing of stems, stem pairs and character n-grams.

No model and no download. Each text becomes three hashed feature families, each with sublinear
term frequency (1 + log tf) and L2-normalised on its own so that its weight means the same for
short and long texts; the weighted sum is normalised again:

* stemmed content words (as BM25 sees them: `rag.text.analyze`),
* pairs of neighbouring stems, which catch phrases ("interest rate"); off by default, since on
  SQuAD they only repeated what BM25 already finds (scripts/measure_embedders.py),
* character 3-5 grams of each content word ("<in", "inv", "nves", ...), which link
  invest/investor/investment and survive typos: this is what the embedder adds to BM25.

Per-word work (stemming, n-gram hashing) is cached per distinct word, so a batch costs one regex
pass per text plus a few numpy operations over all its tokens.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import NamedTuple

import numpy as np

from rag.embed.base import l2_normalise
from rag.embed.char_grams import char_gram_hashes
from rag.errors import ConfigError
from rag.text.analyze import STOPWORDS, stem

VERSION = 1
# The word pattern of rag.text.analyze, for text whose curly apostrophes were already replaced.
_TOKEN = re.compile(r"[^\W_]+(?:[.'][^\W_]+)*")
_MAX_GRAM_WORD = 30  # longer tokens (URLs, hashes) only get their unigram: their n-grams are noise
_SEED_STEM, _SEED_CHAR = 0x5EED, 0xC4A2
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_BITS = 40  # hash bits kept next to the row number when counting (row << 40 | hash)
_MASK = np.uint64((1 << _BITS) - 1)


@dataclass(frozen=True)
class HashingParams:
    """Everything that changes the vectors; defaults chosen with scripts/measure_embedders.py."""

    dimension: int = 384
    char_min: int = 3
    char_max: int = 5
    unigram_weight: float = 1.0
    bigram_weight: float = 0.0  # measured: word pairs duplicate BM25 and cost recall at d=384
    char_weight: float = 1.0

    def __post_init__(self) -> None:
        if not 8 <= self.dimension <= 1 << 20:
            raise ConfigError(f"hashing dimension must be between 8 and 1048576, got {self.dimension}")
        if self.char_max and not 1 <= self.char_min <= self.char_max <= 10:
            raise ConfigError(
                f"hashing char n-grams must satisfy 1 <= min <= max <= 10, got {self.char_min}-{self.char_max};"
                " use char=0 to turn them off"
            )
        weights = (self.unigram_weight, self.bigram_weight, self.char_weight)
        if min(weights) < 0 or max(weights) == 0:
            raise ConfigError(f"hashing weights must be >= 0 and not all zero, got {weights}")

    @property
    def id(self) -> str:
        base = f"hashing-v{VERSION}:d{self.dimension}"
        if self == HashingParams(dimension=self.dimension):
            return base
        grams = f"{self.char_min}-{self.char_max}" if self.char_max else "0"
        weights = f"{self.unigram_weight:g},{self.bigram_weight:g},{self.char_weight:g}"
        return f"{base}:c{grams}:w{weights}"


class _Snapshot(NamedTuple):
    """Per-word features, indexed by word id; rows are never changed once written."""

    stem_hash: np.ndarray  # uint64, 0 for stopwords
    content: np.ndarray  # bool: not a stopword
    char_ptr: np.ndarray  # int64 (n_words + 1,), CSR-style offsets into char_idx/char_val
    char_idx: np.ndarray  # int32 bucket of each n-gram
    char_val: np.ndarray  # float32 sign of each n-gram


class _WordCache:
    """Distinct word -> id, with that word's stem hash and character n-gram features."""

    def __init__(self, params: HashingParams, max_words: int = 1_000_000) -> None:
        self._params = params
        self._max_words = max_words
        self._lock = threading.Lock()
        self._reset()
        _CACHES.add(self)

    def _reset(self) -> None:
        # Fresh arrays rather than cleared ones: snapshots handed out earlier stay valid.
        self._ids: dict[str, int] = {}
        self._stem_hash = np.zeros(1024, np.uint64)
        self._content = np.zeros(1024, bool)
        self._char_ptr = np.zeros(1025, np.int64)
        self._char_idx = np.zeros(16384, np.int32)
        self._char_val = np.zeros(16384, np.float32)

    def lookup(self, tokens: list[str]) -> tuple[np.ndarray, _Snapshot]:
        """Word ids of `tokens` (adding unseen words) and the features those ids point at."""
        with self._lock:
            ids = self._known(tokens)
            if len(ids) and ids.min() < 0:
                new = list(dict.fromkeys(t for t, i in zip(tokens, ids.tolist()) if i < 0))
                if len(self._ids) + len(new) > self._max_words:
                    self._reset()  # bound memory on endless vocabularies (numbers, typos, URLs)
                    new = list(dict.fromkeys(tokens))
                self._add(new)
                ids = self._known(tokens)
            n = len(self._ids)
            snap = _Snapshot(
                self._stem_hash[:n], self._content[:n], self._char_ptr[: n + 1],
                self._char_idx[: self._char_ptr[n]], self._char_val[: self._char_ptr[n]],
            )  # fmt: skip
            return ids, snap

    def _known(self, tokens: list[str]) -> np.ndarray:
        return np.fromiter(map(self._ids.get, tokens, repeat(-1)), np.int64, len(tokens))

    def _add(self, words: list[str]) -> None:
        first = len(self._ids)
        content = [w not in STOPWORDS for w in words]
        stems = [zlib.crc32(stem(w).encode(), _SEED_STEM) if c else 0 for w, c in zip(words, content)]
        lengths, hashes = self._gram_hashes(words, content)
        idx, sign = _bucket(_mix(hashes), self._params.dimension)
        self._grow(first + len(words), int(self._char_ptr[first] + len(hashes)))
        self._stem_hash[first : first + len(words)] = _mix(np.array(stems, np.uint64))
        self._content[first : first + len(words)] = content
        self._char_ptr[first + 1 : first + len(words) + 1] = self._char_ptr[first] + np.cumsum(lengths)
        start = self._char_ptr[first]
        self._char_idx[start : start + len(hashes)] = idx
        # Unscaled signs: a long word brings more n-grams and so more weight, a crude stand-in
        # for IDF that measured better than giving every word's n-grams unit norm.
        self._char_val[start : start + len(hashes)] = sign
        self._ids.update(zip(words, range(first, first + len(words))))

    def _gram_hashes(self, words: list[str], content: list[bool]) -> tuple[np.ndarray, np.ndarray]:
        """(n-grams per word, their hashes concatenated): none for stopwords and over-long tokens."""
        p = self._params
        has = np.fromiter(
            (c and len(w) <= _MAX_GRAM_WORD and p.char_max > 0 for w, c in zip(words, content)), bool, len(words)
        )
        counts, hashes = char_gram_hashes(
            [w for w, h in zip(words, has.tolist()) if h], p.char_min, p.char_max, _SEED_CHAR
        )
        lengths = np.zeros(len(words), np.int64)
        lengths[has] = counts
        return lengths, hashes

    def _grow(self, words: int, grams: int) -> None:
        # Doubling keeps appends amortised O(1); new arrays leave old snapshots untouched.
        if words > len(self._stem_hash):
            size = max(words, 2 * len(self._stem_hash))
            self._stem_hash = _resized(self._stem_hash, size)
            self._content = _resized(self._content, size)
            self._char_ptr = _resized(self._char_ptr, size + 1)
        if grams > len(self._char_idx):
            size = max(grams, 2 * len(self._char_idx))
            self._char_idx = _resized(self._char_idx, size)
            self._char_val = _resized(self._char_val, size)


# A forked ingest worker inherits the caches; each lock is held across fork() so that the child's
# copy is consistent (no other thread half-way through `_add`) and can be released in the child.
_CACHES: weakref.WeakSet[_WordCache] = weakref.WeakSet()
_HELD: list[_WordCache] = []


def _before_fork() -> None:
    for cache in sorted(_CACHES, key=id):
        cache._lock.acquire()
        _HELD.append(cache)


def _after_fork() -> None:
    while _HELD:
        _HELD.pop()._lock.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork)


class HashingEmbedder:
    """Download-free embedder; see the module docstring for the features."""

    # Pure numpy and Python state: ingestion may run it in forked worker processes.
    parallel_safe = True

    def __init__(self, params: HashingParams | None = None) -> None:
        self.params = params or HashingParams()
        self.id = self.params.id
        self.dimension = self.params.dimension
        self._cache = _WordCache(self.params)

    def warm_up(self) -> None:
        """Nothing to load: the hashing embedder is ready when constructed."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        token_lists = [_TOKEN.findall(text.lower().replace("’", "'")) for text in texts]
        lengths = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
        ids, snap = self._cache.lookup(list(chain.from_iterable(token_lists)))
        rows = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths)
        keep = snap.content[ids]
        ids, rows = ids[keep], rows[keep]
        p, n = self.params, len(texts)
        out = np.zeros((n, p.dimension), np.float32)
        if p.unigram_weight:
            out += p.unigram_weight * self._count(rows, snap.stem_hash[ids], n)
        if p.bigram_weight and len(ids) > 1:
            pair = rows[1:] == rows[:-1]  # neighbours within one text only
            stems = snap.stem_hash[ids]
            pair_hash = _mix((stems[:-1][pair] << np.uint64(32)) ^ stems[1:][pair])
            out += p.bigram_weight * self._count(rows[1:][pair], pair_hash, n)
        if p.char_weight and p.char_max:
            out += p.char_weight * self._char_ngrams(rows, ids, snap, n)
        return l2_normalise(out)

    def _count(self, rows: np.ndarray, hashes: np.ndarray, n: int) -> np.ndarray:
        """One family's (n, d) vectors: each distinct feature of a row weighs 1 + log(tf)."""
        keys, tf = np.unique((rows << np.uint64(_BITS)) | (hashes >> np.uint64(64 - _BITS)), return_counts=True)
        idx, sign = _bucket(keys & _MASK, self.dimension, bits=_BITS)
        cells = (keys >> np.uint64(_BITS)).astype(np.int64) * self.dimension + idx
        weights = sign * (1.0 + np.log(tf))
        return self._scatter(cells, weights, n)

    def _scatter(self, cells: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
        """Sum weights into the flat cells of an (n, d) matrix, rows L2-normalised."""
        flat = np.bincount(cells, weights, minlength=n * self.dimension).astype(np.float32, copy=False)
        return l2_normalise(flat.reshape(n, self.dimension))

    def _char_ngrams(self, rows: np.ndarray, ids: np.ndarray, snap: _Snapshot, n: int) -> np.ndarray:
        """Each distinct word of a row adds its n-gram vector, weighted 1 + log(tf of the word)."""
        keys, tf = np.unique((rows << np.uint64(32)) | ids.astype(np.uint64), return_counts=True)
        words = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
        starts, ends = snap.char_ptr[words], snap.char_ptr[words + 1]
        lengths = ends - starts
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        positions = offsets + np.arange(int(lengths.sum()))
        weights = np.repeat(1.0 + np.log(tf), lengths) * snap.char_val[positions]
        cells = np.repeat((keys >> np.uint64(32)).astype(np.int64), lengths) * self.dimension
        cells += snap.char_idx[positions]
        return self._scatter(cells, weights, n)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads crc32's linear structure over all 64 bits."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _bucket(hashes: np.ndarray, dimension: int, bits: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(bucket in [0, dimension), sign +-1) from the top bits and the lowest bit of each hash."""
    top = (hashes >> np.uint64(bits - 20)).astype(np.int64)  # 20 bits: ample for d <= 2**20
    idx = ((top * dimension) >> 20).astype(np.int32)
    sign = 1.0 - 2.0 * (hashes & np.uint64(1)).astype(np.float32)
    return idx, sign


def _resized(array: np.ndarray, size: int) -> np.ndarray:
    bigger = np.zeros(size, array.dtype)
    bigger[: len(array)] = array
    return bigger


def parse_params(spec: str) -> HashingParams:
    """'d=512,char=3-5,uni=1,bi=0.5,chr=1' (any subset) -> HashingParams."""
    names = {"d": "dimension", "uni": "unigram_weight", "bi": "bigram_weight", "chr": "char_weight"}
    values: dict[str, float | int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, _, raw = part.partition("=")
        try:
            if key == "char":
                low, _, high = raw.partition("-")
                values["char_min"], values["char_max"] = (int(low), int(high or low)) if raw != "0" else (3, 0)
            elif key == "d":
                values["dimension"] = int(raw)
            elif key in names:
                values[names[key]] = float(raw)
            else:
                raise ValueError(f"unknown parameter {key!r}")
        except ValueError as exc:
            raise ConfigError(
                f"bad hashing embedder parameter {part!r} ({exc}); use e.g. 'hashing:d=512,char=3-5,uni=1,bi=0.5,chr=1'"
            ) from None
    return HashingParams(**values)  # type: ignore[arg-type]
