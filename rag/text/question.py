"""The one question cleaner: the facade calls it once, and the cleaned text is carried through."""

from __future__ import annotations

import re
import unicodedata

from rag.errors import InvalidQuestionError

MAX_QUESTION_CHARS = 20_000  # library limit; the HTTP layer applies its own, lower one
_SPACES = re.compile(r"\s+")


def clean_question(question: object) -> str:
    """`question` on one line, without control or format characters; InvalidQuestionError when unusable.

    Used for questions and search queries alike: line breaks and tabs become spaces (a pasted
    question often holds them), zero-width and other format characters are dropped.
    """
    if not isinstance(question, str):
        raise InvalidQuestionError(f"the question must be text, not {type(question).__name__}")
    kept = "".join(" " if ch in "\n\r\t" else ch for ch in question
                   if unicodedata.category(ch)[0] != "C" or ch in "\n\r\t")
    text = _SPACES.sub(" ", kept).strip()
    if not text:
        raise InvalidQuestionError("the question is empty; ask something, e.g. 'How much will Microsoft invest in Japan?'")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. Shorten it."
        )
    return text
