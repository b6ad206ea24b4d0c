"""Tunable parameters of the index store, stored in the catalog so a reopened index keeps them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from rag.store.dense import FLAT_MAX_ROWS, KINDS, HNSWParams, IVFParams, check_storage, choose_dense_kind, kind_name


@dataclass(frozen=True)
class StoreParams:
    flat_max_rows: int = FLAT_MAX_ROWS  # segments above this many rows get an approximate index
    # Above flat_max_rows: "auto" = HNSW for model embedders, exact for the hashing embedder
    # (graph search fails on its near-orthogonal vectors); "flat" | "hnsw" | "ivf" force one kind.
    dense_index: str = "auto"
    # Vector codes of every segment: "float32", or "float16" (2x smaller) / "sq8" (4x smaller), see docs/scaling.md.
    dense_storage: str = "float32"
    hnsw: HNSWParams = field(default_factory=HNSWParams)
    ivf: IVFParams = field(default_factory=IVFParams)
    k1: float = 1.5  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation
    max_segments: int = 8  # more than this many segments triggers a merge of the smallest
    merge_factor: int = 4  # this many segments of one size tier are merged into one
    max_deleted_fraction: float = 0.25  # a segment with more deleted rows than this is rewritten
    tier_base_rows: int = 1024  # segments under this many rows share the lowest tier
    # The index's embedder id, filled in by IndexStore.open from the manifest; not a stored parameter.
    embedder_id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.dense_index not in ("auto", *KINDS):
            raise ValueError(f"dense_index must be auto, {', '.join(KINDS)}; got {self.dense_index!r}")
        check_storage(self.dense_storage)

    def for_embedder(self, embedder_id: str) -> StoreParams:
        return replace(self, embedder_id=embedder_id)

    def dense_kind(self, rows: int) -> str:
        """The segment kind ('flat', 'hnsw-sq8', ...) a segment of `rows` rows gets."""
        kind = choose_dense_kind(
            rows, embedder_id=self.embedder_id, dense_index=self.dense_index, flat_max_rows=self.flat_max_rows
        )
        return kind_name(kind, self.dense_storage)

    def to_meta(self) -> dict[str, Any]:
        data = asdict(self)
        del data["embedder_id"]
        return data

    @classmethod
    def from_meta(cls, data: dict[str, Any]) -> StoreParams:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "embedder_id"}
        if isinstance(known.get("hnsw"), dict):
            known["hnsw"] = HNSWParams(**known["hnsw"])
        if isinstance(known.get("ivf"), dict):
            known["ivf"] = IVFParams(**known["ivf"])
        return cls(**known)
