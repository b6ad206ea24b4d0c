"""rag: retrieval-augmented question answering with honest citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["RAG", "Settings", "Document", "Passage", "Filters", "Answer", "Citation", "Message"]

if TYPE_CHECKING:
    from rag.answer.types import Answer, Citation
    from rag.config import Settings
    from rag.engine import RAG
    from rag.llm.base import Message
    from rag.types import Document, Filters, Passage

_LAZY = {
    "RAG": "rag.engine",
    "Settings": "rag.config",
    "Document": "rag.types",
    "Passage": "rag.types",
    "Filters": "rag.types",
    "Answer": "rag.answer.types",
    "Citation": "rag.answer.types",
    "Message": "rag.llm.base",
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import rag` stays cheap for the CLI's cold start.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
