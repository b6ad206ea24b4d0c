"""The embedder contract as a test suite every embedder runs (Haystack style).

Subclass `EmbedderContract` in a test module and give it one fixture, `embedder`: a built
embedder (warmed up or not). The same tests then hold for the hashing embedder, the
sentence-transformers one and any embedder of your own registered with `register_embedder`.
Set `ranks_related_text = False` for an embedder whose vectors carry no meaning (random weights).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

__all__ = ["EmbedderContract"]

TEXTS = [
    "The harbour authority approved a second ferry terminal on the north quay.",
    "A storm closed the mountain pass for three days in early March.",
    "The museum reopened its gallery of medieval maps after restoration.",
    "Farmers reported a late harvest because of the cold spring.",
]
QUERIES = ["new ferry terminal at the harbour", "mountain pass closed by a storm",
           "gallery of old maps reopened", "harvest late after a cold spring"]


class EmbedderContract:
    """What every embedder promises the ingestion pipeline, the store and the Retriever."""

    ranks_related_text = True
    tolerance = 1e-4  # batched transformer inputs are padded, which moves floats a little

    def test_implements_the_protocol(self, embedder: Any) -> None:
        from rag.embed.base import Embedder

        assert isinstance(embedder, Embedder)
        assert isinstance(embedder.id, str) and embedder.id.strip()
        assert isinstance(embedder.dimension, int) and embedder.dimension > 0

    def test_warm_up_can_be_called_twice(self, embedder: Any) -> None:
        embedder.warm_up()
        embedder.warm_up()
        assert embedder.embed_query(QUERIES[0]).shape == (embedder.dimension,)

    def test_document_vectors_are_unit_float32_rows(self, embedder: Any) -> None:
        vectors = embedder.embed_documents(TEXTS)
        assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), embedder.dimension)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_query_vector_is_one_unit_float32_row(self, embedder: Any) -> None:
        vector = embedder.embed_query(QUERIES[1])
        assert vector.dtype == np.float32 and vector.shape == (embedder.dimension,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)

    def test_no_texts_gives_an_empty_matrix(self, embedder: Any) -> None:
        vectors = embedder.embed_documents([])
        assert vectors.shape == (0, embedder.dimension)

    def test_empty_text_gives_a_finite_zero_or_unit_row(self, embedder: Any) -> None:
        # Zero rows match nothing in inner-product search; NaN would poison a FAISS index.
        vectors = embedder.embed_documents(["", TEXTS[0]])
        assert np.isfinite(vectors).all()
        assert np.linalg.norm(vectors[0]) == pytest.approx(0.0, abs=1e-4) or \
            np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-4)

    def test_a_text_gets_the_same_vector_alone_or_in_any_batch(self, embedder: Any) -> None:
        # The id promises that the same text always gets the same vector: batches must not leak.
        batch = embedder.embed_documents(TEXTS)
        alone = np.stack([embedder.embed_documents([text])[0] for text in TEXTS])
        reordered = embedder.embed_documents(TEXTS[::-1])[::-1]
        assert np.allclose(batch, alone, atol=self.tolerance)
        assert np.allclose(batch, reordered, atol=self.tolerance)

    def test_threads_sharing_one_embedder_get_the_same_vectors(self, embedder: Any) -> None:
        expected = embedder.embed_documents(TEXTS)
        results: list[np.ndarray] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(3):
                    results.append(embedder.embed_documents(TEXTS))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors and len(results) == 9
        assert all(np.allclose(r, expected, atol=self.tolerance) for r in results)

    def test_each_query_is_closest_to_its_own_text(self, embedder: Any) -> None:
        if not self.ranks_related_text:
            pytest.skip("this embedder's vectors carry no meaning (random weights)")
        documents = embedder.embed_documents(TEXTS)
        queries = np.stack([embedder.embed_query(q) for q in QUERIES])
        assert (queries @ documents.T).argmax(axis=1).tolist() == list(range(len(TEXTS)))
