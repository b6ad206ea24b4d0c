"""The manifest: what the index was built with, checked on open and mirrored to manifest.json."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.errors import IndexMismatchError
from rag.store.fsutil import atomic_write_text

FORMAT_VERSION = 1
EMPTY_FINGERPRINT = "0" * 64
REBUILD_HINT = "rebuild with `rag index --rebuild PATH...` or use --index-dir for a new index"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalise(value: Any) -> Any:
    """JSON round trip, so a freshly passed dict compares equal to the stored one (Paths become str)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def check_compatible(
    meta: dict[str, Any], path: Path, *, embedder_id: str, dimension: int, chunking: dict[str, Any]
) -> None:
    """Raise IndexMismatchError naming the stored and the requested value of the first difference."""
    checks = [
        ("format version", meta.get("format_version"), FORMAT_VERSION),
        ("embedder", meta.get("embedder_id"), embedder_id),
        ("embedding dimension", meta.get("dimension"), dimension),
    ]
    stored_chunking = meta.get("chunking") or {}
    wanted_chunking = normalise(chunking)
    for key in sorted(set(stored_chunking) | set(wanted_chunking)):
        checks.append((f"chunking {key}", stored_chunking.get(key), wanted_chunking.get(key)))
    for what, stored, wanted in checks:
        if stored != wanted:
            raise IndexMismatchError(
                f"the index at {path} was built with {what} {stored!r}, but {wanted!r} was asked for; {REBUILD_HINT}"
            )


def fingerprint_update(current: str, doc_id: str, content_hash: str) -> str:
    """Add or remove one document from the corpus fingerprint (XOR is its own inverse).

    An order-free XOR of per-document hashes can be updated per write, where a hash over the
    sorted list of all documents would reread the whole catalog on every add.
    """
    digest = hashlib.sha256(f"{doc_id}\0{content_hash}".encode()).hexdigest()
    return f"{int(current, 16) ^ int(digest, 16):064x}"


def fingerprint_after(current: str, removed: dict[str, str], added: list[tuple[str, str]]) -> str:
    """The fingerprint once documents `removed` ({doc_id: content_hash}) are replaced by `added` pairs."""
    for doc_id, content_hash in [*removed.items(), *added]:
        current = fingerprint_update(current, doc_id, content_hash)
    return current


def render(
    meta: dict[str, Any], *, documents: int, chunks: int, deleted: int, segments: list[tuple[str, str, int]]
) -> dict[str, Any]:
    """The human-readable manifest; the catalog's meta table stays the source of truth."""
    params = meta.get("params", {})
    return {
        "format_version": meta.get("format_version"),
        "embedder": {"id": meta.get("embedder_id"), "dimension": meta.get("dimension")},
        "chunking": meta.get("chunking"),
        "fingerprint": meta.get("fingerprint"),
        "counts": {"documents": documents, "chunks": chunks, "deleted_not_compacted": deleted},
        "segments": [{"name": name, "kind": kind, "rows": rows} for name, kind, rows in segments],
        "dense": dense_policy(meta),
        "lexical": {
            "scoring": "okapi-bm25",
            "k1": params.get("k1"),
            "b": params.get("b"),
            "analyzer": "rag.text.analyze.terms",
            "term_ids": "blake2b-64",
        },
        "compaction": {
            key: params.get(key) for key in ("max_segments", "merge_factor", "max_deleted_fraction", "tier_base_rows")
        },
        "created": meta.get("created"),
        "updated": meta.get("updated"),
    }


def dense_policy(meta: dict[str, Any]) -> dict[str, Any]:
    """The dense index choice: the configured override, what segments above the threshold get, parameters."""
    from rag.store.params import StoreParams  # params -> dense -> faiss; keep this module light

    raw = meta.get("params", {})
    params = StoreParams.from_meta(raw).for_embedder(meta.get("embedder_id") or "")
    above = params.dense_kind(params.flat_max_rows + 1)
    return {
        "metric": "inner_product",
        "flat_max_rows": params.flat_max_rows,
        "index": params.dense_index,
        "storage": params.dense_storage,
        "above_flat_max_rows": above,
        "hnsw": raw.get("hnsw"),
        "ivf": raw.get("ivf"),
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return  # already current (every open of an index rewrites it): no write, no fsync
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write_text(path, text)
