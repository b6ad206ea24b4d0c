"""Citation markers: every form parses, bad ones are dropped and recorded, the rest renumbered."""

from __future__ import annotations

import pytest

from rag.answer.citations import marker_numbers, resolve_citations

from .fakes import VELDT


@pytest.mark.parametrize(
    ("body", "numbers"),
    [("1", [1]), ("1, 3", [1, 3]), ("2,3", [2, 3]), ("1-3", [1, 2, 3]), ("1–2, 4", [1, 2, 4]), ("2; 3", [2, 3])],
)
def test_marker_forms(body: str, numbers: list[int]) -> None:
    assert marker_numbers(body) == numbers


def test_cited_passages_are_renumbered_in_order_of_first_use() -> None:
    resolved = resolve_citations("Training is free [3]. The program costs $110 million [1][3].", VELDT)
    assert resolved.text == "Training is free [1]. The program costs $110 million [2][1]."
    assert [(c.n, c.doc_id) for c in resolved.citations] == [(1, "doc3"), (2, "doc1")]


def test_markers_pointing_at_no_passage_are_dropped_and_recorded() -> None:
    resolved = resolve_citations("Veldt builds robots [1, 7]. It was founded in 2019 [9].", VELDT)
    assert resolved.text == "Veldt builds robots [1]. It was founded in 2019."
    assert resolved.dropped_markers == [7, 9]
    assert resolved.unsupported_sentences == ["It was founded in 2019."]


def test_ranges_and_lists_cite_each_passage() -> None:
    resolved = resolve_citations("Veldt plans research with universities [1-2].", VELDT)
    assert resolved.text == "Veldt plans research with universities [1][2]."
    assert len(resolved.citations) == 2


def test_quote_is_the_supporting_sentence_with_document_offsets() -> None:
    p = VELDT[2].model_copy(update={"start": 500, "end": 500 + len(VELDT[2].text)})
    resolved = resolve_citations("Apprentices pay nothing for training, which is free [1].", [p])
    [citation] = resolved.citations
    assert citation.quote == "Training is free for apprentices."
    assert citation.start == 500 + p.text.index(citation.quote)
    assert citation.end == citation.start + len(citation.quote)
    assert (citation.title, citation.source, citation.date) == ("Veldt training campus", "harbour-news", "2031-03-05")


def test_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    resolved = resolve_citations("Veldt builds warehouse robots. [1] The campus is in Eindhoven. [3]", VELDT)
    assert resolved.unsupported_sentences == []
    assert [c.doc_id for c in resolved.citations] == ["doc1", "doc3"]


def test_sentences_without_markers_are_reported() -> None:
    resolved = resolve_citations("Veldt builds robots [1]. Robots are popular in ports everywhere.", VELDT)
    assert resolved.unsupported_sentences == ["Robots are popular in ports everywhere."]


def test_streamed_markers_match_the_final_numbering_even_when_split_across_pieces() -> None:
    from rag.answer.citations import StreamRenumbering

    raw = ["Ships left on Monday [", "3]. Cargo rose [1", ", 3] and [9] fell [2][", "3]."]
    stream = StreamRenumbering(passages=3)
    shown = "".join(stream.feed(piece) for piece in raw) + stream.close()
    assert shown == "Ships left on Monday [1]. Cargo rose [2][1] and  fell [3][1]."
    assert stream.numbers.dropped == [9]
