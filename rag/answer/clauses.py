"""Questions that join two facts, checked one fact at a time before answering.

"Which chipmaker helps fund the partnerships and also promised Kishida its GPUs?" names things
that two different articles state: its names never occur together, and the whole-question check
in `abstain` would refuse it. A careful reader checks each part: "Which chipmaker helps fund the
partnerships?" and "Which chipmaker promised Kishida its GPUs?". Three shapes are split:

- two predicates of one asked-for subject ("Which X did A and (also) did B?"), read with the
  trained parser (spaCy's en_core_web_sm, the `ner` extra) so that a second question with its
  own subject ("Who scored, and what was the score?") is left whole;
- "both A and B" ("Which city will host both the lab and the office?");
- a choice ("Which came first: A or B?").

The answer is refused when any part is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rag.answer import abstain
from rag.answer import entities as ner
from rag.config import Settings
from rag.types import Passage

_WH = frozenset({"which", "what", "who", "whom", "whose"})
_BOTH = re.compile(r"^(?P<head>.*?)\s+both\s+(?P<a>.+?)\s+and\s+(?:also\s+)?(?P<b>.+?)\s*\?\s*$", re.I)
_CHOICE = re.compile(
    r"^(?P<head>(?:which|who|what)\b[^:,]*)[:,]\s*(?P<a>[^:,]+?),?\s+or\s+(?P<b>[^:,]+?)\s*\?\s*$", re.I
)


def should_abstain(question: str, passages: Sequence[Passage], settings: Settings) -> bool:
    """`abstain.should_abstain` for each part of the question; True when any part is unsupported."""
    main, context = abstain.split_condensed(question)
    parts = split_question(main)
    if len(parts) == 1:
        return abstain.should_abstain(question, passages, settings)
    suffix = f" ({context})" if context else ""
    return any(abstain.should_abstain(part + suffix, passages, settings) for part in parts)


@lru_cache(maxsize=4_096)
def split_question(question: str) -> tuple[str, ...]:
    """The question's parts, each a question of its own; the question alone when it has one."""
    for split in (_predicates, _both, _choice):
        parts = split(question)
        if parts:
            return parts
    return (question,)


def _predicates(question: str) -> tuple[str, ...] | None:
    """ "Which X did A and also did B?" -> "Which X did A?", "Which X did B?"."""
    nlp = ner.model()
    if nlp is None:
        return None
    doc = nlp(question)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.pos_ != "VERB":  # "Who was the man who ... and said ...": one person described
        return None
    subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    second = next((c for c in root.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")), None)
    if subject is None or second is None or any(c.dep_.startswith("nsubj") for c in second.children):
        return None
    asked = list(subject.subtree)
    if not any(t.lower_ in _WH for t in asked) or asked[-1].i >= root.i:
        return None
    cc = next((c for c in root.children if c.dep_ == "cc" and c.i < second.i), None)
    end = cc.i if cc is not None else second.i
    head = "".join(t.text_with_ws for t in asked if t.lower_ != "both").strip()
    first = "".join(t.text_with_ws for t in doc[asked[-1].i + 1 : end] if t.lower_ != "both").strip()
    # "Which company will invest ... and pay ...": the second verb shares the first one's auxiliary.
    bare = second.tag_ == "VB" and not any(c.dep_ == "aux" for c in second.children)
    shared = doc[asked[-1].i + 1 : root.i].text if bare else ""
    rest = " ".join(filter(None, (shared, doc[second.i :].text.rstrip(" ?"))))
    return (f"{head} {first}?", f"{head} {rest}?")


def _both(question: str) -> tuple[str, ...] | None:
    match = _BOTH.match(question)
    if match is None or not any(w in _WH for w in match.group("head").lower().split()):
        return None
    if len(match.group("a").split()) < 2:  # "both innate and adaptive immunity": one thing, two adjectives
        return None
    head = match.group("head")
    return (f"{head} {match.group('a')}?", f"{head} {match.group('b')}?")


def _choice(question: str) -> tuple[str, ...] | None:
    match = _CHOICE.match(question)
    if match is None:
        return None
    head = match.group("head")
    return (f"{head} {match.group('a')}?", f"{head} {match.group('b')}?")
