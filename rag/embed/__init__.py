"""Embedders: the `Embedder` protocol, the download-free `hashing` default, sentence-transformers models.

Importing this package never imports torch; model embedders load their libraries in `warm_up()`.
"""

from __future__ import annotations

from rag.embed.base import Embedder, l2_normalise
from rag.embed.hashing import HashingEmbedder, HashingParams
from rag.embed.registry import available_embedders, get_embedder, register_embedder

__all__ = [
    "Embedder",
    "HashingEmbedder",
    "HashingParams",
    "available_embedders",
    "get_embedder",
    "l2_normalise",
    "register_embedder",
]
