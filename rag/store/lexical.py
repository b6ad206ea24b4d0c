"""BM25 postings for one segment, scored with statistics gathered across all segments.

Terms are identified by a 64-bit hash (blake2b) of the analysed term. Each segment keeps a
sorted array of the term hashes it contains and a CSC term-frequency matrix whose columns follow
that array, so segments stay self-contained (no shared vocabulary file to keep in step) while
a query term maps to the same key in every segment. With 64 bits, collisions in a vocabulary of
millions of terms are ~1e-7 likely, unlike a 2^22 hashed column space where a fifth of a 1M-term
vocabulary would share columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.errors import IndexCorruptError
from rag.store.bm25 import SegmentView, search_segments
from rag.store.csc import CSCMatrix
from rag.store.terms import analyse_terms, query_hashes, term_hash, term_hashes

__all__ = ["BM25Index", "analyse_terms", "query_hashes", "term_hash", "term_hashes"]

FORMAT = 1


class BM25Index:
    """Postings of one segment: a (rows x terms) CSC term-frequency matrix plus row ids and lengths."""

    def __init__(
        self,
        ids: np.ndarray | None = None,
        lengths: np.ndarray | None = None,
        matrix: CSCMatrix | None = None,
        term_hashes: np.ndarray | None = None,
        *,
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        self.ids = np.asarray(ids if ids is not None else np.empty(0), dtype=np.int64)
        self.lengths = np.asarray(lengths if lengths is not None else np.empty(0), dtype=np.float32)
        self.term_hashes = np.asarray(term_hashes if term_hashes is not None else np.empty(0), dtype=np.uint64)
        self.matrix = matrix if matrix is not None else CSCMatrix.empty(len(self.ids))
        self.k1, self.b = k1, b
        self.removed = np.zeros(len(self.ids), dtype=bool)
        self._order = np.argsort(self.ids, kind="stable")

    # -- building ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        texts: list[str],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        terms: list[np.ndarray] | None = None,
    ) -> BM25Index:
        """Postings of `texts`; `terms` (per text, `analyse_terms` of it) skips analysing them again."""
        index = cls(k1=k1, b=b)
        index.add(ids, texts, terms=terms)
        return index

    def __len__(self) -> int:
        return int(len(self.ids) - self.removed.sum())

    def add(self, ids: np.ndarray, texts: list[str], *, terms: list[np.ndarray] | None = None) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(texts):
            raise ValueError(f"got {len(ids)} ids for {len(texts)} texts")
        if terms is not None and len(terms) != len(texts):
            raise ValueError(f"got {len(terms)} term lists for {len(texts)} texts")
        rows, cols, tf, hashes, lengths = _analyse(texts) if terms is None else _postings(terms)
        if not len(self.ids):  # a new index: the postings are keyed by sorted term hash already
            self._keyed(ids, lengths, rows, cols, tf, hashes, np.zeros(len(ids), dtype=bool))
            return
        rows = rows + len(self.ids)
        old = self.matrix.triples()
        self._rebuild(
            np.concatenate([self.ids, ids]),
            np.concatenate([self.lengths, lengths]),
            np.concatenate([old.row, rows]),
            np.concatenate([self.term_hashes[old.col], hashes[cols]]),
            np.concatenate([old.data, tf]),
            np.concatenate([self.removed, np.zeros(len(ids), dtype=bool)]),
        )

    def _rebuild(self, ids, lengths, rows, row_hashes, tf, removed) -> None:
        """Re-key columns by sorted term hash and rebuild the CSC matrix."""
        unique, cols = np.unique(row_hashes, return_inverse=True)
        self._keyed(ids, lengths, rows, cols.reshape(-1), tf, unique, removed)

    def _keyed(self, ids, lengths, rows, cols, tf, term_hashes, removed) -> None:
        """Take postings whose columns index `term_hashes` (sorted, unique)."""
        self.ids, self.lengths, self.term_hashes = ids, lengths.astype(np.float32), term_hashes
        self.matrix = CSCMatrix.from_triples(tf, rows, cols, (len(ids), len(term_hashes)))
        self.removed = removed
        self._order = np.argsort(ids, kind="stable")

    def remove(self, ids: np.ndarray) -> int:
        rows = self.rows_for(ids)
        fresh = rows[~self.removed[rows]]
        self.removed[fresh] = True
        return int(len(fresh))

    @classmethod
    def merge(cls, parts: list[tuple[BM25Index, np.ndarray]], *, k1: float = 1.5, b: float = 0.75) -> BM25Index:
        """One index from several, keeping only rows whose `keep` mask is true (compaction)."""
        ids, lengths, rows, hashes, tf = [], [], [], [], []
        offset = 0
        for index, keep in parts:
            new_row = np.cumsum(keep) - 1 + offset
            coo = index.matrix.triples()
            kept = keep[coo.row]
            ids.append(index.ids[keep])
            lengths.append(index.lengths[keep])
            rows.append(new_row[coo.row[kept]])
            hashes.append(index.term_hashes[coo.col[kept]])
            tf.append(coo.data[kept])
            offset += int(keep.sum())
        merged = cls(k1=k1, b=b)
        if parts:
            all_ids = np.concatenate(ids)
            merged._rebuild(
                all_ids,
                np.concatenate(lengths),
                np.concatenate(rows),
                np.concatenate(hashes),
                np.concatenate(tf),
                np.zeros(len(all_ids), dtype=bool),
            )
        return merged

    # -- lookups -------------------------------------------------------------------------

    def rows_for(self, ids: np.ndarray) -> np.ndarray:
        """Row positions of the given ids that this segment holds (others are ignored)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if not len(self.ids) or not len(ids):
            return np.empty(0, dtype=np.int64)
        sorted_ids = self.ids[self._order]
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
        return self._order[pos[sorted_ids[pos] == ids]]

    def postings(self, hashes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """For each term hash: (rows, term frequencies) in this segment, or None when absent."""
        out: list[tuple[np.ndarray, np.ndarray] | None] = []
        if not len(self.term_hashes):
            return [None] * len(hashes)
        # np.minimum, not np.clip: the same positions (searchsorted gives none below 0), and
        # one comparison for all terms rather than a numpy scalar each: this runs twice a search.
        pos = np.minimum(np.searchsorted(self.term_hashes, hashes), len(self.term_hashes) - 1)
        present = (self.term_hashes[pos] == hashes).tolist()
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        for j, found in zip(pos.tolist(), present):
            if not found:
                out.append(None)
                continue
            lo, hi = indptr[j], indptr[j + 1]
            out.append((indices[lo:hi], data[lo:hi]))
        return out

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """BM25 over this index alone: (scores, ids), 1-D, best first, only rows matching a term."""
        return search_segments([SegmentView.of(self)], query, k, allowed, k1=self.k1, b=self.b)

    # -- persistence ---------------------------------------------------------------------

    def save(self, path: Path) -> None:
        keep = ~self.removed
        index = self if keep.all() else BM25Index.merge([(self, keep)], k1=self.k1, b=self.b)
        m = index.matrix
        with open(path, "wb") as handle:
            np.savez(
                handle,
                format=np.array([FORMAT]),
                ids=index.ids,
                lengths=index.lengths,
                term_hashes=index.term_hashes,
                indptr=m.indptr.astype(np.int64),
                indices=m.indices.astype(np.int32),
                tf=m.data.astype(np.float32),
            )

    @classmethod
    def load(cls, path: Path, *, k1: float = 1.5, b: float = 0.75) -> BM25Index:
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"][0]) != FORMAT:
                    raise ValueError(f"lexical format {int(data['format'][0])}, expected {FORMAT}")
                ids, hashes = data["ids"], data["term_hashes"]
                matrix = CSCMatrix(data["tf"], data["indices"], data["indptr"], (len(ids), len(hashes)))
                return cls(ids, data["lengths"], matrix, hashes, k1=k1, b=b)
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise IndexCorruptError(
                f"cannot read lexical index {path}: {exc}; rebuild the index (`rag index --rebuild PATH...`)"
            ) from exc


def _analyse(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Texts -> COO (row, local term, tf), the hash of each local term, and row lengths."""
    return _postings(analyse_terms(texts))


def _postings(terms: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-row term hashes -> COO (row, local term, tf), the sorted local term hashes, row lengths."""
    lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    if not lengths.sum():
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0, np.float32), np.empty(0, np.uint64), lengths.astype(np.float32)
    flat = np.concatenate([np.asarray(t, dtype=np.uint64) for t in terms])
    vocab, cols = np.unique(flat, return_inverse=True)
    rows = np.repeat(np.arange(len(terms), dtype=np.int64), lengths)
    keys, tf = np.unique(rows * len(vocab) + cols.reshape(-1), return_counts=True)
    return keys // len(vocab), keys % len(vocab), tf.astype(np.float32), vocab, lengths.astype(np.float32)
