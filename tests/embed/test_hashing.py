"""The default hashing embedder: shape, stability, and similarities a reader would expect."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rag.embed import HashingEmbedder, HashingParams
from rag.embed.hashing import parse_params
from rag.errors import ConfigError

DOCS = [
    "The central bank raised interest rates again to cool inflation.",
    "Investors sold technology shares after weak quarterly earnings.",
    "The football club signed a young striker from Brazil.",
    "Heavy snowfall closed mountain roads and delayed trains.",
]


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_vectors_are_float32_unit_rows_of_the_declared_dimension() -> None:
    embedder = HashingEmbedder()
    vectors = embedder.embed_documents(DOCS)
    assert vectors.shape == (len(DOCS), embedder.dimension) == (4, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("who raised rates?")
    assert query.shape == (384,) and query.dtype == np.float32


def test_same_text_same_vector_in_any_batch_and_any_instance() -> None:
    warm = HashingEmbedder()
    warm.embed_documents(["unrelated words fill the cache first", *DOCS])
    alone = [HashingEmbedder().embed_query(text) for text in DOCS]
    assert np.array_equal(warm.embed_documents(DOCS), np.vstack(alone))


def test_empty_and_stopword_only_texts_give_zero_vectors() -> None:
    vectors = HashingEmbedder().embed_documents(["", "   ", "the and of", "rates"])
    assert not vectors[:3].any()
    assert np.isclose(np.linalg.norm(vectors[3]), 1.0)
    assert HashingEmbedder().embed_documents([]).shape == (0, 384)


def test_related_word_forms_and_typos_stay_close() -> None:
    embed = HashingEmbedder().embed_query
    investment = embed("investment banks")
    assert cos(investment, embed("investors in a bank")) > cos(investment, embed("football transfer news")) + 0.3
    # A typo keeps most character n-grams (BM25 sees nothing in common): far closer than unrelated text.
    government = embed("government inflation")
    assert cos(government, embed("goverment inflaton")) > cos(government, embed("football transfer news")) + 0.2


def test_each_query_finds_its_own_document() -> None:
    embedder = HashingEmbedder()
    docs = embedder.embed_documents(DOCS)
    queries = ["why did the bank raise interest rates", "investor selling after earnings",
               "which striker did the club sign", "snow closed the roads"]  # fmt: skip
    best = (embedder.embed_documents(queries) @ docs.T).argmax(axis=1)
    assert best.tolist() == [0, 1, 2, 3]


def test_id_names_version_and_every_parameter_that_changes_vectors() -> None:
    assert HashingEmbedder().id == "hashing-v1:d384"
    assert HashingEmbedder(HashingParams(dimension=768)).id == "hashing-v1:d768"
    tuned = HashingEmbedder(parse_params("d=512,char=2-4,bi=0.5"))
    assert tuned.id == "hashing-v1:d512:c2-4:w1,0.5,1"
    assert tuned.dimension == 512
    a = HashingEmbedder(parse_params("bi=0.5")).embed_query("interest rate rise")
    b = HashingEmbedder().embed_query("interest rate rise")
    assert not np.allclose(a, b)


@pytest.mark.parametrize(
    "spec, fragment",
    [("d=abc", "d=abc"), ("size=3", "unknown parameter"), ("d=4", "between 8"), ("char=5-3", "char n-grams"),
     ("uni=0,chr=0", "not all zero")],
)  # fmt: skip
def test_bad_parameters_say_what_is_wrong(spec: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        parse_params(spec)


def test_char_ngrams_can_be_turned_off() -> None:
    embedder = HashingEmbedder(parse_params("char=0"))
    assert embedder.id.endswith(":c0:w1,0,1")
    assert np.isclose(np.linalg.norm(embedder.embed_query("invest")), 1.0)


def test_word_cache_reset_keeps_vectors_identical() -> None:
    small = HashingEmbedder()
    small._cache._max_words = 5  # force resets on every batch
    assert np.array_equal(small.embed_documents(DOCS), HashingEmbedder().embed_documents(DOCS))


def test_concurrent_use_gives_the_same_vectors() -> None:
    embedder, expected = HashingEmbedder(), HashingEmbedder().embed_documents(DOCS * 5)
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(embedder.embed_documents(DOCS * 5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(r, expected) for r in results)


@pytest.mark.parametrize("low,high", [(3, 5), (1, 1), (2, 7)])
def test_ngram_hashes_are_zlib_crc32_of_each_ngram_in_order(low: int, high: int) -> None:
    # The vectorised CRC must give what one zlib.crc32 per n-gram gives, or stored indexes drift.
    import zlib

    from rag.embed.char_grams import char_gram_hashes

    words = ["a", "it's", "u.s", "investment", "naïve", "東京", "ſtraße", "x" * 30, "q"]
    expected: list[int] = []
    per_word: list[int] = []
    for word in words:
        padded = f"<{word}>"
        grams = [padded[i : i + k] for k in range(low, high + 1) for i in range(len(padded) - k + 1)]
        expected.extend(zlib.crc32(g.encode(), 0xC4A2) for g in grams)
        per_word.append(len(grams))
    counts, hashes = char_gram_hashes(words, low, high, 0xC4A2)
    assert hashes.tolist() == expected
    assert counts.tolist() == per_word
