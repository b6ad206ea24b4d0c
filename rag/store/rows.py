"""Rows the store writes to and reads from the catalog, built from and into plain records."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from rag.store import manifest as mf
from rag.store.catalog import Catalog, WritePlan
from rag.store.params import StoreParams
from rag.store.records import StoredChunk, StoredDocument
from rag.store.segments import Segment


def store_meta(
    catalog: Catalog, embedder_id: str, dimension: int, chunking: dict, params: StoreParams | None
) -> dict[str, Any]:
    """The catalog's meta, written first when the index is new or `params` differ; call under the write lock."""
    meta = catalog.meta()
    wanted = mf.normalise(params.to_meta()) if params is not None else None
    if not meta:
        catalog.commit(WritePlan(meta=initial_meta(embedder_id, dimension, chunking, params or StoreParams())))
    elif wanted is not None and wanted != meta.get("params"):
        catalog.commit(WritePlan(meta={"params": wanted}))
    return catalog.meta()


def initial_meta(embedder_id: str, dimension: int, chunking: dict, params: StoreParams) -> dict[str, Any]:
    return {
        "format_version": mf.FORMAT_VERSION,
        "embedder_id": embedder_id,
        "dimension": int(dimension),
        "chunking": mf.normalise(chunking),
        "params": mf.normalise(params.to_meta()),
        "created": mf.now(),
        "updated": mf.now(),
        "next_id": 0,
        "next_segment": 0,
        "fingerprint": mf.EMPTY_FINGERPRINT,
    }


def validate(docs: list[StoredDocument], dimension: int) -> None:
    seen: set[str] = set()
    for doc in docs:
        if doc.doc_id in seen:
            raise ValueError(f"document {doc.doc_id!r} appears twice in one write; pass each document once")
        seen.add(doc.doc_id)
        shape = np.shape(doc.vectors)
        if doc.chunks and shape != (len(doc.chunks), dimension):
            raise ValueError(
                f"document {doc.doc_id!r} has {len(doc.chunks)} chunks but vectors of shape "
                f"{shape}; expected ({len(doc.chunks)}, {dimension})"
            )


def document_rows(docs: list[StoredDocument]) -> list[tuple]:
    added = mf.now()
    return [
        (
            d.doc_id,
            d.content_hash,
            d.title,
            d.source,
            d.url,
            d.date,
            json.dumps(d.metadata or {}, default=str),
            len(d.text),
            len(d.chunks),
            added,
        )
        for d in docs
    ]


def chunk_rows(docs: list[StoredDocument], first_id: int) -> list[tuple]:
    rows, next_id = [], first_id
    for doc in docs:
        facts = doc.chunk_facts if doc.chunk_facts is not None else [chunk_facts(c.text) for c in doc.chunks]
        for chunk, chunk_fact in zip(doc.chunks, facts, strict=True):
            rows.append(
                (
                    next_id,
                    f"{doc.doc_id}#{chunk.ordinal}",
                    doc.doc_id,
                    chunk.ordinal,
                    chunk.text,
                    chunk.start,
                    chunk.end,
                    chunk.n_tokens,
                    chunk_fact,
                )
            )
            next_id += 1
    return rows


def segment_row(segment: Segment) -> tuple[str, str, int, str]:
    return (segment.name, segment.kind, segment.rows, mf.now())


def stored_chunk(row: tuple) -> StoredChunk:
    """A chunk from its catalog row (either store: PostgreSQL gives metadata as a dict, SQLite as JSON)."""
    id_, chunk_id, doc_id, text, start, end, ordinal, title, source, url, date, metadata, facts = row
    if metadata == "{}":
        metadata = {}  # most documents have none: skip the JSON parser
    elif isinstance(metadata, str | bytes):
        metadata = json.loads(metadata)
    return StoredChunk(
        id=id_,
        chunk_id=chunk_id,
        doc_id=doc_id,
        text=text,
        start=start,
        end=end,
        title=title,
        source=source,
        url=url,
        date=date,
        ordinal=ordinal,
        metadata=metadata or {},
        facts=facts,
    )


def chunk_facts(text: str) -> bytes:
    """The question-independent facts answers need about a chunk (rag.answer.facts), as stored."""
    from rag.answer import facts  # lazy: the answer package is not needed to open or search a store

    return facts.dumps(text)


def remember_facts(chunks: list[StoredChunk]) -> None:
    """Hand the stored facts of chunks just read to the answerer's per-text cache."""
    from rag.answer.stored_facts import remember

    for chunk in chunks:
        remember(chunk.text, chunk.facts)
