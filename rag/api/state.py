"""What the app holds between requests: the shared RAG, its loading state, and the LLM names.

The index loads in a background thread so that /healthz answers at once and /readyz tells an
orchestrator the truth while a large index (or the first build of the sample corpus) loads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from rag.answer.types import Answer
from rag.config import Settings
from rag.llm.base import Message
from rag.types import DocumentInfo, IndexStats, IngestReport, Passage

log = logging.getLogger(__name__)


class RAGService(Protocol):
    """The part of `rag.engine.RAG` the web layer uses (a fake can stand in for tests)."""

    settings: Settings

    def add(self, items: Any, *, progress: bool = False) -> IngestReport: ...
    def delete(self, doc_id: str) -> bool: ...
    def search(
        self, query: str, k: int | None = None, *, filters: Any = None, mode: str | None = None
    ) -> list[Passage]: ...
    def ask(self, question: str, history: list[Message] | None = None, **overrides: Any) -> Answer: ...
    def stream(
        self, question: str, history: list[Message] | None = None, **overrides: Any
    ) -> Iterator[str | Answer]: ...
    def documents(self, offset: int = 0, limit: int = 50) -> list[DocumentInfo]: ...
    def stats(self) -> IndexStats: ...
    def close(self) -> None: ...


class Runtime:
    """Loading state of one app: `rag` is set once the index is open and the LLM warmed up."""

    def __init__(self, settings: Settings, rag: RAGService | None = None):
        self.settings = settings
        self.rag = rag
        self.owns_rag = rag is None
        self.error: str | None = None
        self.ready = threading.Event()
        self._closing = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open (or adopt) the RAG and warm up the backend without blocking the event loop."""
        self._thread = threading.Thread(target=self._load, name="rag-load", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def _load(self) -> None:
        try:
            rag = self.rag if self.rag is not None else _open_rag(self.settings)
            warm_up(rag)
        except Exception as exc:  # noqa: BLE001 - reported by /readyz and every route
            log.exception("loading the index from %s failed", self.settings.index_dir)
            self.error = f"{type(exc).__name__}: {exc}"
            return
        with self._lock:
            self.rag = rag
            if self._closing:
                self._close_owned()
                return
        self.ready.set()

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self.ready.clear()
            self._close_owned()

    def _close_owned(self) -> None:
        if self.owns_rag and self.rag is not None:
            self.rag.close()
            self.rag = None


def _open_rag(settings: Settings) -> RAGService:
    from rag.engine import RAG  # the heavy part of the library loads only when an app starts

    # A fresh index gets the bundled sample corpus so the first question has something to find.
    return RAG.open(settings.index_dir, settings=settings, seed_sample=True)


def warm_up(rag: Any) -> None:
    """Build and warm the default LLM backend now rather than on the first question."""
    get_backend = getattr(rag, "backend", None)
    if not callable(get_backend):
        return
    backend = get_backend()
    method = getattr(backend, "warm_up", None)
    if callable(method):
        method()


_NEEDS_MODEL = {"openai", "transformers"}


def llm_names(rag: Any, settings: Settings) -> list[str]:
    """Backend names a client may choose: the configured ones, extractive, and plugins.

    The built-in model backends share the one `llm.model` setting, so only the configured one can
    work; offering the other in a front end's model menu would only produce errors.
    """
    names = [settings.llm.backend, settings.llm.fallback, "extractive"]
    try:
        from rag.llm import registry

        names.extend(n for n in registry.available_llms() if n not in _NEEDS_MODEL)
    except (ImportError, AttributeError):
        pass
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen
