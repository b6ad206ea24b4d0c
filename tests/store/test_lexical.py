"""BM25 per segment and with statistics shared across segments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.store import BM25Index, LexicalIndex
from rag.store.bm25 import SegmentView, search_segments

TEXTS = [
    "the central bank raised interest rates again",
    "interest rates and the housing market",
    "a volcano erupted near the coast",
    "interest in gardening grows in spring",
    "rates of interest on savings accounts",
]


def build(texts=TEXTS, start=0) -> BM25Index:
    return BM25Index.build(np.arange(start, start + len(texts)), list(texts))


def test_is_a_lexical_index():
    index = build()
    assert isinstance(index, LexicalIndex)
    assert len(index) == 5


def test_rare_term_ranks_its_document_first():
    scores, ids = build().search("interest rates volcano", 5)
    assert ids[0] == 2  # "volcano" is in one document only: highest IDF
    assert np.all(np.diff(scores) <= 0)


def test_only_matching_documents_are_returned():
    _, ids = build().search("volcano", 10)
    assert ids.tolist() == [2]
    assert build().search("the of and", 10)[1].size == 0  # stopwords only


def test_stemming_matches_inflected_forms():
    _, ids = build().search("erupting volcanoes", 3)
    assert ids.tolist() == [2]


def test_allowed_and_remove():
    index = build()
    _, ids = index.search("interest", 10, allowed=np.array([1, 4]))
    assert set(ids.tolist()) == {1, 4}
    assert index.remove(np.array([1, 77])) == 1
    _, ids = index.search("interest", 10)
    assert 1 not in ids.tolist()


def test_global_idf_across_segments_equals_one_segment():
    whole = build()
    first, second = build(TEXTS[:2]), build(TEXTS[2:], start=2)
    views = [SegmentView.of(first), SegmentView.of(second)]
    for query in ("interest rates", "volcano coast", "savings interest spring"):
        s1, i1 = whole.search(query, 5)
        s2, i2 = search_segments(views, query, 5)
        assert i1.tolist() == i2.tolist()
        np.testing.assert_allclose(s1, s2, rtol=1e-5)


def test_deleted_rows_leave_the_statistics():
    # Scoring with a row deleted equals scoring an index built without it.
    index = build()
    without = BM25Index.build(np.array([0, 2, 3, 4]), [TEXTS[i] for i in (0, 2, 3, 4)])
    view = SegmentView.of(index, np.array([1]))
    s1, i1 = search_segments([view], "interest rates", 5)
    s2, i2 = without.search("interest rates", 5)
    assert i1.tolist() == i2.tolist()
    np.testing.assert_allclose(s1, s2, rtol=1e-5)


def test_save_load_round_trip(tmp_path: Path):
    index = build()
    index.save(tmp_path / "lexical.npz")
    loaded = BM25Index.load(tmp_path / "lexical.npz")
    for query in ("interest rates", "volcano"):
        np.testing.assert_array_equal(loaded.search(query, 5)[1], index.search(query, 5)[1])


def test_corrupt_file_names_the_path(tmp_path: Path):
    bad = tmp_path / "lexical.npz"
    bad.write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="lexical.npz"):
        BM25Index.load(bad)


def test_merge_keeps_only_wanted_rows():
    a, b = build(TEXTS[:3]), build(TEXTS[3:], start=3)
    merged = BM25Index.merge([(a, np.array([True, False, True])), (b, np.array([True, True]))])
    assert sorted(merged.ids.tolist()) == [0, 2, 3, 4]
    expected = BM25Index.build(np.array([0, 2, 3, 4]), [TEXTS[i] for i in (0, 2, 3, 4)])
    s1, i1 = merged.search("interest rates", 5)
    s2, i2 = expected.search("interest rates", 5)
    assert i1.tolist() == i2.tolist()
    np.testing.assert_allclose(s1, s2, rtol=1e-5)


ANALYSE_CASES = [
    *TEXTS,
    "",
    "the of and",
    "It’s the U.S. economy: 2.9% growth, don’t Don't worry; café naïve STRASSE straße a_b x’y",
    "Ünïcödé ΑΘΗΝΑ 東京 tokyo’s İstanbul e.g. investors invested in investment",
]


def test_analyse_terms_is_term_hashes_of_terms():
    from rag.store.terms import analyse_terms, term_hashes
    from rag.text.analyze import terms

    for text, hashes in zip(ANALYSE_CASES, analyse_terms(ANALYSE_CASES)):
        assert hashes.dtype == np.uint64
        assert hashes.tolist() == term_hashes(terms(text)).tolist(), text
    # Second pass: from the per-process word cache.
    assert [h.tolist() for h in analyse_terms(ANALYSE_CASES)] == [term_hashes(terms(t)).tolist() for t in ANALYSE_CASES]


def _reference_postings(texts):
    """The postings as built before analysis was vectorised: a Counter per text."""
    from collections import Counter

    from rag.store.terms import term_hashes
    from rag.text.analyze import terms

    cells, lengths = set(), []
    for row, text in enumerate(texts):
        counts = Counter(terms(text))
        lengths.append(float(sum(counts.values())))
        cells |= {(row, int(term_hashes([term])[0]), float(tf)) for term, tf in counts.items()}
    return cells, lengths


def _postings_of(index: BM25Index):
    coo = index.matrix.triples()
    cells = {(int(r), int(index.term_hashes[c]), float(v)) for r, c, v in zip(coo.row, coo.col, coo.data)}
    return cells, index.lengths.tolist()


def test_build_matches_per_text_counting_and_precomputed_terms():
    from rag.store.terms import analyse_terms

    ids = np.arange(10, 10 + len(ANALYSE_CASES))
    from_texts = BM25Index.build(ids, list(ANALYSE_CASES))
    from_terms = BM25Index.build(ids, list(ANALYSE_CASES), terms=analyse_terms(ANALYSE_CASES))
    assert _postings_of(from_texts) == _reference_postings(ANALYSE_CASES)
    assert _postings_of(from_terms) == _postings_of(from_texts)
    assert np.array_equal(from_terms.term_hashes, from_texts.term_hashes)
    assert np.array_equal(from_terms.matrix.indptr, from_texts.matrix.indptr)
    assert np.array_equal(from_terms.matrix.indices, from_texts.matrix.indices)
    assert np.array_equal(from_terms.matrix.data, from_texts.matrix.data)
    s1, i1 = from_texts.search("interest rates", k=5)
    s2, i2 = from_terms.search("interest rates", k=5)
    assert np.array_equal(i1, i2) and np.allclose(s1, s2)


def test_build_with_only_stopwords_or_nothing():
    index = BM25Index.build(np.arange(2), ["the of", ""])
    assert index.matrix.shape == (2, 0) and index.lengths.tolist() == [0.0, 0.0]
    assert BM25Index.build(np.arange(0), []).matrix.shape == (0, 0)


def test_build_rejects_mismatched_terms():
    with pytest.raises(ValueError):
        BM25Index.build(np.arange(2), ["a b", "c d"], terms=[np.empty(0, np.uint64)])


def test_terms_from_sentence_facts_are_the_texts_terms():
    """Ingest workers take a chunk's BM25 terms from its sentences' facts: the same terms, bullets,
    abbreviations, headings and a final Greek sigma (lower-cased by what follows it) included."""
    from rag.answer.facts import dumps, dumps_with_terms
    from rag.store.terms import analyse_terms, text_hashes

    cases = [
        *ANALYSE_CASES,
        "Heading line\n\n• First point. Second one!\n- dr. Smith met Mr. Jones in the U.S. today",
        "ΟΔΥΣΣΕΥΣ. Ο ΟΔΥΣΣΕΥΣ ΣΑΣ είπε; ΑΣ δούμε…",
    ]
    for text in cases:
        stored, sentence_terms = dumps_with_terms(text)
        assert stored == dumps(text)
        assert text_hashes(text, sentence_terms).tolist() == analyse_terms([text])[0].tolist(), text
