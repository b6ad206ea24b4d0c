"""Pick an LLM backend by name: built-ins, `register_llm` calls, and the `rag.llms` entry point group.

Built-ins are "module:Class" strings so that naming a backend never imports the others (the
`transformers` backend pulls in torch only when chosen). Every factory is called as
`factory(settings)` with the full `Settings`. The registry does not cache instances: the caller
(the `RAG` facade, the HTTP app) keeps the one it built.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections.abc import Callable

from rag.config import Settings
from rag.errors import ConfigError
from rag.llm.base import LLMBackend

ENTRY_POINT_GROUP = "rag.llms"

LLMFactory = Callable[[Settings], LLMBackend]
# A factory, or a lazy "package.module:Attribute" reference to one.
FactoryRef = LLMFactory | str

_BUILTINS: dict[str, str] = {
    "extractive": "rag.answer.extractive:ExtractiveLLM",
    "openai": "rag.llm.openai_backend:OpenAILLM",
    "transformers": "rag.llm.transformers_backend:TransformersLLM",
}

_registered: dict[str, FactoryRef] = {}
_lock = threading.Lock()


def register_llm(name: str, factory: FactoryRef) -> None:
    """Make `factory` available as `name`; it replaces a built-in or entry point of the same name."""
    key = _normalise(name)
    if not key:
        raise ConfigError("an LLM backend name cannot be empty; pass a name such as 'my-llm' to register_llm")
    if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
        raise ConfigError(
            f"register_llm({name!r}, ...) needs a callable taking Settings or a 'module:Class' string, "
            f"got {factory!r}"
        )
    with _lock:
        _registered[key] = factory


def unregister_llm(name: str) -> None:
    """Forget a backend added with `register_llm` (built-ins and entry points stay)."""
    with _lock:
        _registered.pop(_normalise(name), None)


def available_llms() -> list[str]:
    """Every name `get_llm` accepts, sorted."""
    with _lock:
        registered = set(_registered)
    return sorted(set(_BUILTINS) | set(_entry_points()) | registered)


def get_llm(name: str | None, settings: Settings) -> LLMBackend:
    """Build the backend called `name` (default: `settings.llm.backend`) from `settings`."""
    key = _normalise(name if name is not None else settings.llm.backend)
    factory = _resolve(_lookup(key), key)
    try:
        backend = factory(settings)
    except ImportError as exc:
        raise ConfigError(f"LLM backend {key!r} needs a package that is not installed: {exc}") from exc
    if not isinstance(backend, LLMBackend):
        raise ConfigError(
            f"LLM backend {key!r} built {type(backend).__name__}, which lacks name/stream/generate; "
            "make it implement rag.llm.base.LLMBackend (subclass rag.llm.base.StreamingLLM)"
        )
    return backend


def _lookup(key: str) -> FactoryRef:
    # Precedence: explicit registration, then built-ins, then installed plugins.
    with _lock:
        if key in _registered:
            return _registered[key]
    if key in _BUILTINS:
        return _BUILTINS[key]
    entry = _entry_points().get(key)
    if entry is not None:
        return entry.value
    valid = ", ".join(available_llms())
    raise ConfigError(
        f"unknown LLM backend {key!r}; valid names: {valid}. "
        "Set RAG_LLM__BACKEND to one of them, or install a plugin that registers "
        f"an entry point in the {ENTRY_POINT_GROUP!r} group"
    )


def _resolve(ref: FactoryRef, key: str) -> LLMFactory:
    """Turn a "module:Attribute" string into the object it names; callables pass through."""
    if not isinstance(ref, str):
        return ref
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"LLM backend {key!r} could not be loaded from {ref!r}: {exc}") from exc
    try:
        factory = getattr(module, attr)
    except AttributeError as exc:
        raise ConfigError(f"LLM backend {key!r}: module {module_name!r} has no attribute {attr!r}") from exc
    if not callable(factory):
        raise ConfigError(f"LLM backend {key!r}: {ref!r} is not callable")
    return factory


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    # Read on every call (not cached): it is cheap next to building a backend, and a plugin
    # installed while a process runs shows up without a restart.
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(_normalise(entry.name), entry)
    return found


def _normalise(name: str) -> str:
    return name.strip().lower()
