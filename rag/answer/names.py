"""Names and numbers in a question, and when two spellings name the same thing ("Japan", "Japanese")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from rag.answer import scoring
from rag.text.analyze import STOPWORDS

TOKEN = re.compile(r"[^\W_]+(?:[.'’&][^\W_]+)*")
# The question openers scoring knows, and the words that open a clause inside a question.
_OPENERS = scoring.QUESTION_OPENERS | frozenset(
    "will would should to from of and but or so apart besides beyond across within between since after before "
    "during under over measured compared given".split()
)
# Titles say what a person is, not who: "Prime Minister Kishida" is supported by "Kishida".
TITLES = frozenset("mr mrs ms dr prof sir prime minister president chief ceo chairman chairwoman sen rep".split())
_DEMONYM_SUFFIXES = ("", "s", "es", "n", "an", "ian", "ese", "ish", "i")
# Names whose adjective or short form shares no stem with them.
_ALIASES = {
    "us": ("u.s", "usa", "american", "america", "americans"),
    "u.s": ("us", "usa", "american", "america", "americans"),
    "uk": ("u.k", "britain", "british"),
    "u.k": ("uk", "britain", "british"),
    "netherlands": ("dutch",),
    "france": ("french",),
    "china": ("chinese",),
}


@dataclass(frozen=True, slots=True)
class Entity:
    """A name ("South Korea": its words, each matched loosely) or a number ("2027") in the question."""

    text: str
    words: tuple[str, ...]
    number: bool = False


def question_entities(question: str) -> list[Entity]:
    """Names (runs of capitalised words, possessives stripped) and numbers the question mentions."""
    entities: list[Entity] = []
    run: list[str] = []
    tokens = list(TOKEN.finditer(question))
    for i, match in enumerate(tokens):
        token = re.sub(r"['’]s$", "", match.group(0))
        gap = question[tokens[i - 1].end() : match.start()] if i else ""
        if run and gap.strip():  # punctuation or a dash ends a name: "US–Japan" is two
            entities.append(_name(run))
            run = []
        if any(ch.isdigit() for ch in token):
            number = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", token.replace(",", ""))  # "25th" is "25"
            entities.append(Entity(number, (number,), number=True))
        elif _is_name_word(question, match, token, tokens[i + 1] if i + 1 < len(tokens) else None):
            run.append(token)
        elif run:
            entities.append(_name(run))
            run = []
        if run and match.group(0) != token:  # a possessive ends the name: "Microsoft's Tokyo lab"
            entities.append(_name(run))
            run = []
    if run:
        entities.append(_name(run))
    return [part for e in entities for part in _split_demonym(e) if part.words]


def initials_in(name: tuple[str, ...], vocab: frozenset[str]) -> bool:
    """A name spelled out in the question and abbreviated in the text: "Amazon Web Services" as "aws"."""
    return len(name) >= 2 and "".join(w[0] for w in name) in vocab


_DEMONYM = re.compile(r"(?:ese|ian|ean|ish|can)$")


def _split_demonym(entity: Entity) -> list[Entity]:
    """ "Japanese LLM" is two things to find, a place and a name: an article says "LLM" in one
    sentence and "Japan" in the next. A name that starts with a demonym is split."""
    if entity.number or len(entity.words) < 2 or not _DEMONYM.search(entity.words[0]):
        return [entity]
    first, rest = entity.text.split(" ", 1)
    return [Entity(first, entity.words[:1]), Entity(rest, entity.words[1:])]


def _is_name_word(question: str, match: re.Match[str], token: str, following: re.Match[str] | None) -> bool:
    """A capitalised word that names something; a sentence's first word only when clearly a name."""
    if not token[:1].isupper():
        return False
    before = question[: match.start()].rstrip()
    if before and before[-1] not in '.?!:;"“(':
        return True
    if token.lower() in _OPENERS or token.lower() in STOPWORDS:
        return False
    # "Microsoft's pledges", "Japan's labour", "TSMC", "Masayoshi Son said": names; "Apart from": not.
    possessive = match.group(0) != token
    next_capital = (
        following is not None
        and following.group(0)[:1].isupper()
        and not question[match.end() : following.start()].strip()
    )
    return possessive or token.isupper() or next_capital


def _name(run: list[str]) -> Entity:
    kept = tuple(w.lower() for w in run if w.lower() not in STOPWORDS and w.lower() not in TITLES)
    return Entity(" ".join(run), kept)


def same_name(a: str, b: str) -> bool:
    """Whether two lower-cased words name the same thing: "japan"/"japanese", "korea"/"korean", "us"/"american"."""
    if a == b or b in _ALIASES.get(a, ()) or a in _ALIASES.get(b, ()):
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 4 or not short.isalpha() or not long.isalpha():
        return False
    bases = {short, short[:-1]} if short[-1] in "aeiouy" else {short}
    if any(long.startswith(base) and long[len(base) :] in _DEMONYM_SUFFIXES for base in bases):
        return True
    # Irregular demonyms share most of the name: "portugal"/"portuguese", "norway"/"norwegian".
    shared = len(os.path.commonprefix([short, long]))
    return shared >= max(5, 0.7 * len(short))
