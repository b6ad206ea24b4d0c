"""When to say "the documents do not answer this": before generation (weak support) and after (a refusal).

Before generation three kinds of evidence must hold, as a careful reader would check them:

1. support: the best retrieved sentence covers the question's terms (IDF-weighted);
2. entities: the names and numbers the question mentions occur together, in one window of
   neighbouring sentences ("Microsoft ... South Korea" is not supported by a sentence about
   Microsoft and another, far away, about TSMC and South Korea);
3. answer type: a sentence near those entities that covers the question holds an answer of the
   kind asked for: an amount for "how much ... invest", a count for "how many", a date for
   "when", a name for "who".
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag.answer import entities as ner
from rag.answer import scoring
from rag.answer.facts import fold
from rag.answer.figures import MONEY, MONTH, NUMBER_WORDS, PERCENT, WEEKDAY, YEAR, has_date
from rag.answer.prompts import REFUSAL
from rag.config import Settings
from rag.text.analyze import STOPWORDS, stem, words
from rag.text.memo import SENTENCE_CHARS, per_text
from rag.types import Passage

# Chosen on the gold dev set and SQuAD (history and figures: docs/tuning.md);
# `settings.answer.abstain_threshold` overrides it.
DEFAULT_THRESHOLD = 0.20
# Entities must occur within this many sentences of each other (either side of a sentence).
WINDOW = 3
# A sentence offering the answer must cover the question (IDF-weighted) at least this share as
# well as the best-covering sentence does: "$2.9 billion" near "Microsoft" is not about GPUs.
TYPED_RATIO = 0.3
# "how many GPUs": a number stands at most this many words before the counted noun ("3 million Japanese workers").
COUNT_REACH = 4

_REFUSALS = re.compile(
    r"(?:do(?:es)?\s*n[o']t|cannot|can\s*not|can't|don't|doesn't)\s+(?:contain|answer|mention|say|provide|include|address|cover|specify)"
    r"|\bno (?:information|answer|mention)\b.*\b(?:passages?|sources?|documents?|context)\b"
    r"|\b(?:i|we) (?:do not|don't) know\b"
    r"|\bnot (?:mentioned|stated|specified|provided|found) in the (?:passages?|sources?|documents?|context)\b"
    r"|\b(?:unable|not able) to (?:answer|find)\b",
    re.IGNORECASE,
)

# The condenser appends the previous question's key words: "And how many? (Microsoft Japan)".
_CONDENSED = re.compile(r"^(?P<main>.*\S)\s+\((?P<context>[^()]*)\)\s*$")
_TOKEN = re.compile(r"[^\W_]+(?:[.'’&][^\W_]+)*")
_POSSESSIVE = re.compile(r"'s$")
# The question openers scoring knows, and the words that open a clause inside a question.
_OPENERS = scoring.QUESTION_OPENERS | frozenset(
    "will would should to from of and but or so apart besides beyond across within between since after before "
    "during under over measured compared given".split()
)
# Titles say what a person is, not who: "Prime Minister Kishida" is supported by "Kishida".
_TITLES = frozenset("mr mrs ms dr prof sir prime minister president chief ceo chairman chairwoman sen rep".split())
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
_TIME_UNITS = r"(?:years?|months?|weeks?|days?|decades?|hours?|minutes?|centur(?:y|ies))"
_DURATION = re.compile(rf"\b(?:\d[\d,.]*|{'|'.join(sorted(NUMBER_WORDS))})[\s-]+{_TIME_UNITS}\b", re.I)
_RELATIVE_DATE = re.compile(
    r"\b(?:yesterday|today|tomorrow|ago|(?:last|next|this|earlier this|later this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)"
    r"|spring|summer|autumn|winter)\b",
    re.I,
)
_NAME_RUN = re.compile(r"\b[A-Z][a-z’'.-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-z’'.-]+)+")
_COUNTED_TIME = re.compile(rf"^\s*{_TIME_UNITS}\b", re.I)


@dataclass(frozen=True, slots=True)
class Entity:
    """A name ("South Korea": its words, each matched loosely) or a number ("2027") in the question."""

    text: str
    words: tuple[str, ...]
    number: bool = False


def support_score(question: str, passages: Sequence[Passage]) -> float:
    """How well the best retrieved sentence covers the question (0..1), IDF-weighted.

    A name or rare term of the question ("South Korea") found in no passage cuts the score:
    passages about something else share the common words but not the names.
    """
    return _support(*_evidence(question, passages))


def should_abstain(question: str, passages: Sequence[Passage], settings: Settings) -> bool:
    """True when the passages are unlikely to answer: nothing retrieved, weak support, the
    question's entities never together, or no answer of the kind asked for near them."""
    return abstain_reason(question, passages, settings) is not None


def abstain_reason(question: str, passages: Sequence[Passage], settings: Settings) -> str | None:
    """Why to abstain (a short note for logs and measurements), or None to answer."""
    if not passages:
        return "nothing retrieved"
    if not settings.answer.abstain:
        return None
    threshold = settings.answer.abstain_threshold or DEFAULT_THRESHOLD
    sentences, q, idf, unseen = _evidence(question, passages)
    support = _support(sentences, q, idf, unseen)
    if support < threshold:
        return f"weak support {support:.2f} < {threshold:.2f}"
    main, _context = split_condensed(question)  # context words are for retrieval, not required
    entities = question_entities(main)
    found = _Found.scan(sentences, passages, entities)
    together = [i for i in range(len(sentences)) if found.together(i)]
    if not together:
        return "entities never together: " + ", ".join(e.text for e in entities)
    wanted = ner.answer_type(main) or expected_type(main)
    if wanted is None:
        return None
    cover = scoring.coverer(q, idf, unseen)
    floor = TYPED_RATIO * max(cover(s.term_set) for s in sentences)
    for i in together:
        s = sentences[i]
        if (
            cover(s.term_set) >= floor
            and found.about(i, person=wanted in ("person", "org"))
            and ner.holds_answer(wanted, s.span.text, main, has_type)
        ):
            return None
    return f"no {wanted} about " + (", ".join(e.text for e in entities) or "the question's terms")


def _evidence(
    question: str, passages: Sequence[Passage]
) -> tuple[list[scoring.Sentence], scoring.Question, dict[str, float], float]:
    """Sentences, the analysed question and IDF, possessives folded ("Microsoft's" is "Microsoft")."""
    sentences = scoring.passage_sentences(passages, folded=True)
    q = scoring.analyse_question(question)
    q = replace(q, terms=frozenset(map(fold, q.terms)), names=frozenset(map(fold, q.names)))
    idf, unseen = scoring.idf_table(sentences)
    return sentences, q, idf, unseen


def _support(sentences: list[scoring.Sentence], q: scoring.Question, idf: dict[str, float], unseen: float) -> float:
    if not sentences or not q.terms:
        return 0.0
    cover = scoring.coverer(q, idf, unseen)
    best = max(cover(s.term_set) for s in sentences)
    present = frozenset().union(*(s.term_set for s in sentences))
    missing_names = q.names - present
    if missing_names:
        best *= 1 - len(missing_names) / len(q.names)
    return best


def split_condensed(question: str) -> tuple[str, str]:
    """The question itself and the context words the condenser appended in parentheses."""
    match = _CONDENSED.match(question)
    if match is None or not re.search(r"[?.!]\s*$", match.group("main")):
        return question, ""
    return match.group("main"), match.group("context")


def question_entities(question: str) -> list[Entity]:
    """Names (runs of capitalised words, possessives stripped) and numbers the question mentions."""
    entities: list[Entity] = []
    run: list[str] = []
    tokens = list(_TOKEN.finditer(question))
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
    return [e for e in entities if e.words]


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
    kept = tuple(w.lower() for w in run if w.lower() not in STOPWORDS and w.lower() not in _TITLES)
    return Entity(" ".join(run), kept)


@dataclass(slots=True)
class _Found:
    """Where the question's entities occur: `hits[i][k]` says whether sentence i holds entity k."""

    sentences: list[scoring.Sentence]
    passages: Sequence[Passage]
    entities: list[Entity]
    hits: list[list[bool]]
    names: frozenset[str]  # words the passages capitalise mid-sentence: names, even first in a sentence
    # Where each sentence's passage starts and ends in `sentences` (a passage's sentences are
    # consecutive, in order), and per entity how many sentences before each one hold it.
    bounds: list[tuple[int, int]] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)
    # Answers to together() and _dated(), asked again for the same sentence by about().
    memo: dict[tuple, bool] = field(default_factory=dict)

    @classmethod
    def scan(cls, sentences: list[scoring.Sentence], passages: Sequence[Passage], entities: list[Entity]) -> _Found:
        vocab = [_sentence_words(s.span.text) for s in sentences]
        hits = [[_entity_in(e, v, s.span.text) for e in entities] for s, v in zip(sentences, vocab)]
        names = _capitalised_in(tuple(s.span.text for s in sentences))
        ends = {s.passage: i + 1 for i, s in enumerate(sentences)}
        bounds = [(i - s.position, ends[s.passage]) for i, s in enumerate(sentences)]
        counts = []
        for k in range(len(entities)):
            running = [0]
            for row in hits:
                running.append(running[-1] + row[k])
            counts.append(running)
        return cls(sentences, passages, entities, hits, names, bounds, counts)

    def near(self, i: int, reach: int) -> range:
        """Sentences of i's passage within `reach` sentences of it, i included."""
        start, end = self.bounds[i]
        return range(max(start, i - reach), min(end, i + reach + 1))

    def together(self, i: int) -> bool:
        """Whether every entity occurs within WINDOW sentences of sentence i."""
        if not self.entities:
            return True
        key = ("together", i)
        if key not in self.memo:
            near = self.near(i, WINDOW)
            self.memo[key] = all(
                counts[near.stop] > counts[near.start] or self._dated(i, k) for k, counts in enumerate(self.counts)
            )
        return self.memo[key]

    def about(self, i: int, person: bool = False) -> bool:
        """Whether sentence i is about the entities: it names them all, or takes the missing ones
        from a neighbour without naming anything else the question did not ask about. When the
        answer is itself a name, other names are expected: the neighbour must then be adjacent."""
        missing = [k for k in range(len(self.entities)) if not self.hits[i][k] and not self._dated(i, k)]
        if not missing:
            return True
        if person:
            return all(any(self.hits[j][k] for j in self.near(i, 1)) for k in missing)
        if _other_names(self.sentences[i].span.text, self.entities, self.names):
            return False  # "Microsoft's $2.9 billion" next to a sentence about Apple is not Apple's
        return self.together(i)

    def _dated(self, i: int, k: int) -> bool:
        """Whether the passage's title or date gives entity k: an article about "Super Bowl 50"
        rarely repeats its name in every sentence, and a year is often the article's own."""
        key = ("dated", self.sentences[i].passage, k)  # the same for every sentence of a passage
        if key not in self.memo:
            e, passage = self.entities[k], self.passages[self.sentences[i].passage]
            title = (passage.title or "").replace("_", " ")
            self.memo[key] = bool(e.number and YEAR.fullmatch(e.text) and e.text in (passage.date or "")) or (
                bool(title) and _entity_in(e, _sentence_words(title), title)
            )
        return self.memo[key]


# What a sentence names depends only on the sentence, so it is remembered across answers
# (rag.text.memo), as is whether a question word is among a sentence's words: the same few
# passages come back for every question about them, and the pairwise name comparison was most
# of an answer's cost.
@per_text(maxsize=32_768, max_chars=SENTENCE_CHARS)
def _sentence_words(text: str) -> frozenset[str]:
    return frozenset(_POSSESSIVE.sub("", w) for w in words(text))


@per_text(maxsize=32_768, max_chars=SENTENCE_CHARS)
def _capitalised_after_first(text: str) -> tuple[str, ...]:
    return tuple(m.group(0).lower() for m in list(_TOKEN.finditer(text))[1:] if m.group(0)[:1].isupper())


@lru_cache(maxsize=1_024)
def _capitalised_in(texts: tuple[str, ...]) -> frozenset[str]:
    """Words the texts capitalise past their first: the same retrieved sentences come back for many questions."""
    return frozenset(name for text in texts for name in _capitalised_after_first(text))


@lru_cache(maxsize=65_536)
def _named_in(word: str, vocab: frozenset[str]) -> bool:
    return any(_same_name(word, v) for v in vocab)


@lru_cache(maxsize=16_384)
def _numbers_in(vocab: frozenset[str]) -> frozenset[str]:
    return frozenset(w.replace(",", "") for w in vocab)


def _entity_in(entity: Entity, vocab: frozenset[str], text: str) -> bool:
    if entity.number:
        return entity.words[0] in _numbers_in(vocab) or entity.text in text
    return all(_named_in(w, vocab) or _acronym_in(w, text) for w in entity.words)


@lru_cache(maxsize=65_536)
def _acronym_in(word: str, text: str) -> bool:
    """An acronym spelled out: "llm" in "large language model"."""
    if not 2 <= len(word) <= 5 or not word.isalpha():
        return False
    return bool(_acronym_pattern(word).search(text))


@lru_cache(maxsize=4_096)
def _acronym_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"\b" + r"\S*\s+".join(re.escape(ch) for ch in word), re.IGNORECASE)


def _other_names(text: str, entities: list[Entity], names: frozenset[str]) -> bool:
    """Whether the sentence names something the question did not: a capitalised word past its
    first, or a first word that the passages capitalise elsewhere too ("Microsoft announced")."""
    asked = [w for e in entities for w in e.words]
    for n, match in enumerate(_TOKEN.finditer(text)):
        word = re.sub(r"['’]s$", "", match.group(0))
        lowered = word.lower()
        if len(word) <= 2 or lowered in STOPWORDS or any(_same_name(lowered, a) for a in asked):
            continue  # "AI", "US", the "A" of "A$5": too short to name a rival subject
        if word[:1].isupper() and (n > 0 or match.group(0).lower() in names):
            if not (MONTH.fullmatch(word) or WEEKDAY.fullmatch(word)):
                return True
    return False


def _same_name(a: str, b: str) -> bool:
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


def expected_type(question: str) -> str | None:
    """The kind of answer the question needs evidence of (money, count, percent, date, person),
    read from its first wh-phrase: "Who fumbled when tackled?" asks for a name, not a date."""
    lowered = " ".join(words(question))
    wh = re.search(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", lowered)
    if wh is None:
        return None
    phrase = lowered[wh.start() :]
    if scoring.answer_kind(phrase) == "money":
        return "money"
    if phrase.startswith("how many"):
        return "count"
    if re.match(r"(?:what|which) (?:percentage|percent|share|proportion)\b", phrase):
        return "percent"
    if re.match(r"when\b|(?:what|which) (?:year|years|date|day|month|weekday|century|decade|time|period)\b", phrase):
        return "date"
    if re.match(r"(?:who|whom)\b", phrase):
        return "person"
    return None


def role_of(question: str) -> str | None:
    """The role a who-question asks to fill: "director" in "Who will be the director of X?"."""
    match = re.search(
        r"\bwho (?:is|was|will be|are|were|has been|would be) (?:the|its|their) ((?:\w+ ){0,2}?\w+) (?:of|at|for|in|to)\b",
        " ".join(words(question)),
    )
    return match.group(1).split()[-1] if match else None


def has_type(wanted: str, text: str, question: str) -> bool:
    """Whether `text` holds an answer of the wanted kind that the question does not already give."""
    if wanted == "money":
        return bool(MONEY.search(text))
    if wanted == "percent":
        return bool(PERCENT.search(text))
    if wanted == "count":
        return _has_count(text, question)
    if wanted == "date":  # "over what period" is answered by "two years"
        return has_date(text) or bool(_RELATIVE_DATE.search(text) or _DURATION.search(text))
    return _has_new_name(text, question)


def _has_count(text: str, question: str) -> bool:
    """A number counting the things asked about: not money, a percentage, a year or (unless
    asked) a duration; when the sentence names the counted things, the number must stand by them."""
    counted = re.search(r"\bhow many\s+([^\W_]+)", question, re.I)
    noun = counted.group(1).lower() if counted else ""
    time_asked = bool(_COUNTED_TIME.match(noun))
    for pattern in (MONEY, PERCENT, MONTH) + (() if time_asked else (_DURATION,)):
        text = pattern.sub(" ", text)
    asked = {w for w in words(question) if any(ch.isdigit() for ch in w) or w in NUMBER_WORDS}
    tokens = words(text)
    numbers = [
        i
        for i, w in enumerate(tokens)
        if w not in asked
        and not YEAR.fullmatch(w)
        and (w in NUMBER_WORDS - {"first", "second", "third"} or any(ch.isdigit() for ch in w))
    ]
    mentions = [i for i, w in enumerate(tokens) if noun and _same_name(noun.rstrip("s"), w.rstrip("s"))]
    if not mentions:
        return bool(numbers)
    return any(0 < m - n <= COUNT_REACH for m in mentions for n in numbers)


def _has_new_name(text: str, question: str) -> bool:
    """A name the question does not give: two or more capitalised words ("Miki Tsusaka") or an
    acronym ("CBS"); and the role asked about where there is one ("director" for "Who will be
    the director of X?")."""
    role = role_of(question)
    if role and not any(stem(w) == stem(role) for w in words(text)):
        return False
    tokens = _TOKEN.findall(text)
    if sum(t[:1].isupper() for t in tokens) > 0.6 * len(tokens):
        return False  # a headline in title case: every word looks like a name
    asked = {re.sub(r"['’]s$", "", w).lower() for w in _TOKEN.findall(question)}
    if any(len(t) >= 3 and t.isupper() and t.isalpha() and t.lower() not in asked for t in tokens):
        return True
    for match in _NAME_RUN.finditer(text):
        parts = [re.sub(r"['’]s$", "", p).lower() for p in match.group(0).split()]
        if not text[: match.start()].strip() and re.search(r"(?:ing|ed|ly)$", parts[0]):
            parts = parts[1:]  # "Elevating Japan's position": a sentence's first word, not a name
        parts = [p for p in parts if p not in STOPWORDS and p not in _TITLES]
        if len(parts) >= 2 and not any(
            p in asked or MONTH.fullmatch(p.title()) or WEEKDAY.fullmatch(p.title()) for p in parts
        ):
            return True
    return False


def is_refusal(text: str) -> bool:
    """Whether an answer is a refusal: the fixed sentence or a common paraphrase of it."""
    cleaned = re.sub(r"\s+", " ", re.sub(r"\[\d[\d,\s-]*\]", "", text)).strip()
    if not cleaned:
        return True
    if REFUSAL.lower().rstrip(".") in cleaned.lower():
        return True
    # Only a short reply is a refusal; a long answer that mentions a gap still answers.
    return len(cleaned.split()) <= 30 and bool(_REFUSALS.search(cleaned))
