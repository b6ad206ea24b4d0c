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

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain

from rag.answer import scoring
from rag.answer.agreement import asked_type, holds_asked_answer
from rag.answer.facts import fold
from rag.answer.figures import MONTH, WEEKDAY, YEAR
from rag.answer.names import TOKEN, Entity, initials_in, question_entities, same_name
from rag.answer.pronouns import opening, opens_with_pronoun
from rag.answer.scoring import split_condensed
from rag.answer.spelling import same_spelling, written_in
from rag.config import Settings
from rag.text.analyze import STOPWORDS, words
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
_POSSESSIVE = re.compile(r"'s$")


def support_score(question: str, passages: Sequence[Passage]) -> float:
    """How well the best retrieved sentence covers the question (0..1), IDF-weighted.

    A name or rare term of the question ("South Korea") found in no passage cuts the score:
    passages about something else share the common words but not the names.
    """
    sentences, q, idf, unseen = _evidence(question, passages)
    return _support(sentences, q, _covers(sentences, q, idf, unseen))


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
    covers = _covers(sentences, q, idf, unseen)
    support = _support(sentences, q, covers)
    if support < threshold:
        return f"weak support {support:.2f} < {threshold:.2f}"
    main, _context = split_condensed(question)  # context words are for retrieval, not required
    entities = question_entities(main)
    found = _Found.scan(sentences, passages, entities)
    # Lazily: most answers need only the first sentence where the entities meet.
    together = (i for i in range(len(sentences)) if found.together(i))
    first = next(together, None)
    if first is None:
        return "entities never together: " + ", ".join(e.text for e in entities)
    wanted = asked_type(main)
    if wanted is None:
        return None
    floor = TYPED_RATIO * max(covers)
    for i in chain([first], together):
        s = sentences[i]
        if (
            covers[i] >= floor
            and found.about(i, person=wanted in ("person", "org"))
            and any(holds_asked_answer(wanted, part, main) for part in _statements(s.span.text, entities))
        ):
            return None
    return f"no {wanted} about " + (", ".join(e.text for e in entities) or "the question's terms")


def _statements(text: str, entities: list[Entity]) -> list[str]:
    """The parts of a sentence that each state something: the sentence, or a table's rows that name
    the question's entities. A summary table ("| Japan | $2.9 billion |", "| United Kingdom | amount
    not disclosed |") is one sentence to the splitter but says one thing per row: an amount in
    Japan's row does not answer for the UK. Entities the caption names hold for every row."""
    if "\n|" not in text:  # nearly every sentence: no table
        return [text]
    rows = [r for r in text.split("\n") if r.count("|") >= 2 and r.strip(" |-:")]
    if len(rows) < 2:
        return [text]
    caption = text[: text.find(rows[0])]
    keyed = [
        e
        for e in entities
        if not _entity_in(e, _sentence_words(caption), caption)
        and any(_entity_in(e, _sentence_words(r), r) for r in rows)
    ]
    return [r for r in rows if all(_entity_in(e, _sentence_words(r), r) for e in keyed)]


def _evidence(
    question: str, passages: Sequence[Passage]
) -> tuple[list[scoring.Sentence], scoring.Question, dict[str, float], float]:
    """Sentences, the analysed question and IDF, possessives folded ("Microsoft's" is "Microsoft")."""
    sentences = scoring.passage_sentences(passages, folded=True)
    q = scoring.analyse_question(question)
    q = replace(q, terms=frozenset(map(fold, q.terms)), names=frozenset(map(fold, q.names)))
    idf, unseen = scoring.idf_table(sentences)
    return sentences, q, idf, unseen


def _covers(
    sentences: list[scoring.Sentence], q: scoring.Question, idf: dict[str, float], unseen: float
) -> list[float]:
    """Each sentence's IDF-weighted coverage of the question, computed once for every check."""
    cover = scoring.coverer(q, idf, unseen)
    return [cover(s.term_set) for s in sentences]


def _support(sentences: list[scoring.Sentence], q: scoring.Question, covers: list[float]) -> float:
    if not sentences or not q.terms:
        return 0.0
    best = max(covers)
    missing_names = [n for n in q.names if not any(n in s.term_set for s in sentences)]
    if missing_names:
        # A name written another way (accents, one typing slip) counts as present.
        present = frozenset().union(*(s.term_set for s in sentences))
        missing_names = [n for n in missing_names if not any(same_spelling(n, t) for t in present)]
        best *= 1 - len(missing_names) / len(q.names)
    return best


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
        if self._pronoun_for(i, missing):
            return True  # "She ... in 1916 married ...": the one the previous sentence is about
        if _other_names(self.sentences[i].span.text, self.entities, self.names):
            return False  # "Microsoft's $2.9 billion" next to a sentence about Apple is not Apple's
        return self.together(i)

    def _pronoun_for(self, i: int, missing: list[int]) -> bool:
        """Whether sentence i opens with a pronoun for the previous one's subject, which names `missing`."""
        before = opening(self.sentences[i - 1].span.text) if i > self.bounds[i][0] else ""
        return opens_with_pronoun(self.sentences[i].span.text) and all(
            _entity_in(self.entities[k], _sentence_words(before), before) for k in missing
        )

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
    return tuple(m.group(0).lower() for m in list(TOKEN.finditer(text))[1:] if m.group(0)[:1].isupper())


@lru_cache(maxsize=1_024)
def _capitalised_in(texts: tuple[str, ...]) -> frozenset[str]:
    """Words the texts capitalise past their first: the same retrieved sentences come back for many questions."""
    return frozenset(name for text in texts for name in _capitalised_after_first(text))


@lru_cache(maxsize=65_536)
def _named_in(word: str, vocab: frozenset[str]) -> bool:
    return any(same_name(word, v) or same_spelling(word, v) for v in vocab)


@lru_cache(maxsize=16_384)
def _numbers_in(vocab: frozenset[str]) -> frozenset[str]:
    return frozenset(w.replace(",", "") for w in vocab)


def _entity_in(entity: Entity, vocab: frozenset[str], text: str) -> bool:
    if entity.number:
        return entity.words[0] in _numbers_in(vocab) or entity.text in text
    # `w in vocab` first: a word is always its own name (same_name), and the cached lookup costs more.
    return all(w in vocab or _named_in(w, vocab) or written_in(w, text) for w in entity.words) or initials_in(
        entity.words, vocab
    )


def _other_names(text: str, entities: list[Entity], names: frozenset[str]) -> bool:
    """Whether the sentence names something the question did not: a capitalised word past its
    first, or a first word that the passages capitalise elsewhere too ("Microsoft announced")."""
    asked = [w for e in entities for w in e.words]
    for n, match in enumerate(TOKEN.finditer(text)):
        word = re.sub(r"['’]s$", "", match.group(0))
        lowered = word.lower()
        if (
            len(word) <= 2
            or lowered in STOPWORDS
            or any(same_name(lowered, a) or same_spelling(lowered, a) for a in asked)
        ):
            continue  # "AI", "US", the "A" of "A$5": too short to name a rival subject
        if word[:1].isupper() and (n > 0 or match.group(0).lower() in names):
            if not (MONTH.fullmatch(word) or WEEKDAY.fullmatch(word)):
                return True
    return False
