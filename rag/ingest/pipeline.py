"""Ingestion: load → clean → de-duplicate → chunk → embed → one atomic write to the store."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunking import chunk_text
from rag.config import Settings
from rag.ingest import parallel
from rag.ingest.clean import clean_text
from rag.ingest.files import count_files
from rag.ingest.loaders import iter_documents
from rag.progress import progress_bar
from rag.store import StoredDocument
from rag.text.tokens import get_token_counter
from rag.types import Chunk, Document, IngestItem, IngestReport

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
        self.counter.count("")  # load a lazily read encoding now: forked workers then share it

    def run(
        self, items: list[str | Path | Document], *, progress: bool = False, select: Callable[[str], bool] | None = None
    ) -> IngestReport:
        """Index `items`; `select(relative path)` chooses the files read from folders (see `path_filter`)."""
        started = time.perf_counter()
        report = IngestReport()
        entries = self._entries(items, progress, select)
        head, large = _head(entries)
        workers = self.workers()
        if large and workers > 1 and parallel.can_fork(self.embedder):
            self._run_parallel(chain(head, entries), report, workers)
        else:
            self._run_serial(chain(head, entries), report)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def workers(self) -> int:
        workers = self.settings.ingest.workers
        return workers if workers is not None else parallel.default_workers()

    def _entries(
        self, items: list[str | Path | Document], progress: bool, select: Callable[[str], bool] | None
    ) -> Iterator[Document | IngestItem]:
        """The given Documents, then those loaded from paths, with an item for each load problem."""
        paths = [item for item in items if not isinstance(item, Document)]
        given = [item for item in items if isinstance(item, Document)]
        # Files are counted first (a folder listing, no reading) so the bar has a total and an ETA.
        total = len(given) + count_files(paths, select) if progress else None
        bar = progress_bar(total=total, desc="indexing", unit="file", enabled=progress)
        try:
            for document in given:
                bar.update(1)
                yield document
            for item in iter_documents(paths, select=select, on_file=lambda: bar.update(1)):
                yield item if isinstance(item, Document) else _problem_item(item)
        finally:
            bar.close()

    def _run_serial(self, entries: Iterable[Document | IngestItem], report: IngestReport) -> None:
        pending = _WriteBuffer(self._write)
        taken: dict[str, str] = {}  # content hash -> doc id, for copies inside this batch
        for entry in entries:
            if isinstance(entry, IngestItem):
                report.items.append(entry)
                continue
            stored = self._prepare(entry, report, taken)
            if stored is not None:
                pending.add([stored])
        pending.flush()

    def _run_parallel(self, entries: Iterable[Document | IngestItem], report: IngestReport, workers: int) -> None:
        """Clean and hash, then chunk, embed and analyse, in worker processes; decide and write here, in order.

        A producer/consumer pipeline with two stages of futures, each consumed in input order:
        cleaning (whose hash decides unchanged/duplicate here, exactly as in `_run_serial`), then
        the accepted documents' chunking and embedding. At most `2 * workers` batches wait in each.
        """
        chunking = self.settings.chunking
        pool = parallel.start_pool(workers, self.embedder, self.counter, chunking.size, chunking.overlap)
        cleaning: deque[tuple[list[Document | IngestItem], Future]] = deque()
        embedding: deque[tuple[list[tuple[StoredDocument, IngestItem]], Future]] = deque()
        pending = _WriteBuffer(self._write)
        taken: dict[str, str] = {}
        ahead = 2 * workers
        try:
            for batch in _batches(entries):
                texts = [entry.text for entry in batch if isinstance(entry, Document)]
                cleaning.append((batch, pool.submit(parallel.clean_batch, texts)))
                while len(cleaning) > ahead:
                    self._accept(*cleaning.popleft(), report, taken, embedding, pool)
                while embedding and (len(embedding) > ahead or embedding[0][1].done()):
                    pending.add(_attach(*embedding.popleft()))
            while cleaning:
                self._accept(*cleaning.popleft(), report, taken, embedding, pool)
            while embedding:
                pending.add(_attach(*embedding.popleft()))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        pending.flush()

    def _accept(
        self,
        batch: list[Document | IngestItem],
        cleaned: Future,
        report: IngestReport,
        taken: dict[str, str],
        embedding: deque,
        pool: Any,
    ) -> None:
        """Report a cleaned batch in input order and send the documents to store on to be embedded."""
        cleaned_texts = cleaned.result()
        documents = [entry for entry in batch if isinstance(entry, Document)]
        ids = [_doc_id(document, content_hash) for document, (_, content_hash) in zip(documents, cleaned_texts)]
        # What the index holds of the batch, in two queries instead of two per document.
        known = self.store.known_documents(ids, [content_hash for _, content_hash in cleaned_texts])
        results = iter(cleaned_texts)
        accepted: list[tuple[StoredDocument, IngestItem]] = []
        for entry in batch:
            if isinstance(entry, IngestItem):
                report.items.append(entry)
                continue
            text, content_hash = next(results)
            stored = self._check(entry, text, content_hash, report.items, taken, known)
            if stored is not None:
                accepted.append((stored, report.items[-1]))
        if accepted:
            embedding.append((accepted, pool.submit(parallel.prepare_batch, [d.text for d, _ in accepted])))

    def _prepare(self, document: Document, report: IngestReport, taken: dict[str, str]) -> StoredDocument | None:
        text = clean_text(document.text)
        content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        stored = self._check(document, text, content_hash, report.items, taken)
        if stored is None:
            return None
        chunking = self.settings.chunking
        stored.chunks = chunk_text(stored.doc_id, text, self.counter, chunking.size, chunking.overlap)
        report.items[-1].chunks = len(stored.chunks)
        return stored

    def _check(
        self,
        document: Document,
        text: str,
        content_hash: str,
        items: list[IngestItem],
        taken: dict[str, str],
        known: tuple[dict, dict] | None = None,
    ) -> StoredDocument | None:
        """The document to store (without chunks yet, its item appended), or None with the reason appended.

        `known`: `store.known_documents` of this document's id and hash (looked up now when None).
        """
        if not text.strip():
            items.append(
                IngestItem(
                    doc_id=document.id, source=document.source, status="skipped", message="no text left after cleaning"
                )
            )
            return None
        doc_id = _doc_id(document, content_hash)
        hashes, owners = known or self.store.known_documents([doc_id], [content_hash])
        previous = hashes.get(doc_id)
        if previous == content_hash:
            items.append(IngestItem(doc_id=doc_id, source=document.source, status="unchanged"))
            return None
        twin = taken.get(content_hash) or owners.get(content_hash)
        if twin is not None and twin != doc_id:
            items.append(
                IngestItem(
                    doc_id=doc_id,
                    source=document.source,
                    status="duplicate",
                    message=f"same text as {twin}; stored once",
                )
            )
            return None
        taken[content_hash] = doc_id
        status = "replaced" if previous is not None else "added"
        items.append(IngestItem(doc_id=doc_id, source=document.source, status=status, chunks=0))
        return StoredDocument(
            doc_id=doc_id,
            content_hash=content_hash,
            text=text,
            title=document.title,
            source=document.source,
            url=document.url,
            date=document.date,
            metadata=dict(document.metadata),
            chunks=[],
            vectors=np.empty((0, 0), dtype=np.float32),
        )

    def _write(self, docs: list[StoredDocument]) -> None:
        """The one way documents reach the store: embedded here unless a worker already did it."""
        unembedded = [doc for doc in docs if len(doc.vectors) != len(doc.chunks)]
        texts = [chunk.text for doc in unembedded for chunk in doc.chunks]
        parts = [self.embedder.embed_documents(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)]
        vectors = np.vstack(parts) if parts else np.empty((0, self.embedder.dimension), dtype=np.float32)
        offset = 0
        for doc in unembedded:
            doc.vectors = vectors[offset : offset + len(doc.chunks)]
            offset += len(doc.chunks)
        self.store.write(docs)


class _WriteBuffer:
    """Documents held until about WRITE_BATCH chunks, then written in one commit."""

    def __init__(self, write: Callable[[list[StoredDocument]], None]) -> None:
        self.write = write
        self.docs: list[StoredDocument] = []
        self.chunks = 0

    def add(self, docs: list[StoredDocument]) -> None:
        self.docs.extend(docs)
        self.chunks += sum(len(doc.chunks) for doc in docs)
        if self.chunks >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.docs:
            self.write(self.docs)
        self.docs, self.chunks = [], 0


def _attach(accepted: list[tuple[StoredDocument, IngestItem]], prepared: Future) -> list[StoredDocument]:
    """Give each accepted document the chunks, vectors, terms and sentence facts a worker computed for it."""
    counts, spans, vectors, (term_lengths, term_flat), facts = prepared.result()
    term_ends = np.cumsum(term_lengths)
    term_starts = term_ends - term_lengths
    row = 0
    for (doc, item), count in zip(accepted, counts.tolist(), strict=True):
        rows = slice(row, row + count)
        doc.chunks = [
            Chunk(doc.doc_id, ordinal, doc.text[start:end], start, end, tokens)
            for ordinal, (start, end, tokens) in enumerate(spans[rows].tolist())
        ]
        doc.vectors = vectors[rows]
        doc.chunk_terms = [
            term_flat[a:b] for a, b in zip(term_starts[rows].tolist(), term_ends[rows].tolist(), strict=True)
        ]
        doc.chunk_facts = facts[rows]
        item.chunks = count
        row += count
    return [doc for doc, _ in accepted]


def _doc_id(document: Document, content_hash: str) -> str:
    return document.id or f"doc-{content_hash[:16]}"


def _head(entries: Iterator[Document | IngestItem]) -> tuple[list[Document | IngestItem], bool]:
    """The first entries, read until the input proves large enough for worker processes (True) or ends."""
    head: list[Document | IngestItem] = []
    documents = chars = 0
    for entry in entries:
        head.append(entry)
        if isinstance(entry, Document):
            documents += 1
            chars += len(entry.text)
            if documents > parallel.MIN_DOCUMENTS or chars > parallel.MIN_CHARS:
                return head, True
    return head, False


def _batches(entries: Iterable[Document | IngestItem]) -> Iterator[list[Document | IngestItem]]:
    batch: list[Document | IngestItem] = []
    documents = chars = 0
    for entry in entries:
        batch.append(entry)
        if isinstance(entry, Document):
            documents += 1
            chars += len(entry.text)
        if documents >= parallel.BATCH_DOCUMENTS or chars >= parallel.BATCH_CHARS:
            yield batch
            batch, documents, chars = [], 0, 0
    if batch:
        yield batch


def _problem_item(problem: Any) -> IngestItem:
    status = getattr(problem, "status", None) or "error"
    source = str(getattr(problem, "path", None) or getattr(problem, "source", "") or "")
    return IngestItem(source=source or None, status=status, message=str(getattr(problem, "message", problem)))
