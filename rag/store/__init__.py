"""The on-disk index: SQLite catalog, immutable FAISS + BM25 segments, and a JSON manifest."""

from rag.store.base import LexicalIndex, VectorIndex
from rag.store.dense import FlatIndex, HNSWIndex, HNSWParams, configure_faiss, load_vector_index
from rag.store.index_store import IndexNotFoundError, IndexStore
from rag.store.lexical import BM25Index
from rag.store.params import StoreParams
from rag.store.records import ChunkText, StoredChunk, StoredDocument

__all__ = [
    "BM25Index",
    "ChunkText",
    "FlatIndex",
    "HNSWIndex",
    "HNSWParams",
    "IndexNotFoundError",
    "IndexStore",
    "LexicalIndex",
    "StoreParams",
    "StoredChunk",
    "StoredDocument",
    "VectorIndex",
    "configure_faiss",
    "load_vector_index",
]
