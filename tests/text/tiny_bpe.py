"""A real, tiny tiktoken BPE built in tests: every byte plus a few English merges."""

from __future__ import annotations

import base64
from pathlib import Path

import tiktoken

from rag.text.tokens import KNOWN_ENCODINGS

_MERGES = [b"th", b"he", b" t", b" th", b" the", b"in", b"an", b" a", b"er", b"on", b"re", b"ing",
           b"ed", b" s", b"at", b"en", b"es", b" w", b"or", b"and", b" and", b" o", b" of", b"is"]


def tiny_ranks() -> dict[bytes, int]:
    ranks = {bytes([byte]): byte for byte in range(256)}
    for token in _MERGES:
        ranks[token] = len(ranks)
    return ranks


def tiny_encoding() -> tiktoken.Encoding:
    pattern, _ = KNOWN_ENCODINGS["cl100k_base"]
    return tiktoken.Encoding(name="tiny", pat_str=pattern, mergeable_ranks=tiny_ranks(), special_tokens={})


def write_ranks(path: Path) -> Path:
    lines = [f"{base64.b64encode(token).decode()} {rank}" for token, rank in tiny_ranks().items()]
    path.write_text("\n".join(lines) + "\n")
    return path
