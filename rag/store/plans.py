"""What one write or one merge changes in the catalog, worked out before anything touches disk.

Pure functions of the catalog's meta and the records: the store holds the write lock, builds the
plan here, writes the segment files and then commits plan and files together.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.store import manifest as mf
from rag.store import rows as catalog_rows
from rag.store.catalog import WritePlan
from rag.store.records import StoredDocument
from rag.store.segments import Segment


def write_plan(meta: dict[str, Any], old: dict[str, str], gone: np.ndarray, docs: list[StoredDocument]) -> WritePlan:
    """Replace the documents in `old` ({doc_id: content_hash}, whose chunks are `gone`) by `docs`.

    Chunk ids continue from the catalog's `next_id`; a new segment takes the next sequence number
    only when the write adds chunks.
    """
    first_id, seq = int(meta["next_id"]), int(meta["next_segment"])
    chunks = catalog_rows.chunk_rows(docs, first_id)
    return WritePlan(
        remove_docs=list(old),
        deleted_ids=gone,
        documents=catalog_rows.document_rows(docs),
        chunks=chunks,
        meta={
            "next_id": first_id + len(chunks),
            "next_segment": seq + (len(chunks) > 0),
            "fingerprint": mf.fingerprint_after(meta["fingerprint"], old, [(d.doc_id, d.content_hash) for d in docs]),
            "updated": mf.now(),
        },
    )


def merge_plan(merged_from: list[tuple[str, np.ndarray]], merged: Segment | None, seq: int) -> WritePlan:
    """Swap segments `merged_from` ((name, deleted ids) pairs) for `merged` (None when no row survived)."""
    return WritePlan(
        drop_segments=[name for name, _deleted in merged_from],
        forget_deleted=np.concatenate([deleted for _name, deleted in merged_from]),
        new_segments=[catalog_rows.segment_row(merged)] if merged is not None else [],
        meta={"next_segment": seq + 1, "updated": mf.now()},
    )
