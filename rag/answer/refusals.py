"""Whether a reply is a refusal: the fixed sentence or a common paraphrase of it."""

from __future__ import annotations

import re

from rag.answer.prompts import REFUSAL

_REFUSALS = re.compile(
    r"(?:do(?:es)?\s*n[o']t|cannot|can\s*not|can't|don't|doesn't)\s+(?:contain|answer|mention|say|provide|include|address|cover|specify)"
    r"|\bno (?:information|answer|mention)\b.*\b(?:passages?|sources?|documents?|context)\b"
    r"|\b(?:i|we) (?:do not|don't) know\b"
    r"|\bnot (?:mentioned|stated|specified|provided|found) in the (?:passages?|sources?|documents?|context)\b"
    r"|\b(?:unable|not able) to (?:answer|find)\b",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """Whether an answer is a refusal: the fixed sentence or a common paraphrase of it."""
    cleaned = re.sub(r"\s+", " ", re.sub(r"\[\d[\d,\s-]*\]", "", text)).strip()
    if not cleaned:
        return True
    if REFUSAL.lower().rstrip(".") in cleaned.lower():
        return True
    # Only a short reply is a refusal; a long answer that mentions a gap still answers.
    return len(cleaned.split()) <= 30 and bool(_REFUSALS.search(cleaned))
