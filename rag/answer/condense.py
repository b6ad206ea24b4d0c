"""Turn a chat follow-up ("and how many will it train?") into a question retrieval can use alone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.prompts import render_condense
from rag.config import Settings
from rag.errors import BackendError
from rag.llm.base import GenerationRequest, LLMBackend, Message, generate
from rag.text.analyze import STOPWORDS, stem, terms, words

_PRONOUNS = frozenset("it its they them their theirs this that these those he she his her him there such".split())
_FOLLOW_UP_OPENERS = re.compile(r"^\s*(?:and|but|also|so|what about|how about|and what|same for|what else)\b", re.I)
_NOT_KEY = frozenset("what which who whom whose when where why how many much also tell know please".split())
MAX_KEY_WORDS = 8


def condense_question(question: str, history: Sequence[Message] | None, backend: LLMBackend, settings: Settings) -> str:
    """The follow-up rewritten as a standalone question; unchanged without history.

    Generative backends rewrite it with prompts/condense.j2; the extractive backend (and any
    backend that fails) gets a rule-based rewrite that appends the earlier question's key terms.
    """
    if not history:
        return question
    if backend.name != "extractive":
        try:
            request = GenerationRequest(
                question=question,
                passages=[],
                messages=render_condense(question, history, settings),
                max_tokens=128,
                temperature=0.0,
            )
            text, _ = generate(backend, request)
            rewritten = _first_line(text)
            if rewritten:
                return rewritten
        except BackendError:
            pass  # a rewrite is a nicety; the rules below still give retrieval something to go on
    return rewrite_follow_up(question, history)


def rewrite_follow_up(question: str, history: Sequence[Message]) -> str:
    """Append the key words of the previous user question when the follow-up leans on it."""
    previous = [m.content for m in history if m.role == "user" and m.content.strip()]
    if not previous or not is_follow_up(question):
        return question
    have = set(terms(question))
    keys: list[str] = []
    for text in reversed(previous[-2:]):
        for word in _key_words(text):
            if stem(word.lower()) not in have and word.lower() not in {k.lower() for k in keys}:
                keys.append(word)
    if not keys:
        return question
    return f"{question.rstrip()} ({' '.join(keys[:MAX_KEY_WORDS])})"


def is_follow_up(question: str) -> bool:
    """Short, pronoun-led or elliptical questions depend on what was asked before."""
    lowered = words(question)
    content = [w for w in lowered if w not in STOPWORDS and w not in _NOT_KEY]
    return (
        len(content) <= 3
        or bool(_PRONOUNS & set(lowered))
        or bool(_FOLLOW_UP_OPENERS.match(question))
        or question.rstrip().endswith("...")
    )


def _key_words(text: str) -> list[str]:
    """Content words of `text` in their written form, names first."""
    found = re.findall(r"[^\W_]+(?:[.'’][^\W_]+)*", text)
    content = [w for w in found if w.lower() not in STOPWORDS and w.lower() not in _NOT_KEY and len(w) > 1]
    names = [w for i, w in enumerate(content) if w[0].isupper() and not (i == 0 and text.lstrip().startswith(w))]
    return names + [w for w in content if w not in names]


def _first_line(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:standalone question|question)\s*:\s*", "", line.strip(), flags=re.I)
    return line.strip().strip('"“”').strip()
