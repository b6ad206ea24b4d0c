"""Dense vector indexes over FAISS: exact flat search, HNSW and IVF, each over float32, float16 or SQ8 codes.

Every kind wraps the FAISS index in `IndexIDMap2`, so results carry the store's int64 chunk ids and
vectors can be reconstructed by id (compaction merges segments without re-embedding; with fp16/SQ8
storage the reconstructed vectors are the decoded codes).

Which kind a segment gets is `choose_dense_kind` (see `StoreParams`): exact search up to
`flat_max_rows`; above it HNSW for model embedders, but exact search for the `hashing` embedder,
whose near-orthogonal feature-hash vectors a proximity graph navigates badly
(scripts/measure_ann.py: HNSW recall@10 0.07 at 200k rows).
"""

from __future__ import annotations

from pathlib import Path

import faiss

from rag.errors import IndexCorruptError
from rag.store.dense.approximate import HNSWIndex, IVFIndex
from rag.store.dense.base import IdMapped
from rag.store.dense.choice import (
    EXACT_ALLOWED_MAX,
    FLAT_MAX_ROWS,
    KINDS,
    STORAGES,
    HNSWParams,
    IVFParams,
    check_storage,
    choose_dense_kind,
    is_hashing_embedder,
    kind_name,
)
from rag.store.dense.flat import FlatIndex
from rag.store.dense.ids import IdSet, IdsLike, as_idset, as_queries, clean_hits, empty_hits
from rag.store.dense.threads import (
    DEFAULT_BLAS_THRESHOLD,
    DEFAULT_THREADS,
    build_threads,
    configure_faiss,
    use_search_threads,
)

VectorIndexImpl = FlatIndex | HNSWIndex | IVFIndex

__all__ = [
    "DEFAULT_BLAS_THRESHOLD", "DEFAULT_THREADS", "EXACT_ALLOWED_MAX", "FLAT_MAX_ROWS", "KINDS", "STORAGES",
    "FlatIndex", "HNSWIndex", "HNSWParams", "IVFIndex", "IVFParams", "IdMapped", "IdSet", "IdsLike",
    "VectorIndexImpl", "as_idset", "as_queries", "build_threads", "check_storage", "choose_dense_kind",
    "clean_hits", "configure_faiss", "empty_hits", "is_hashing_embedder", "kind_name", "load_vector_index",
    "new_vector_index", "use_search_threads",
]


def new_vector_index(dimension: int, rows: int, *, flat_max_rows: int = FLAT_MAX_ROWS,
                     hnsw: HNSWParams = HNSWParams(), ivf: IVFParams = IVFParams(), embedder_id: str = "",
                     dense_index: str = "auto", storage: str = "float32") -> VectorIndexImpl:
    """The index `choose_dense_kind` picks for `rows` rows, over `storage` codes."""
    kind = choose_dense_kind(rows, embedder_id=embedder_id, dense_index=dense_index, flat_max_rows=flat_max_rows)
    if kind == "hnsw":
        return HNSWIndex(dimension, hnsw, storage)
    if kind == "ivf":
        return IVFIndex(dimension, ivf, storage, rows=rows)
    return FlatIndex(dimension, storage)


def load_vector_index(path: Path, *, hnsw: HNSWParams = HNSWParams(), ivf: IVFParams = IVFParams()) -> VectorIndexImpl:
    """Read a saved index, choosing the class from what the file holds."""
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(
            f"cannot read vector index {path}: {exc}; rebuild the index (`rag index --rebuild PATH...`)"
        ) from exc
    if not isinstance(index, faiss.IndexIDMap2):
        raise IndexCorruptError(f"{path} is not an id-mapped FAISS index; rebuild the index")
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, (faiss.IndexHNSWFlat, faiss.IndexHNSWSQ)):
        return HNSWIndex(index.d, hnsw, _index=index)
    if isinstance(inner, (faiss.IndexFlat, faiss.IndexScalarQuantizer)):
        return FlatIndex(index.d, _index=index)
    if isinstance(inner, (faiss.IndexIVFFlat, faiss.IndexIVFScalarQuantizer)):
        return IVFIndex(index.d, ivf, _index=index)
    raise IndexCorruptError(f"{path} holds an unsupported FAISS index ({type(inner).__name__}); rebuild the index")
