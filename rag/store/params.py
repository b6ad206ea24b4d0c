"""Tunable parameters of the index store, stored in the catalog so a reopened index keeps them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rag.store.dense import FLAT_MAX_ROWS, HNSWParams


@dataclass(frozen=True)
class StoreParams:
    flat_max_rows: int = FLAT_MAX_ROWS  # segments above this many rows get HNSW
    hnsw: HNSWParams = field(default_factory=HNSWParams)
    k1: float = 1.5  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation
    max_segments: int = 8  # more than this many segments triggers a merge of the smallest
    merge_factor: int = 4  # this many segments of one size tier are merged into one
    max_deleted_fraction: float = 0.25  # a segment with more deleted rows than this is rewritten
    tier_base_rows: int = 1024  # segments under this many rows share the lowest tier

    def to_meta(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_meta(cls, data: dict[str, Any]) -> "StoreParams":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if isinstance(known.get("hnsw"), dict):
            known["hnsw"] = HNSWParams(**known["hnsw"])
        return cls(**known)
