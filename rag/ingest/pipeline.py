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
        pending: list[StoredDocument] = []
        pending_chunks = 0
        taken: dict[str, str] = {}  # content hash -> doc id, for copies inside this batch
        for entry in entries:
            if isinstance(entry, IngestItem):
                report.items.append(entry)
                continue
            stored = self._prepare(entry, report, taken)
            if stored is None:
                continue
            pending.append(stored)
            pending_chunks += len(stored.chunks)
            if pending_chunks >= WRITE_BATCH:
                self._flush(pending)
                pending, pending_chunks = [], 0
        self._flush(pending)

    def _run_parallel(self, entries: Iterable[Document | IngestItem], report: IngestReport, workers: int) -> None:
        """Clean and hash, then chunk, embed and analyse, in worker processes; the rest here, in order.

        Batches go through two tasks: cleaning (whose hash decides unchanged/duplicate here, in
        input order, exactly as in `_run_serial`), then the accepted documents' chunking and
        embedding. Report items keep input order: each document holds its slot until decided.
        """
        chunking = self.settings.chunking
        pool = parallel.start_pool(workers, self.embedder, self.counter, chunking.size, chunking.overlap)
        cleaning: deque[tuple[list[Document], list[int], Future]] = deque()
        embedding: deque[tuple[list[StoredDocument], list[int], Future]] = deque()
        taken: dict[str, str] = {}
        state = {"pending": [], "chunks": 0}
        ahead = 2 * workers

        def decide() -> None:
            docs, slots, future = cleaning.popleft()
            accepted: list[StoredDocument] = []
            accepted_slots: list[int] = []
            for document, slot, (text, content_hash) in zip(docs, slots, future.result()):
                stored = self._decide(document, text, content_hash, report, slot, taken)
                if stored is not None:
                    accepted.append(stored)
                    accepted_slots.append(slot)
            if accepted:
                embedding.append((accepted, accepted_slots, pool.submit(parallel.prepare_batch,
                                                                        [d.text for d in accepted])))

        def collect() -> None:
            accepted, slots, future = embedding.popleft()
            self._attach(accepted, slots, future.result(), report)
            state["pending"].extend(accepted)
            state["chunks"] += sum(len(d.chunks) for d in accepted)
            if state["chunks"] >= WRITE_BATCH:
                self.store.write(state["pending"])
                state["pending"], state["chunks"] = [], 0

        try:
            for batch in _batches(entries):
                docs, slots = [], []
                for entry in batch:
                    if isinstance(entry, IngestItem):
                        report.items.append(entry)
                    else:
                        docs.append(entry)
                        slots.append(len(report.items))
                        report.items.append(None)  # type: ignore[arg-type]  # filled in by _decide
                if docs:
                    cleaning.append((docs, slots, pool.submit(parallel.clean_batch, [d.text for d in docs])))
                while len(cleaning) > ahead:
                    decide()
                while embedding and (len(embedding) > ahead or embedding[0][2].done()):
                    collect()
            while cleaning:
                decide()
            while embedding:
                collect()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if state["pending"]:
            self.store.write(state["pending"])

    def _decide(self, document: Document, text: str, content_hash: str, report: IngestReport, slot: int,
                taken: dict[str, str]) -> StoredDocument | None:
        """`_prepare` for a document cleaned elsewhere, writing its report item into `slot`."""
        items: list[IngestItem] = []
        stored = self._check(document, text, content_hash, items, taken)
        report.items[slot] = items[0]
        return stored

    def _attach(self, accepted: list[StoredDocument], slots: list[int], prepared: tuple, report: IngestReport) -> None:
        counts, spans, vectors, (term_lengths, term_flat) = prepared
        term_ends = np.cumsum(term_lengths)
        term_starts = term_ends - term_lengths
        row = 0
        for doc, slot, count in zip(accepted, slots, counts.tolist()):
            chunks = []
            for ordinal, (start, end, tokens) in enumerate(spans[row : row + count].tolist()):
                chunks.append(Chunk(doc.doc_id, ordinal, doc.text[start:end], start, end, tokens))
            doc.chunks = chunks
            doc.vectors = vectors[row : row + count]
            doc.chunk_terms = [term_flat[a:b] for a, b in zip(term_starts[row : row + count].tolist(),
                                                               term_ends[row : row + count].tolist())]
            report.items[slot].chunks = count
            row += count

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

    def _check(self, document: Document, text: str, content_hash: str, items: list[IngestItem],
               taken: dict[str, str]) -> StoredDocument | None:
        """The document to store (without chunks yet, its item appended), or None with the reason appended."""
        if not text.strip():
            items.append(IngestItem(doc_id=document.id, source=document.source, status="skipped",
                                    message="no text left after cleaning"))
            return None
        doc_id = document.id or f"doc-{content_hash[:16]}"
        previous = self.store.document_hash(doc_id)
        if previous == content_hash:
            items.append(IngestItem(doc_id=doc_id, source=document.source, status="unchanged"))
            return None
        twin = taken.get(content_hash) or self.store.doc_id_for_hash(content_hash)
        if twin is not None and twin != doc_id:
            items.append(IngestItem(doc_id=doc_id, source=document.source, status="duplicate",
                                    message=f"same text as {twin}; stored once"))
            return None
        taken[content_hash] = doc_id
        status = "replaced" if previous is not None else "added"
        items.append(IngestItem(doc_id=doc_id, source=document.source, status=status, chunks=0))
        return StoredDocument(
            doc_id=doc_id, content_hash=content_hash, text=text, title=document.title,
            source=document.source, url=document.url, date=document.date,
            metadata=dict(document.metadata), chunks=[], vectors=np.empty((0, 0), dtype=np.float32),
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
