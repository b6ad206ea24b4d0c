"""pack_passages is pure: rank order, sentence-boundary cuts, correct offsets."""

from __future__ import annotations

from rag.answer.packing import pack_passages

from .fakes import passage


def words(text: str) -> int:
    return len(text.split())


def test_everything_fits_in_rank_order() -> None:
    ps = [passage(1, "One two three."), passage(2, "Four five.")]
    assert pack_passages(ps, 100, words, overhead=0) == ps


def test_overflowing_passage_is_cut_after_its_last_whole_sentence() -> None:
    text = "Alpha beta gamma. Delta epsilon. Zeta eta theta iota."
    p = passage(1, text, start=1000)
    [cut] = pack_passages([p], 5, words, overhead=0)
    assert cut.text == "Alpha beta gamma. Delta epsilon."
    assert cut.start == 1000 and cut.end == 1000 + len(cut.text)
    assert text[cut.start - 1000 : cut.end - 1000] == cut.text


def test_passage_is_left_out_when_not_even_one_sentence_fits() -> None:
    big = passage(1, "A very long first sentence without any break at all here.")
    small = passage(2, "Short one.")
    assert pack_passages([big, small], 4, words, overhead=0) == [small]


def test_never_cuts_mid_word_or_mid_sentence() -> None:
    p = passage(1, "Onlyonesentencewithoutspaces and more words that will not fit")
    assert pack_passages([p], 3, words, overhead=0) == []


def test_overhead_is_charged_per_passage() -> None:
    ps = [passage(1, "One two."), passage(2, "Three four.")]
    assert pack_passages(ps, 6, words, overhead=2) == [ps[0]]
    assert pack_passages(ps, 8, words, overhead=2) == ps


def test_zero_budget_packs_nothing() -> None:
    assert pack_passages([passage(1, "Words here.")], 0, words) == []
