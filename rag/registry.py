"""Named factories for pluggable parts: built-ins, `register` calls, and installed entry points.

Embedders, LLM backends and index stores each keep one `Registry`, so the three share one set of
rules: a factory is a callable or a lazy "package.module:attribute" string (naming one part never
imports the others: the `transformers` backend pulls in torch only when chosen); precedence is
explicit registration, then built-ins, then plugins of the entry-point group; entry points are
read on every lookup (cheap next to building the part, and a plugin installed while a process
runs shows up without a restart); and every mistake is a `ConfigError` that names the valid
choices and the setting to change.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections.abc import Callable
from typing import Any

from rag.errors import ConfigError

FactoryRef = Callable[..., Any] | str


class Registry:
    """Factories of one kind of part (`kind`, e.g. "LLM backend"), looked up by name."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str], setting: str) -> None:
        self.kind = kind
        self.group = group
        self.setting = setting  # how a user chooses one, named in the unknown-name error
        self._builtins = dict(builtins)
        self._registered: dict[str, FactoryRef] = {}
        self._lock = threading.Lock()

    def register(self, name: str, factory: FactoryRef) -> None:
        """Make `factory` available as `name`; it replaces a built-in or plugin of the same name."""
        key = normalise(name)
        if not key or ":" in key:
            raise ConfigError(f"a {self.kind} name must be non-empty and contain no ':', got {name!r}")
        if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
            raise ConfigError(f"registering {self.kind} {name!r} needs a callable or a 'module:attribute' string, "
                              f"got {factory!r}")
        with self._lock:
            self._registered[key] = factory

    def unregister(self, name: str) -> None:
        """Forget a registration (built-ins and plugins stay)."""
        with self._lock:
            self._registered.pop(normalise(name), None)

    def names(self) -> list[str]:
        """Every name `factory` accepts, sorted."""
        with self._lock:
            registered = set(self._registered)
        return sorted(set(self._builtins) | set(self._entry_points()) | registered)

    def factory(self, name: str) -> Callable[..., Any]:
        """The factory called `name`, imported now if it was given as a string."""
        key = normalise(name)
        with self._lock:
            ref = self._registered.get(key)
        if ref is None:
            ref = self._builtins.get(key)
        if ref is None:
            entry = self._entry_points().get(key)
            if entry is not None:
                return self._load_entry_point(key, entry)
        if ref is None:
            raise ConfigError(
                f"unknown {self.kind} {key!r}; valid names: {', '.join(self.names())}. Set {self.setting} to one "
                f"of them, or install a plugin that registers an entry point in the {self.group!r} group"
            )
        return ref if not isinstance(ref, str) else self._import(key, ref)

    def _import(self, key: str, ref: str) -> Callable[..., Any]:
        module_name, _, attribute = ref.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"{self.kind} {key!r} could not be loaded from {ref!r}: {exc}") from exc
        target = getattr(module, attribute, None)
        if target is None:
            raise ConfigError(f"{self.kind} {key!r}: module {module_name!r} has no attribute {attribute!r}")
        if not callable(target):
            raise ConfigError(f"{self.kind} {key!r}: {ref!r} is not callable")
        return target

    def _load_entry_point(self, key: str, entry: importlib.metadata.EntryPoint) -> Callable[..., Any]:
        # A broken plugin fails only when its own name is asked for, never the others.
        try:
            target = entry.load()
        except Exception as exc:
            raise ConfigError(f"{self.kind} plugin {key!r} ({entry.value}) failed to load: {exc}") from exc
        if not callable(target):
            raise ConfigError(f"{self.kind} plugin {key!r}: {entry.value!r} is not callable")
        return target

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        found: dict[str, importlib.metadata.EntryPoint] = {}
        for entry in entry_points(group=self.group):
            found.setdefault(normalise(entry.name), entry)
        return found


def entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=group))


def normalise(name: str) -> str:
    return name.strip().lower()
