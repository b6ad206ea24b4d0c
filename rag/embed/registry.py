"""Embedder names -> embedders: built-ins, `register_embedder`, and the "rag.embedders" entry points.

A name is "<prefix>" or "<prefix>:<argument>"; the factory for the prefix gets the argument
(possibly empty) and the whole `EmbedderSettings`. The lookup rules are `rag.registry.Registry`'s,
shared with LLM backends and stores. Built-ins:

* "hashing" / "hashing:d=512,char=3-5,uni=1,bi=0.5,chr=1"
* "sentence-transformers:<hub name or local path>" (alias "st:<...>")
"""

from __future__ import annotations

from collections.abc import Callable

from rag.config import EmbedderSettings
from rag.embed.base import Embedder
from rag.errors import ConfigError
from rag.registry import Registry

EmbedderFactory = Callable[[str, EmbedderSettings], Embedder]
ENTRY_POINT_GROUP = "rag.embedders"

_ALIASES = {"st": "sentence-transformers"}


def hashing(argument: str, settings: EmbedderSettings) -> Embedder:
    from rag.embed.hashing import HashingEmbedder, parse_params

    return HashingEmbedder(parse_params(argument))


def sentence_transformers(argument: str, settings: EmbedderSettings) -> Embedder:
    # Importing this module is cheap: torch loads only in warm_up().
    from rag.embed.sentence_transformers import SentenceTransformerEmbedder

    if not argument:
        raise ConfigError(
            "the sentence-transformers embedder needs a model: use 'sentence-transformers:<hub name or local path>',"
            " e.g. 'sentence-transformers:/models/all-MiniLM-L6-v2'"
        )
    return SentenceTransformerEmbedder(argument, settings)


REGISTRY = Registry(
    "embedder", ENTRY_POINT_GROUP, setting="RAG_EMBEDDER__NAME (e.g. 'hashing' or 'sentence-transformers:<model>')",
    builtins={"hashing": "rag.embed.registry:hashing",
              "sentence-transformers": "rag.embed.registry:sentence_transformers"},
)


def register_embedder(prefix: str, factory: EmbedderFactory | str) -> None:
    """Make `get_embedder` answer names "<prefix>" and "<prefix>:<argument>" with `factory`."""
    REGISTRY.register(prefix, factory)


def unregister_embedder(prefix: str) -> None:
    REGISTRY.unregister(prefix)


def available_embedders() -> list[str]:
    """Every prefix `get_embedder` understands, aliases included."""
    return sorted({*REGISTRY.names(), *_ALIASES})


def get_embedder(settings: EmbedderSettings) -> Embedder:
    """The embedder `settings.name` names; an unknown name is a ConfigError listing the valid ones."""
    prefix, _, argument = settings.name.strip().partition(":")
    prefix = _ALIASES.get(prefix.strip().lower(), prefix)
    return REGISTRY.factory(prefix)(argument.strip(), settings)
