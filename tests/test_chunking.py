from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.chunking import chunk_text
from rag.errors import ConfigError
from rag.ingest.clean import clean_text
from rag.text.tokens import ApproxCounter, TiktokenCounter, TokenCounter
from tests.text.tiny_bpe import tiny_encoding

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"

SENTENCES = [
    "The regional rail board approved a new timetable on Monday.",
    "Trains between the coast and the capital will run every twenty minutes.",
    "Night services return after a pause of three years.",
    "Ticket prices stay the same until at least next spring.",
    "Union leaders welcomed the extra staff the plan requires.",
    "Some riders asked for more bike space on the morning trains.",
    "The board said longer trains arrive in the autumn.",
    "Station upgrades in four towns start later this year.",
]
TEXT = " ".join(SENTENCES[:4]) + "\n\n" + " ".join(SENTENCES[4:])


def counters() -> list[TokenCounter]:
    return [TiktokenCounter(tiny_encoding(), "tiny"), ApproxCounter()]


def check(text: str, chunks: list, counter: TokenCounter, size: int) -> None:
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.n_tokens == counter.count(chunk.text) <= size


@pytest.mark.parametrize("counter", counters(), ids=["bpe", "approx"])
def test_chunks_hold_whole_sentences_within_size(counter: TokenCounter) -> None:
    size = 60 if isinstance(counter, ApproxCounter) else 120
    chunks = chunk_text("doc", TEXT, counter, size=size, overlap=0)
    check(TEXT, chunks, counter, size)
    assert len(chunks) > 1
    for chunk in chunks:  # each chunk starts and ends on a sentence boundary
        assert any(chunk.text.startswith(s) for s in SENTENCES)
        assert any(chunk.text.endswith(s) for s in SENTENCES)
    covered = " ".join(chunk.text for chunk in chunks)
    assert all(sentence in covered for sentence in SENTENCES)


@pytest.mark.parametrize("counter", counters(), ids=["bpe", "approx"])
def test_overlap_repeats_trailing_sentences(counter: TokenCounter) -> None:
    longest = max(counter.count(sentence) for sentence in SENTENCES)
    size, overlap = longest * 3, longest + 2  # any one trailing sentence can be carried over
    chunks = chunk_text("doc", TEXT, counter, size=size, overlap=overlap)
    check(TEXT, chunks, counter, size)
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end  # they share text
        shared = TEXT[after.start : before.end]
        assert counter.count(shared) <= overlap
        assert after.end > before.end  # and always move forward
    no_overlap = chunk_text("doc", TEXT, counter, size=size, overlap=0)
    assert all(a.end <= b.start for a, b in zip(no_overlap, no_overlap[1:]))


def test_giant_sentence_is_cut_at_word_boundaries() -> None:
    counter = TiktokenCounter(tiny_encoding(), "tiny")
    giant = "Before it. " + " ".join(f"word{n} and more" for n in range(300)) + " end. After it."
    chunks = chunk_text("doc", giant, counter, size=50, overlap=10)
    check(giant, chunks, counter, 50)
    assert len(chunks) > 5
    assert chunks[0].text.startswith("Before it. word0")
    assert chunks[-1].text.endswith("After it.")
    for chunk in chunks:
        assert giant[chunk.start - 1 : chunk.start] in ("", " ")  # never starts mid-word
        assert giant[chunk.end : chunk.end + 1] in ("", " ")


def test_a_single_word_longer_than_size_is_cut_by_characters() -> None:
    counter = ApproxCounter()
    blob = "x" * 400
    chunks = chunk_text("doc", f"See {blob} here.", counter, size=20, overlap=0)
    check(f"See {blob} here.", chunks, counter, 20)
    assert "".join(chunk.text for chunk in chunks).count("x") == 400


def test_paragraph_break_ends_a_nearly_full_chunk() -> None:
    counter = ApproxCounter()
    first = " ".join(SENTENCES[:4])
    text = first + "\n\n" + " ".join(SENTENCES[4:])
    # Room for the first paragraph and one sentence of the next, which the chunk should not take.
    size = counter.count(first) + counter.count(SENTENCES[4]) + 3
    chunks = chunk_text("doc", text, counter, size=size, overlap=0)
    assert chunks[0].text == first  # not run on into the next paragraph


def test_empty_text_and_bad_parameters() -> None:
    counter = ApproxCounter()
    assert chunk_text("doc", "", counter, 100, 10) == []
    assert chunk_text("doc", " \n\n ", counter, 100, 10) == []
    with pytest.raises(ConfigError, match="overlap"):
        chunk_text("doc", TEXT, counter, 50, 50)


def test_chunk_ids_and_single_chunk() -> None:
    (chunk,) = chunk_text("news/a.txt", "Short text.", ApproxCounter(), 100, 10)
    assert chunk.chunk_id == "news/a.txt#0" and chunk.text == "Short text." and chunk.start == 0


def test_large_input_is_fast() -> None:
    counter = ApproxCounter()
    text = ("\n\n".join(TEXT for _ in range(20)) + "\n\n") * 100  # about 1 MB
    started = time.perf_counter()
    chunks = chunk_text("big", text, counter, 256, 32)
    elapsed = time.perf_counter() - started
    check(text, chunks, counter, 256)
    assert elapsed < 3.0, f"chunking 1 MB took {elapsed:.1f}s"


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared corpus is absent")
@pytest.mark.parametrize("counter", counters(), ids=["bpe", "approx"])
def test_shared_articles_chunk_within_size(counter: TokenCounter) -> None:
    for path in sorted(SHARED.glob("*.txt")):
        text = clean_text(path.read_text())
        chunks = chunk_text(path.name, text, counter, 256, 32)
        check(text, chunks, counter, 256)
        assert chunks[0].start == 0 and chunks[-1].end == len(text)
