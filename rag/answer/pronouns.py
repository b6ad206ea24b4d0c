"""A sentence that opens with a pronoun is about what the sentence before it opened with.

"Tamara de Lempicka grew up in Warsaw. She ... in 1916 married a lawyer": the second sentence
answers "When did Tamara marry?" although it names other people and not her. Only a subject
pronoun at the very start counts, and only for names the previous sentence gives in its first
few words, where its subject is: "Microsoft opened offices in Japan and Korea. It will spend
$2.9 billion in Japan" is about Microsoft, not about Korea.
"""

from __future__ import annotations

import re

# A sentence's subject is named within its first few words ("In 1489 the Venetians ...").
SUBJECT_WORDS = 6
_PRONOUN = re.compile(r"(?:He|She|It|They)\b")


def opens_with_pronoun(text: str) -> bool:
    return bool(_PRONOUN.match(text))


def opening(text: str) -> str:
    """The words where a sentence names its subject."""
    return " ".join(text.split()[:SUBJECT_WORDS])
