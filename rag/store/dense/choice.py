"""Which dense index a segment gets, and the parameters of each kind (see `rag.store.params`)."""

from __future__ import annotations

from dataclasses import dataclass

# A segment with more rows than this gets an HNSW index; below it exact search is fast enough.
FLAT_MAX_ROWS = 200_000
# Under this many allowed ids an HNSW segment scores the allowed vectors exactly: a filtered
# graph walk over a tiny allowed set misses hits, a few thousand dot products do not.
EXACT_ALLOWED_MAX = 4096


@dataclass(frozen=True)
class HNSWParams:
    """Defaults from scripts/measure_ann.py on all-MiniLM-L6-v2 vectors of SQuAD text: recall@10 vs
    exact 0.9988 at 10k real rows and 0.992 at 50k (40k noisy tiles) with efSearch 128, p50 0.1-0.2 ms
    on one thread; efSearch 64 gave 0.9956 / 0.9856, leaving too little margin for 1M rows."""

    m: int = 32
    ef_construction: int = 80
    ef_search: int = 128


@dataclass(frozen=True)
class IVFParams:
    nlist: int = 0  # inverted lists; 0: 4 * sqrt(rows), clamped to [16, 65536]
    nprobe: int = 32  # lists scanned per query

    def lists_for(self, rows: int) -> int:
        if self.nlist > 0:
            return self.nlist
        return int(min(max(16, 4 * round(rows ** 0.5)), 65536))


KINDS = ("flat", "hnsw", "ivf")
STORAGES = ("float32", "float16", "sq8")


def check_storage(storage: str) -> str:
    if storage not in STORAGES:
        raise ValueError(f"dense storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    return storage


def kind_name(kind: str, storage: str) -> str:
    """The segment kind recorded in the catalog and manifest: 'hnsw', 'flat-sq8', 'ivf-float16', ..."""
    return kind if storage == "float32" else f"{kind}-{storage}"


def is_hashing_embedder(embedder_id: str) -> bool:
    return embedder_id.startswith("hashing")


def choose_dense_kind(rows: int, *, embedder_id: str = "", dense_index: str = "auto",
                      flat_max_rows: int = FLAT_MAX_ROWS) -> str:
    """'flat', 'hnsw' or 'ivf' for a segment of `rows` rows.

    Up to `flat_max_rows` always exact. Above it `dense_index` decides: "flat"/"hnsw"/"ivf" force
    that kind; "auto" is HNSW for model embedders and exact for the hashing embedder (HNSW recall@10
    on its vectors fell to 0.07 at 200k rows; IVF did not reach 0.95 at a useful speed either).
    """
    if dense_index not in ("auto", *KINDS):
        raise ValueError(f"dense index must be auto, {', '.join(KINDS)}; got {dense_index!r}")
    if rows <= flat_max_rows:
        return "flat"
    if dense_index != "auto":
        return dense_index
    return "flat" if is_hashing_embedder(embedder_id) else "hnsw"
