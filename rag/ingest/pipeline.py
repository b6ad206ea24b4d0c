"""Ingestion: load → clean → de-duplicate → chunk → embed → one atomic write to the store."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunking import chunk_text
from rag.config import Settings
from rag.ingest.clean import clean_text
from rag.ingest.loaders import iter_documents
from rag.store import StoredDocument
from rag.text.tokens import get_token_counter
from rag.types import Document, IngestItem, IngestReport

# Chunks embedded per call, and chunks held before a write; bounds memory on huge ingests.
EMBED_BATCH = 2048
WRITE_BATCH = 200_000


class Ingestor:
    def __init__(self, settings: Settings, store: Any, embedder: Any) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        chunking = settings.chunking
        self.counter = get_token_counter(chunking.encoding, chunking.encoding_file)

    def run(self, items: list[str | Path | Document], *, progress: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        pending: list[StoredDocument] = []
        pending_chunks = 0
        taken: dict[str, str] = {}  # content hash -> doc id, for copies inside this batch
        for document in self._documents(items, report, progress):
            stored = self._prepare(document, report, taken)
            if stored is None:
                continue
            pending.append(stored)
            pending_chunks += len(stored.chunks)
            if pending_chunks >= WRITE_BATCH:
                self._flush(pending)
                pending, pending_chunks = [], 0
        self._flush(pending)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _documents(self, items: list[str | Path | Document], report: IngestReport, progress: bool) -> Iterator[Document]:
        from tqdm import tqdm

        paths = [item for item in items if not isinstance(item, Document)]
        given = [item for item in items if isinstance(item, Document)]
        bar = tqdm(desc="indexing", unit="doc", disable=not progress, leave=False)
        try:
            for item in [*given, *iter_documents(paths)]:
                bar.update(1)
                if isinstance(item, Document):
                    yield item
                else:
                    report.items.append(_problem_item(item))
        finally:
            bar.close()

    def _prepare(self, document: Document, report: IngestReport, taken: dict[str, str]) -> StoredDocument | None:
        text = clean_text(document.text)
        if not text.strip():
            report.items.append(IngestItem(doc_id=document.id, source=document.source, status="skipped",
                                           message="no text left after cleaning"))
            return None
        content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        doc_id = document.id or f"doc-{content_hash[:16]}"
        previous = self.store.document_hash(doc_id)
        if previous == content_hash:
            report.items.append(IngestItem(doc_id=doc_id, source=document.source, status="unchanged"))
            return None
        twin = taken.get(content_hash) or self.store.doc_id_for_hash(content_hash)
        if twin is not None and twin != doc_id:
            report.items.append(IngestItem(doc_id=doc_id, source=document.source, status="duplicate",
                                           message=f"same text as {twin}; stored once"))
            return None
        taken[content_hash] = doc_id
        chunking = self.settings.chunking
        chunks = chunk_text(doc_id, text, self.counter, chunking.size, chunking.overlap)
        status = "replaced" if previous is not None else "added"
        report.items.append(IngestItem(doc_id=doc_id, source=document.source, status=status, chunks=len(chunks)))
        return StoredDocument(
            doc_id=doc_id, content_hash=content_hash, text=text, title=document.title,
            source=document.source, url=document.url, date=document.date,
            metadata=dict(document.metadata), chunks=chunks, vectors=np.empty((0, 0), dtype=np.float32),
        )

    def _flush(self, pending: list[StoredDocument]) -> None:
        if not pending:
            return
        texts = [chunk.text for doc in pending for chunk in doc.chunks]
        parts = [self.embedder.embed_documents(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)]
        vectors = np.vstack(parts) if parts else np.empty((0, self.embedder.dimension), dtype=np.float32)
        offset = 0
        for doc in pending:
            doc.vectors = vectors[offset : offset + len(doc.chunks)]
            offset += len(doc.chunks)
        self.store.write(pending)


def _problem_item(problem: Any) -> IngestItem:
    status = getattr(problem, "status", None) or "error"
    source = str(getattr(problem, "path", None) or getattr(problem, "source", "") or "")
    return IngestItem(source=source or None, status=status, message=str(getattr(problem, "message", problem)))
