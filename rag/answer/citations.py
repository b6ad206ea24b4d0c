"""Citation markers in answer text: parse, drop the bad ones, renumber, and build `Citation`s."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.answer.types import Citation
from rag.text.analyze import terms
from rag.text.memo import PASSAGE_CHARS, per_text
from rag.text.sentences import Span, split_sentences
from rag.types import Passage

# [1]  [1, 2]  [1,2]  [1-3]  [1–3]  [1; 2]
MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[-–,;]\s*\d{1,3})*)\s*\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d{1,3}(?:\s*[-–,;]\s*\d{1,3})*\s*\])+")
MAX_RANGE = 50  # a range wider than this is a typo, not a citation


@dataclass(slots=True)
class Resolved:
    """The answer text with markers renumbered 1..k, and what was found on the way."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    dropped_markers: list[int] = field(default_factory=list)
    unsupported_sentences: list[str] = field(default_factory=list)


def marker_numbers(body: str) -> list[int]:
    """Numbers inside one marker's brackets, ranges expanded: "1-3, 5" -> [1, 2, 3, 5]."""
    numbers: list[int] = []
    for part in re.split(r"[,;]", body):
        bounds = [int(x) for x in re.split(r"[-–]", part.strip()) if x.strip()]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= MAX_RANGE:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def strip_markers(text: str) -> str:
    """The text without citation markers (for display lengths and scoring)."""
    return re.sub(r"\s{2,}", " ", MARKER.sub("", text)).replace(" .", ".").strip()


class Renumbering:
    """Marker renumbering in order of first use: one instance per answer, fed left to right."""

    def __init__(self, passages: int) -> None:
        self.valid = range(1, passages + 1)
        self.mapping: dict[int, int] = {}
        self.dropped: list[int] = []

    def apply(self, text: str) -> str:
        return MARKER.sub(self._rewrite, text)

    def _rewrite(self, match: re.Match[str]) -> str:
        kept: list[int] = []
        for n in marker_numbers(match.group(1)):
            if n not in self.valid:
                if n not in self.dropped:
                    self.dropped.append(n)
                continue
            new = self.mapping.setdefault(n, len(self.mapping) + 1)
            if new not in kept:
                kept.append(new)
        return "".join(f"[{n}]" for n in kept)


class StreamRenumbering:
    """Renumbers markers in streamed text exactly as `resolve_citations` will in the final answer,
    holding back a trailing "[1" until its bracket closes, so clients never see stale numbers."""

    _OPEN = re.compile(r"\[[\d\s,;\-–]{0,20}$")

    def __init__(self, passages: int) -> None:
        self.numbers = Renumbering(passages)
        self.pending = ""

    def feed(self, piece: str) -> str:
        text = self.pending + piece
        held = self._OPEN.search(text)
        cut = held.start() if held else len(text)
        self.pending = text[cut:]
        return self.numbers.apply(text[:cut])

    def close(self) -> str:
        text, self.pending = self.pending, ""
        return self.numbers.apply(text)


def resolve_citations(text: str, passages: Sequence[Passage]) -> Resolved:
    """Renumber cited passages 1..k in order of first use, drop markers that point nowhere."""
    numbers = Renumbering(len(passages))
    rewritten = numbers.apply(text)
    rewritten = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", rewritten)).strip()
    sentences = answer_sentences(rewritten)
    citations = _build_citations(sentences, numbers.mapping, passages)
    unsupported = [strip_markers(s) for s in sentences if not MARKER.search(s) and _is_claim(s)]
    return Resolved(rewritten, citations, numbers.dropped, unsupported)


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer, with markers that open a sentence moved back to the one before."""
    sentences: list[str] = []
    for span in split_sentences(text):
        piece = span.text
        lead = _LEADING_MARKERS.match(piece)
        if lead and sentences:
            sentences[-1] += lead.group(0).strip()
            piece = piece[lead.end() :].strip()
        if piece:
            sentences.append(piece)
    return sentences


def _is_claim(sentence: str) -> bool:
    # Headings and stray fragments ("Sources:") are not claims that need a citation.
    return len(terms(strip_markers(sentence))) >= 2


def _build_citations(sentences: list[str], mapping: dict[int, int], passages: Sequence[Passage]) -> list[Citation]:
    """One `Citation` per cited passage, quoting its sentence that best supports the claim."""
    claims: dict[int, list[str]] = {}
    for sentence in sentences:
        for match in MARKER.finditer(sentence):
            for new in marker_numbers(match.group(1)):
                claims.setdefault(new, []).append(strip_markers(sentence))
    by_new = {new: old for old, new in mapping.items()}
    citations: list[Citation] = []
    for new in sorted(by_new):
        passage = passages[by_new[new] - 1]
        span = best_supporting_span(passage.text, claims.get(new, []))
        citations.append(citation_of(new, passage, span.start, span.end))
    return citations


def best_supporting_span(text: str, claims: Sequence[str]) -> Span:
    """The sentence of `text` sharing the most terms with any of `claims` (first sentence on ties)."""
    sentences = _sentence_terms(text)
    claim_terms = [set(terms(c)) for c in claims]

    def support(sentence: tuple[Span, frozenset[str]]) -> float:
        found = sentence[1]
        return max((len(found & c) / (len(c) or 1) for c in claim_terms), default=0.0)

    return max(sentences, key=support)[0]


# Every answer cites the same retrieved chunks: their sentences and terms are worked out once.
@per_text(maxsize=4_096, max_chars=PASSAGE_CHARS)
def _sentence_terms(text: str) -> tuple[tuple[Span, frozenset[str]], ...]:
    spans = split_sentences(text) or [Span(0, len(text), text)]
    return tuple((span, frozenset(terms(span.text))) for span in spans)


def citation_of(n: int, passage: Passage, start: int, end: int) -> Citation:
    """Citation `n`: the passage's source and its text from `start` to `end` (offsets into the passage)."""
    return Citation(
        n=n,
        chunk_id=passage.chunk_id,
        doc_id=passage.doc_id,
        title=passage.title,
        source=passage.source,
        url=passage.url,
        date=passage.date,
        quote=passage.text[start:end],
        start=passage.start + start,
        end=passage.start + end,
    )
