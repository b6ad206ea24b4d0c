"""After the lead, the part of its sentence that states it: "$2.9 billion. [1] Microsoft will invest
$2.9 billion in Japan over two years … [1]", not the whole 45-word sentence.

The lead already answers; what follows is evidence, and a reader checks it faster when it ends
with the clause that holds the answer. The sentence is cut only at its end, at a clause
boundary, so it keeps the subject its start names. The whole sentence stays in the citation's
quote (`citations[].quote`), so nothing is lost to a reader who wants it.
"""

from __future__ import annotations

import re

from rag.answer import entities
from rag.answer.lead import wanted_labels
from rag.answer.scoring import analyse_question
from rag.text.analyze import terms

# Clause boundaries: punctuation that a quoted fragment can stop at.
_BOUNDARY = re.compile(r"[,;:()–—]|\s-\s")
# A sentence up to KEEP_WORDS long is kept whole; a fragment keeps at least MIN_WORDS, and a cut
# must save more than SAVE_WORDS words to be worth the ellipsis.
KEEP_WORDS = 25
MIN_WORDS = 10
SAVE_WORDS = 3
ELLIPSIS = "…"


def clause_around(sentence: str, spans: list[str]) -> str:
    """`sentence` up to the end of the clause holding the last of `spans` (and at least MIN_WORDS
    words), with an ellipsis where it was cut; the sentence itself when short or a span is missing."""
    found = [sentence.find(span) for span in spans]
    if len(sentence.split()) <= KEEP_WORDS or not found or min(found) < 0:
        return sentence
    return _cut_after(sentence, max(at + len(span) for at, span in zip(found, spans)), 0)


_TOKEN = re.compile(r"\S+")


def clause_answering(sentence: str, question: str) -> str:
    """A sentence that leads with no typed span, cut after the part that answers: where the
    question asks for a type (a date, a count, a name), the clause holding the last entity of
    that type the question does not give (the tagger's, already run for the lead); otherwise one
    clause past the last question word, since the answer usually follows what the question
    names. Whole when short, when nothing of the asked type is there, or without question words.
    Chosen on the SQuAD tuning half: 1.4 fewer words for 0.5% of answers losing the gold span."""
    if len(sentence.split()) <= KEEP_WORDS:
        return sentence
    asked = analyse_question(question).terms
    end = max((m.end() for m in _TOKEN.finditer(sentence) if asked.intersection(terms(m.group(0)))), default=-1)
    if end < 0:
        return sentence
    labels = wanted_labels(question)
    if labels is None:
        return _cut_after(sentence, end, 1)
    typed = [
        at + len(text)
        for text, label, at in entities.entities(sentence)
        if label in labels and not entities.given(text, question)
    ]
    if not typed:
        return sentence
    return _cut_after(sentence, max(end, *typed), 0)


def _cut_after(sentence: str, end: int, skip: int) -> str:
    """`sentence` cut at the first clause boundary after `end` (the `skip`+1-th, counting only
    those leaving at least MIN_WORDS words), with an ellipsis; whole if that saves too little."""
    for boundary in _BOUNDARY.finditer(sentence, end):
        piece = sentence[: boundary.start()].rstrip()
        if len(piece.split()) >= MIN_WORDS and _closed(piece) and not _in_list(sentence, boundary.end()):
            if skip == 0:
                break
            skip -= 1
    else:
        return sentence
    if len(piece.split()) > len(sentence.split()) - SAVE_WORDS:
        return sentence
    return f"{piece} {ELLIPSIS}"


def _closed(piece: str) -> bool:
    """No bracket or quotation left open: "(Fermat's little theorem …" reads as a broken sentence."""
    return piece.count("(") == piece.count(")") and piece.count('"') % 2 == 0 and piece.count("“") == piece.count("”")


_LIST_ITEM = re.compile(r"\s*(?:and\s+|or\s+)?(?:\S+\s+){0,2}\S+?(?:,|\s+(?:and|or)\b)")


def _in_list(sentence: str, at: int) -> bool:
    """Whether a comma at `at` separates the items of a list ("Jones, Griffith, Sting and Figgis"):
    the asked item may be any of them, so a list is never cut short."""
    return sentence[at - 1 : at] == "," and _LIST_ITEM.match(sentence, at) is not None
