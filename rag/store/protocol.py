"""`Store`: what the Retriever, the ingestion pipeline and the facade need from an index store.

Two implementations: `IndexStore` (a folder) and `PostgresStore` (PostgreSQL + pgvector).
`rag.testing.store_suite.StoreContract` is the executable form of this contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.store.records import ChunkText, StoredChunk, StoredDocument
from rag.types import DocumentInfo, Filters, IndexStats


@runtime_checkable
class Store(Protocol):
    @property
    def manifest(self) -> dict[str, Any]: ...

    def document_hash(self, doc_id: str) -> str | None: ...

    def doc_id_for_hash(self, content_hash: str) -> str | None: ...

    def known_documents(self, doc_ids: Sequence[str], content_hashes: Sequence[str]) -> tuple[dict, dict]:
        """`document_hash` and `doc_id_for_hash` of many at once: ({doc_id: content hash},
        {content hash: doc_id}) of those stored."""

    def write(self, docs: list[StoredDocument], delete: Sequence[str] = ()) -> None:
        """One atomic commit: replaces documents with the same id and deletes `delete`."""

    def delete(self, doc_ids: list[str]) -> int: ...

    def allowed_ids(self, filters: Filters) -> Any:
        """A restriction the store's own searches accept (ids, or a compiled filter), with len() = matching
        chunks and `np.asarray()` = their sorted ids; None when `filters` is empty."""

    def dense_search(self, query_vectors: np.ndarray, k: int, allowed: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k), best first; id -1 / score -inf pad."""

    def lexical_search(self, query: str, k: int, allowed: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """BM25 (scores, ids), 1-D, best first; only chunks sharing a term with the query."""

    def term_idf(self, words: list[str]) -> dict[str, float]: ...

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks in the order of `ids`; ids deleted meanwhile by a concurrent write are left out."""

    def chunk_texts(self, ids: Sequence[int]) -> list[ChunkText]:
        """`chunks(ids)` cut to id, document and text: what a search ranks dozens of, read cheaply."""

    def documents(self, offset: int = 0, limit: int = 50) -> list[DocumentInfo]: ...

    def stats(self) -> IndexStats: ...

    def refresh(self) -> bool:
        """Pick up commits other processes made since the last call; True when something changed."""

    def close(self) -> None: ...
