"""After the lead, the part of its sentence that states it: "$2.9 billion. [1] Microsoft will invest
$2.9 billion in Japan over two years … [1]", not the whole 45-word sentence.

The lead already answers; what follows is evidence, and a reader checks it faster when it ends
with the clause that holds the answer. The sentence is cut only at its end, at a clause
boundary, so it keeps the subject its start names. The whole sentence stays in the citation's
quote (`citations[].quote`), so nothing is lost to a reader who wants it.
"""

from __future__ import annotations

import re

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
    end = max(at + len(span) for at, span in zip(found, spans))
    for boundary in _BOUNDARY.finditer(sentence, end):
        piece = sentence[: boundary.start()].rstrip()
        if len(piece.split()) >= MIN_WORDS:
            break
    else:
        return sentence
    if len(piece.split()) > len(sentence.split()) - SAVE_WORDS:
        return sentence
    return f"{piece} {ELLIPSIS}"
