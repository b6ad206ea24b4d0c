"""Per-text caches: analysis reused across answers, computed in one batch for what is new, bounded."""

from __future__ import annotations

from rag.text.analyze import terms, words
from rag.text.memo import TextCache, per_text
from rag.text.sentences import split_sentences


def test_get_many_computes_only_new_texts_in_one_batch() -> None:
    cache: TextCache[int] = TextCache()
    calls: list[list[str]] = []

    def lengths(texts: list[str]) -> list[int]:
        calls.append(texts)
        return [len(t) for t in texts]

    assert cache.get_many(["ab", "abc"], lengths) == [2, 3]
    assert cache.get_many(["abc", "abcd", "ab", "abcd"], lengths) == [3, 4, 2, 4]
    assert calls == [["ab", "abc"], ["abcd"]]


def test_keys_keep_analyses_by_different_models_apart() -> None:
    cache: TextCache[str] = TextCache()
    assert cache.get("x", lambda t: "upper " + t.upper(), key="a") == "upper X"
    assert cache.get("x", lambda t: "twice " + t * 2, key="b") == "twice xx"
    assert cache.get("x", lambda t: "unused", key="a") == "upper X"


def test_the_least_recently_used_text_goes_first_and_long_texts_are_not_held() -> None:
    cache: TextCache[int] = TextCache(maxsize=2, max_chars=10)
    seen: list[str] = []

    def count(texts: list[str]) -> list[int]:
        seen.extend(texts)
        return [len(t) for t in texts]

    cache.get_many(["a", "bb"], count)
    cache.get_many(["a"], count)  # "a" is now the most recent
    cache.get_many(["ccc"], count)  # evicts "bb"
    cache.get_many(["a", "bb", "x" * 11], count)
    assert seen == ["a", "bb", "ccc", "bb", "x" * 11]
    assert len(cache) == 2


def test_per_text_skips_the_cache_for_long_texts() -> None:
    calls: list[str] = []

    @per_text(maxsize=8, max_chars=5)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [shout("hi"), shout("hi"), shout("long text"), shout("long text")] == ["HI", "HI", "LONG TEXT", "LONG TEXT"]
    assert calls == ["hi", "long text", "long text"]


def test_cached_analysis_hands_out_fresh_lists() -> None:
    sentence = "Microsoft will invest $2.9 billion in Japan's AI over two years."
    first = terms(sentence)
    first.append("changed by a caller")
    assert terms(sentence) == ["microsoft", "invest", "2.9", "billion", "japan's", "ai", "two", "year"]
    assert words(sentence)[:2] == ["microsoft", "will"]
    spans = split_sentences("One. Two here.")
    spans.clear()
    assert [s.text for s in split_sentences("One. Two here.")] == ["One.", "Two here."]


def test_fresh_terms_are_the_terms_of_a_text_without_remembering_it() -> None:
    from rag.text import analyze

    text = "The investors’ plans: Microsoft's $2.9 billion for the U.S. cities, and AGAIN the cities."
    before = analyze._terms.cache_info().currsize
    fresh = analyze.fresh_terms(text)
    assert analyze._terms.cache_info().currsize == before
    assert fresh == analyze.fresh_terms(text) == terms(text)
    assert fresh[:2] == ["investor", "plan"] and "the" not in fresh and fresh.count("citi") == 2
