"""Immutable segment folders (`segments/<name>/`: dense.faiss, lexical.npz, segment.json) and the merge policy.

A segment is written under a hidden temporary name, every file fsync'd, then renamed into
place; it only becomes part of the index when the catalog transaction that lists it commits.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import IndexCorruptError
from rag.store.dense import IdSet, VectorIndexImpl, load_vector_index, new_vector_index
from rag.store.fsutil import fsync_dir, fsync_file, remove_tree
from rag.store.lexical import BM25Index
from rag.store.manifest import now
from rag.store.params import StoreParams
from rag.store.records import StoredDocument

DENSE_FILE = "dense.faiss"
LEXICAL_FILE = "lexical.npz"
INFO_FILE = "segment.json"


@dataclass(frozen=True)
class Segment:
    """One loaded segment; never changed after it is written (deletions live in the catalog)."""

    name: str
    dense: VectorIndexImpl
    lexical: BM25Index

    @property
    def rows(self) -> int:
        return len(self.lexical.ids)

    @property
    def kind(self) -> str:
        return self.dense.kind


def segment_name(sequence: int) -> str:
    return f"seg-{sequence:06d}"


def new_dense(dimension: int, rows: int, params: StoreParams) -> VectorIndexImpl:
    """The dense index for a new segment: kind from rows and embedder (`StoreParams.dense_kind`)."""
    return new_vector_index(dimension, rows, flat_max_rows=params.flat_max_rows, hnsw=params.hnsw, ivf=params.ivf,
                            embedder_id=params.embedder_id, dense_index=params.dense_index,
                            storage=params.dense_storage)


def build_segment(root: Path, name: str, ids: np.ndarray, vectors: np.ndarray, texts: list[str],
                  dimension: int, params: StoreParams, terms: list[np.ndarray] | None = None) -> Segment:
    """Index the rows in memory, write them to `root/name` atomically, and return the segment.

    `terms` (per text, as `analyse_terms` gives them) spares analysing texts a worker already did.
    """
    dense = new_dense(dimension, len(ids), params)
    dense.add(ids, vectors)
    lexical = BM25Index.build(ids, texts, k1=params.k1, b=params.b, terms=terms)
    segment = Segment(name, dense, lexical)
    publish_segment(root, segment)
    return segment


def segment_of_documents(root: Path, name: str, docs: list[StoredDocument], first_id: int, dimension: int,
                         params: StoreParams) -> Segment | None:
    """The segment holding the chunks of `docs` under ids from `first_id` on; None when they have none."""
    texts = [c.text for d in docs for c in d.chunks]
    if not texts:
        return None
    with_chunks = [d for d in docs if d.chunks]
    vectors = np.concatenate([np.asarray(d.vectors, dtype=np.float32) for d in with_chunks])
    ids = np.arange(first_id, first_id + len(texts), dtype=np.int64)
    terms = None
    if all(d.chunk_terms is not None for d in with_chunks):
        terms = [t for d in with_chunks for t in d.chunk_terms or ()]
    return build_segment(root, name, ids, vectors, texts, dimension, params, terms)


def publish_segment(root: Path, segment: Segment) -> Path:
    """Write the segment's files under a temporary name, fsync them, rename the folder into place."""
    root.mkdir(parents=True, exist_ok=True)
    tmp, final = root / f".tmp-{segment.name}", root / segment.name
    remove_tree(tmp)
    remove_tree(final)  # left by a write that failed before its commit
    try:
        tmp.mkdir()
        segment.dense.save(tmp / DENSE_FILE)
        segment.lexical.save(tmp / LEXICAL_FILE)
        info = {"name": segment.name, "kind": segment.kind, "rows": segment.rows, "created": now()}
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        for file in (DENSE_FILE, LEXICAL_FILE, INFO_FILE):
            fsync_file(tmp / file)
        fsync_dir(tmp)
        os.rename(tmp, final)
        fsync_dir(root)
    except BaseException:
        remove_tree(tmp)
        remove_tree(final)
        raise
    return final


def load_segment(root: Path, name: str, rows: int, params: StoreParams) -> Segment:
    folder = root / name
    if not folder.is_dir():
        raise IndexCorruptError(f"segment folder {folder} listed in the catalog is missing; rebuild the index")
    dense = load_vector_index(folder / DENSE_FILE, hnsw=params.hnsw, ivf=params.ivf)
    lexical = BM25Index.load(folder / LEXICAL_FILE, k1=params.k1, b=params.b)
    if dense.ntotal != rows or len(lexical.ids) != rows:
        raise IndexCorruptError(
            f"segment {folder} holds {dense.ntotal} vectors and {len(lexical.ids)} lexical rows, "
            f"the catalog says {rows}; rebuild the index"
        )
    return Segment(name, dense, lexical)


def remove_orphans(root: Path, keep: set[str]) -> list[str]:
    """Delete segment folders the catalog does not list (left by a crash); return their names."""
    if not root.is_dir():
        return []
    orphans = [entry.name for entry in root.iterdir() if entry.is_dir() and entry.name not in keep]
    for name in orphans:
        remove_tree(root / name)
    return orphans


def merge_segments(root: Path, name: str, parts: list[tuple[Segment, IdSet]], dimension: int,
                   params: StoreParams) -> Segment | None:
    """One segment from several, without their deleted rows; None when no row survives."""
    ids, vectors, lexical_parts = [], [], []
    for segment, deleted in parts:
        seg_ids = segment.dense.ids()
        keep = ~np.isin(seg_ids, deleted.ids)
        ids.append(seg_ids[keep])
        vectors.append(segment.dense.vectors()[keep])
        lexical_parts.append((segment.lexical, ~np.isin(segment.lexical.ids, deleted.ids)))
    all_ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    if not len(all_ids):
        return None
    dense = new_dense(dimension, len(all_ids), params)
    dense.add(all_ids, np.concatenate(vectors))
    lexical = BM25Index.merge(lexical_parts, k1=params.k1, b=params.b)
    segment = Segment(name, dense, lexical)
    publish_segment(root, segment)
    return segment


def plan_merge(live: dict[str, tuple[int, int]], params: StoreParams) -> list[str]:
    """Names of segments to merge now ([] for none), given name -> (rows, deleted rows).

    Size-tiered like an LSM tree: `merge_factor` segments of one size tier merge into the next,
    so a single-document add never rewrites the large segments; mostly-deleted segments are
    rewritten; and past `max_segments` the smallest are merged to bound per-query overhead.
    """
    dead = [n for n, (rows, gone) in live.items() if rows and gone / rows > params.max_deleted_fraction]
    if dead:
        return sorted(dead)
    tiers: dict[int, list[str]] = {}
    for name, (rows, gone) in live.items():
        alive = max(rows - gone, 1)
        tier = 0 if alive < params.tier_base_rows else 1 + int(math.log(alive / params.tier_base_rows,
                                                                         params.merge_factor))
        tiers.setdefault(tier, []).append(name)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= params.merge_factor:
            return sorted(tiers[tier])
    if len(live) > params.max_segments:
        by_size = sorted(live, key=lambda n: live[n][0] - live[n][1])
        return sorted(by_size[: len(live) - params.max_segments + 1])
    return []
