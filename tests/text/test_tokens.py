from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.text import tokens
from rag.text.tokens import ApproxCounter, TokenCounter, get_token_counter
from tests.text.tiny_bpe import tiny_encoding, write_ranks

SAMPLE = "The river rose eleven feet overnight, and 2,400 households in the valley were told to leave."


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Point tiktoken's cache at an empty folder so nothing installed on this machine leaks in.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    get_token_counter.cache_clear()
    yield
    get_token_counter.cache_clear()


def test_encoding_file_gives_exact_tiktoken_counts(tmp_path: Path) -> None:
    counter = get_token_counter("cl100k_base", write_ranks(tmp_path / "tiny.tiktoken"))
    expected = tiny_encoding()
    assert isinstance(counter, TokenCounter)
    assert counter.name == "cl100k_base"
    assert counter.count(SAMPLE) == len(expected.encode_ordinary(SAMPLE))
    assert counter.count_batch([SAMPLE, "", " the"]) == [counter.count(SAMPLE), 0, 1]
    # Special-token text is ordinary text here: it must never raise.
    assert counter.count("<|endoftext|>") > 1


def test_counter_is_cached_per_arguments(tmp_path: Path) -> None:
    ranks = write_ranks(tmp_path / "tiny.tiktoken")
    assert get_token_counter("cl100k_base", ranks) is get_token_counter("cl100k_base", ranks)


def test_missing_encoding_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tiktoken"
    with pytest.raises(ConfigError, match="nope.tiktoken"):
        get_token_counter("cl100k_base", missing)


def test_garbage_encoding_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tiktoken"
    bad.write_text("this is not a ranks file\n")
    with pytest.raises(ConfigError, match="not a .tiktoken ranks file"):
        get_token_counter("cl100k_base", bad)


def test_unknown_encoding_name_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cl100k_base"):
        get_token_counter("cl999k_base", write_ranks(tmp_path / "tiny.tiktoken"))
    with pytest.raises(ConfigError, match="unknown tiktoken encoding"):
        get_token_counter("cl999k_base")


def test_cl100k_is_exact_offline_from_the_packaged_copy(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rag"):
        counter = get_token_counter("cl100k_base")
        # OpenAI's cookbook example: "tiktoken is great!" is six cl100k_base tokens.
        assert counter.count("tiktoken is great!") == 6
    assert counter.name == "cl100k_base" and not isinstance(counter, ApproxCounter)
    assert counter.count_batch(["hello world", ""]) == [2, 0]
    assert not caplog.records  # no estimate, so nothing to warn about


def test_a_changed_packaged_ranks_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = tokens.packaged_ranks("cl100k_base")
    assert original is not None
    shadow = tmp_path / "site" / "tiktoken_ext" / "data"
    shadow.mkdir(parents=True)
    lines = original.read_bytes().splitlines(keepends=True)
    (shadow / original.name).write_bytes(b"".join(lines[:-1]))  # one rank missing
    monkeypatch.syspath_prepend(str(tmp_path / "site"))  # found before the installed copy
    counter = get_token_counter("cl100k_base")
    with pytest.raises(ConfigError, match=r"(?s)is not tiktoken's cl100k_base.*refusing.*force-reinstall"):
        counter.count(SAMPLE)


def test_tiktoken_cache_is_used_without_network(tmp_path: Path) -> None:
    blob = "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken"
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    write_ranks(cache / hashlib.sha1(blob.encode()).hexdigest())
    counter = get_token_counter("r50k_base")
    assert not isinstance(counter, ApproxCounter)
    assert counter.count("the cat") == 5  # the tiny merges: "th" "e", then " " "c" "at"


def test_fallback_warns_once_and_says_how_to_fix(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rag"):
        first = get_token_counter("o200k_base")
        second = get_token_counter("o200k_base")
    assert isinstance(first, ApproxCounter) and first is second
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "RAG_CHUNKING__ENCODING_FILE" in warnings[0].getMessage()
    assert first.name == "approx-v1"


def test_fallback_errs_high_against_a_byte_level_bpe() -> None:
    # The tiny BPE is near byte level, so only long words beat the estimate; the estimate must
    # still count every word, number group and mark that a real tokenizer would.
    approx = ApproxCounter()
    assert approx.count("") == 0
    assert approx.count("cat") == 1
    assert approx.count("internationalisation") == 5  # 20 letters, 4 per token
    assert approx.count("1234567") == 3  # digits in threes, as cl100k splits them
    assert approx.count("東京都") == 3  # one per non-ASCII letter
    assert approx.count("Wait... what?!") == 2 + 5  # two words, five marks
    assert approx.count("one\n\ntwo") == 3
    assert approx.count(SAMPLE) >= len(SAMPLE.split())


def test_module_never_calls_tiktoken_get_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken

    def refuse(name: str) -> None:
        raise AssertionError("tiktoken.get_encoding may download; it must not be called")

    monkeypatch.setattr(tiktoken, "get_encoding", refuse)
    assert isinstance(tokens.get_token_counter("o200k_base"), ApproxCounter)
