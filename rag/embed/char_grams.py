"""CRC-32 of every character n-gram of many words at once, as `zlib.crc32(gram.encode(), seed)` gives it.

The hashing embedder hashes each new word's n-grams ("<in", "inv", ...) once. A corpus brings tens
of thousands of new words, hundreds of thousands of n-grams: one `zlib.crc32` call per n-gram is
most of what indexing a fresh corpus costs the embedder. Here the n-grams of ASCII words (almost
all of them) are hashed together with a table-driven CRC-32 over numpy columns, a few byte steps
for all n-grams at once; other words go through `zlib` one n-gram at a time. The values and their
order (per word: by n, then by position) are exactly those of the one-at-a-time loop.
"""

from __future__ import annotations

import zlib

import numpy as np


def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


_TABLE = _crc_table()
_FEW_GRAMS = 512  # up to this many n-grams, hashing them one by one is faster (see char_gram_hashes)


def gram_counts(lengths: np.ndarray, low: int, high: int) -> np.ndarray:
    """(words, high - low + 1) n-grams of each size of words of `lengths` characters, padded "<word>"."""
    sizes = np.arange(low, high + 1)
    return np.maximum(0, lengths[:, None] + 2 - sizes[None, :] + 1)


def char_gram_hashes(words: list[str], low: int, high: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n-grams per word, their CRC-32s concatenated word by word) for the padded words "<word>".

    Per word, n-grams of size `low` come first, each size in order of position, like
    `[padded[i:i + k] for k in range(low, high + 1) for i in range(len(padded) - k + 1)]`.
    """
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    counts = gram_counts(lengths, low, high)
    per_word = counts.sum(axis=1)
    starts = np.cumsum(per_word) - per_word
    total = int(per_word.sum())
    if total <= _FEW_GRAMS:
        # A query's few new words: the column steps below cost ~0.19 ms whatever their number,
        # one zlib call per n-gram ~0.25 us (3 words, ~60 n-grams: 16 us).
        hashes = (zlib.crc32(g.encode(), seed) for word in words for g in _grams(word, low, high))
        return per_word, np.fromiter(hashes, np.uint64, total)
    out = np.zeros(total, np.uint64)
    ascii_ = np.fromiter(map(str.isascii, words), bool, len(words))
    _hash_ascii([w for w, a in zip(words, ascii_.tolist()) if a], counts[ascii_], starts[ascii_], low, seed, out)
    for index in np.flatnonzero(~ascii_).tolist():
        padded = _grams(words[index], low, high)
        out[starts[index] : starts[index] + len(padded)] = [zlib.crc32(g.encode(), seed) for g in padded]
    return per_word, out


def _grams(word: str, low: int, high: int) -> list[str]:
    padded = f"<{word}>"
    return [padded[i : i + k] for k in range(low, high + 1) for i in range(len(padded) - k + 1)]


def _hash_ascii(words: list[str], counts: np.ndarray, starts: np.ndarray, low: int, seed: int, out: np.ndarray) -> None:
    """Write the CRC-32s of the n-grams of ASCII `words` into `out` from each word's `starts` on."""
    if not words:
        return
    padded = np.frombuffer("".join(f"<{w}>" for w in words).encode("ascii"), np.uint8)
    sizes = counts[:, 0] + low - 1  # padded lengths
    offsets = np.cumsum(sizes) - sizes
    before = np.cumsum(counts, axis=1) - counts  # n-grams of smaller sizes that come first, per word
    for column in range(counts.shape[1]):
        n = counts[:, column]
        total = int(n.sum())
        if not total:
            continue
        word = np.repeat(np.arange(len(words)), n)
        position = np.arange(total) - np.repeat(np.cumsum(n) - n, n)  # 0.. within the word
        first_byte = offsets[word] + position
        crc = np.full(total, ~np.uint32(seed), np.uint32)
        for step in range(low + column):
            crc = _TABLE[(crc ^ padded[first_byte + step]) & 0xFF] ^ (crc >> 8)
        out[starts[word] + before[word, column] + position] = ~crc
