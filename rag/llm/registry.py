"""Pick an LLM backend by name: built-ins, `register_llm` calls, and the `rag.llms` entry point group.

The rules (lazy "module:Class" built-ins, precedence, errors) are `rag.registry.Registry`'s, shared
with embedders and stores. Every factory is called as `factory(settings)` with the full
`Settings`. The registry does not cache instances: the caller (the `RAG` facade, the HTTP app)
keeps the one it built.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.config import Settings
from rag.errors import ConfigError
from rag.llm.base import LLMBackend
from rag.registry import Registry

ENTRY_POINT_GROUP = "rag.llms"

LLMFactory = Callable[[Settings], LLMBackend]

REGISTRY = Registry(
    "LLM backend",
    ENTRY_POINT_GROUP,
    setting="RAG_LLM__BACKEND",
    builtins={
        "extractive": "rag.llm.extractive:ExtractiveLLM",
        "openai": "rag.llm.openai_backend:OpenAILLM",
        "transformers": "rag.llm.transformers_backend:TransformersLLM",
    },
)


def register_llm(name: str, factory: LLMFactory | str) -> None:
    """Make `factory` (a callable taking Settings, or "module:Class") available as backend `name`."""
    REGISTRY.register(name, factory)


def unregister_llm(name: str) -> None:
    """Forget a backend added with `register_llm` (built-ins and entry points stay)."""
    REGISTRY.unregister(name)


def available_llms() -> list[str]:
    """Every name `get_llm` accepts, sorted."""
    return REGISTRY.names()


def get_llm(name: str | None, settings: Settings) -> LLMBackend:
    """Build the backend called `name` (default: `settings.llm.backend`) from `settings`."""
    key = (name if name is not None else settings.llm.backend).strip().lower()
    factory = REGISTRY.factory(key)
    try:
        backend = factory(settings)
    except ImportError as exc:
        raise ConfigError(f"LLM backend {key!r} needs a package that is not installed: {exc}") from exc
    if not isinstance(backend, LLMBackend):
        raise ConfigError(
            f"LLM backend {key!r} built {type(backend).__name__}, which lacks name/stream; "
            "make it implement rag.llm.base.LLMBackend (subclass rag.llm.base.StreamingLLM)"
        )
    return backend
