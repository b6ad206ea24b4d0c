"""When a name in a question is the passage's name written differently: accents dropped
("Boleslaw" for "Bolesław", "Herve" for "Hervé"), one slip of the keyboard ("Counil" for
"Council", "Sigimund" for "Sigismund"), an acronym spelled out, or a name joined by "&".

Users type names as they hear them; refusing "How many members are on the Warsaw City Counil?"
because the article spells it right is a wrongful refusal. The tolerance is kept narrow so that a
different name stays different: one edit (a letter added, dropped, changed, or two neighbours
swapped), only between words of at least `MIN_LETTERS` letters that start with the same letter."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Shorter names differ by one letter too often to be the same ("Jones"/"Jonas" is 5: kept;
# "Kim"/"Lim", "Iran"/"Iraq" are not).
MIN_LETTERS = 5
# Letters that NFKD does not decompose into a base letter and a mark.
_UNMARKED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe"})


@lru_cache(maxsize=65_536)
def plain(word: str) -> str:
    """The word without accents or marks: "bolesław" -> "boleslaw", "temüjin" -> "temujin"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNMARKED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=262_144)
def same_spelling(a: str, b: str) -> bool:
    """Whether two lower-cased words are one name, allowing for accents and one typing slip."""
    if a == b:
        return True
    a, b = plain(a), plain(b)
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_LETTERS or abs(len(a) - len(b)) > 1 or a[0] != b[0]:
        return False
    if not (a.isalpha() and b.isalpha()):
        return False  # "2019a", "u.s": not names typed by ear
    return _one_edit(a, b)


def _one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns a into b (a != b)."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]  # b has one letter more at i
    if a[i + 1 :] == b[i + 1 :]:
        return True  # one letter changed
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


@lru_cache(maxsize=65_536)
def written_in(word: str, text: str) -> bool:
    """A name written another way in the text: joined by "&" ("v&a", "at&t"), which word lists
    split in two, or an acronym spelled out ("llm" in "large language model")."""
    if "&" in word:
        return word in text.lower()
    if not 2 <= len(word) <= 5 or not word.isalpha():
        return False
    return bool(_acronym_pattern(word).search(text))


@lru_cache(maxsize=4_096)
def _acronym_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"\b" + r"\S*\s+".join(re.escape(ch) for ch in word), re.IGNORECASE)
