"""Embedder names -> embedders: built-ins, `register_embedder`, and the "rag.embedders" entry points.

A name is "<prefix>" or "<prefix>:<argument>"; the factory for the prefix gets the argument
(possibly empty) and the whole `EmbedderSettings`. Built-ins:

* "hashing" / "hashing:d=512,char=3-5,uni=1,bi=0.5,chr=1"
* "sentence-transformers:<hub name or local path>" (alias "st:<...>")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import entry_points

from rag.config import EmbedderSettings
from rag.embed.base import Embedder
from rag.errors import ConfigError

EmbedderFactory = Callable[[str, EmbedderSettings], Embedder]
ENTRY_POINT_GROUP = "rag.embedders"

_ALIASES = {"st": "sentence-transformers"}
_registered: dict[str, EmbedderFactory] = {}
_lock = threading.Lock()


def _hashing(argument: str, settings: EmbedderSettings) -> Embedder:
    from rag.embed.hashing import HashingEmbedder, parse_params

    return HashingEmbedder(parse_params(argument))


def _sentence_transformers(argument: str, settings: EmbedderSettings) -> Embedder:
    # Importing this module is cheap: torch loads only in warm_up().
    from rag.embed.sentence_transformers import SentenceTransformerEmbedder

    if not argument:
        raise ConfigError(
            "the sentence-transformers embedder needs a model: use 'sentence-transformers:<hub name or local path>',"
            " e.g. 'sentence-transformers:/models/all-MiniLM-L6-v2'"
        )
    return SentenceTransformerEmbedder(argument, settings)


_BUILTINS: dict[str, EmbedderFactory] = {"hashing": _hashing, "sentence-transformers": _sentence_transformers}


def register_embedder(prefix: str, factory: EmbedderFactory) -> None:
    """Make `get_embedder` answer names "<prefix>" and "<prefix>:<argument>" with `factory`."""
    if not prefix or ":" in prefix:
        raise ValueError(f"an embedder prefix must be non-empty and contain no ':', got {prefix!r}")
    with _lock:
        _registered[prefix] = factory


def _entry_point_factories() -> dict[str, EmbedderFactory]:
    found: dict[str, EmbedderFactory] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = _lazy(ep)
    return found


def _lazy(ep) -> EmbedderFactory:
    # Load the plugin only when its name is asked for: a broken plugin must not break the others.
    def factory(argument: str, settings: EmbedderSettings) -> Embedder:
        try:
            target = ep.load()
        except Exception as exc:
            raise ConfigError(f"embedder plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        return target(argument, settings)

    return factory


def available_embedders() -> list[str]:
    """Every prefix `get_embedder` understands, aliases included."""
    return sorted({*_BUILTINS, *_ALIASES, *_entry_point_factories(), *_registered})


def get_embedder(settings: EmbedderSettings) -> Embedder:
    """The embedder `settings.name` names; an unknown name is a ConfigError listing the valid ones."""
    prefix, _, argument = settings.name.strip().partition(":")
    prefix = _ALIASES.get(prefix, prefix)
    with _lock:
        factory = _registered.get(prefix)
    if factory is None:
        factory = _BUILTINS.get(prefix) or _entry_point_factories().get(prefix)
    if factory is None:
        valid = ", ".join(available_embedders())
        raise ConfigError(
            f"unknown embedder {settings.name!r}; valid names start with one of: {valid}"
            " (e.g. 'hashing' or 'sentence-transformers:<hub name or local path>')"
        )
    return factory(argument.strip(), settings)
