"""The offline answer: the retrieved sentences that best match the question, each cited.

The backend that serves it is `rag.llm.extractive.ExtractiveLLM`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.answer import scoring
from rag.answer.citations import MARKER
from rag.answer.figures import find_disagreements
from rag.answer.lead import adds_asked_part, lead_line, lead_spans
from rag.answer.prompts import REFUSAL
from rag.answer.trim import clause_answering, clause_around
from rag.text.memo import SENTENCE_CHARS, per_text
from rag.types import Passage


@dataclass(frozen=True, slots=True)
class ExtractiveConfig:
    """Scoring weights, tuned on the first half of the SQuAD v1.1 dev articles."""

    max_sentences: int = 3
    context_weight: float = 0.5  # question terms in the sentence just before (pronoun antecedents)
    passage_weight: float = 0.3  # coverage of the question by the sentence's whole passage
    # The question's neighbouring terms side by side in the sentence (`scoring.phrase_match`) times
    # its coverage; fitted by pairwise logistic regression against the score, SQuAD tuning half.
    phrase_weight: float = 0.59
    rank_weight: float = 0.1  # per retrieval rank below the first
    penalty_weight: float = 0.5  # questions, fragments, page furniture
    # Holds a candidate answer of the kind asked for (an amount, a date, a name).
    kind_weights: tuple[tuple[str, float], ...] = (
        ("money", 0.3),
        ("number", 0.3),
        ("date", 0.3),
        ("person", 0.2),
        ("place", 0.15),
        ("other", 0.0),
    )
    floor: float = 0.15  # best coverage below this: refuse
    extra_ratio: float = 0.8  # a 2nd/3rd sentence must score this share of the first
    duplicate_jaccard: float = 0.6  # term overlap above which two sentences state one fact
    title_penalty: float = 0.15  # a headline repeats the body, rounder ("nearly $3 billion")


_FIGURE_KINDS = frozenset({"money", "number", "date"})


@dataclass(slots=True)
class Scored:
    sentence: scoring.Sentence
    score: float
    coverage: float
    phrase: float = 0.0  # the part of `score` from `phrase_weight`


@dataclass(slots=True)
class Pick:
    """An answer sentence and the passages (0-based) that state it."""

    text: str
    passages: list[int] = field(default_factory=list)
    sentence: scoring.Sentence | None = None

    @property
    def marker(self) -> str:
        return "".join(f"[{i + 1}]" for i in self.passages)


def score_sentences(question: str, passages: Sequence[Passage], config: ExtractiveConfig) -> list[Scored]:
    """Every sentence of the passages, best first."""
    sentences = scoring.passage_sentences(passages)
    if not sentences:
        return []
    q = scoring.analyse_question(question)
    asked = q.terms
    idf, unseen = scoring.idf_table(sentences)
    kind_weight = dict(config.kind_weights).get(q.kind, 0.0)
    by_position = {(s.passage, s.position): s.term_set for s in sentences}
    cover = scoring.coverer(q, idf, unseen)
    passage_cov = [cover(scoring.passage_term_set(p.text)) for p in passages]
    titles = [_title_line(p.title) for p in passages]
    scored: list[Scored] = []
    for s in sentences:
        found = s.term_set
        cov = cover(found)
        before = by_position.get((s.passage, s.position - 1), frozenset())
        if len(found) > len(asked) and (asked & before) <= found:
            # The sentence before adds no asked term, so the gain is exactly 0.0 (both
            # intersections iterate over the question's terms: the same floats in the same order).
            gain = 0.0
        else:
            gain = cover(found | before) - cov
        score = cov + config.context_weight * gain + config.passage_weight * passage_cov[s.passage]
        typed = bool(kind_weight) and scoring.kind_match(q, s)
        if typed:
            score += kind_weight
        # In proportion to coverage: a phrase in a sentence that matches little else is weak evidence;
        # for an amount, count or date, only in a sentence that holds one ("promised to invest" alone is not "how much").
        phrase = 0.0
        if config.phrase_weight and (typed or q.kind not in _FIGURE_KINDS):
            phrase = config.phrase_weight * cov * scoring.phrase_match(q, s, idf, unseen)
        score += phrase
        score -= config.rank_weight * s.passage + config.penalty_weight * s.facts.penalty
        title = titles[s.passage]
        if title is not None and _clean_text(s.span.text).rstrip(".") == title:
            score -= config.title_penalty
        scored.append(Scored(s, score, cov, phrase))
    scored.sort(key=lambda x: -x.score)
    return scored


def select(question: str, passages: Sequence[Passage], ranked: list[Scored], config: ExtractiveConfig) -> list[Pick]:
    """The best sentence, then up to `max_sentences - 1` more that add question terms not yet covered."""
    if not ranked or ranked[0].coverage < config.floor or ranked[0].score <= 0:
        return []
    q = scoring.analyse_question(question)
    q_terms = frozenset(q.terms)
    top = ranked[0]
    picks = [Pick(_clean(passages, top.sentence), [top.sentence.passage], top.sentence)]
    covered = top.sentence.term_set & q_terms
    for cand in ranked[1:]:
        same = _same_fact(picks, cand.sentence, config)
        if same is not None:
            if cand.sentence.passage not in same.passages:
                same.passages.append(cand.sentence.passage)
            continue
        new_terms = (cand.sentence.term_set & q_terms) - covered
        if (
            len(picks) < config.max_sentences
            and new_terms
            # The phrase bonus chooses the first sentence; whether another adds enough is judged without it.
            and cand.score - cand.phrase >= config.extra_ratio * (top.score - top.phrase)
            and _adds_asked(question, q, picks[0].text, passages, cand.sentence)
            and not _is_title(passages, cand.sentence)
        ):
            picks.append(Pick(_clean(passages, cand.sentence), [cand.sentence.passage], cand.sentence))
            covered |= new_terms
    return picks


def _adds_asked(
    question: str, q: scoring.Question, first: str, passages: Sequence[Passage], s: scoring.Sentence
) -> bool:
    """Answer first, in few words: a further sentence only for an asked-for part the first lacks
    ("and over what period?"); without the tagger, one that holds the asked kind too. Checked
    last among the cheap conditions: it runs the entity tagger over the sentence."""
    adds = adds_asked_part(question, first, _clean(passages, s))
    return adds if adds is not None else q.kind in ("other", "place") or scoring.kind_match(q, s)


def _is_title(passages: Sequence[Passage], s: scoring.Sentence) -> bool:
    title = _title_line(passages[s.passage].title)
    return title is not None and _clean(passages, s).rstrip(".") == title


def _title_line(title: str | None) -> str | None:
    """The title as a sentence of its body would read when it repeats the headline; None for no title."""
    return " ".join(title.split()).rstrip(".") if title else None


def _same_fact(picks: list[Pick], s: scoring.Sentence, config: ExtractiveConfig) -> Pick | None:
    for pick in picks:
        other = pick.sentence
        if other is None:
            continue
        shorter, longer = len(other.term_set), len(s.term_set)
        if shorter > longer:
            shorter, longer = longer, shorter
        if longer and shorter / longer < config.duplicate_jaccard:
            continue  # the overlap is at most the shorter set and the union at least the longer one
        union = other.term_set | s.term_set
        if union and len(other.term_set & s.term_set) / len(union) >= config.duplicate_jaccard:
            return pick
    return None


def _clean(passages: Sequence[Passage], s: scoring.Sentence) -> str:
    return _clean_text(s.span.text)


_SPACES = re.compile(r"\s+")


@per_text(maxsize=32_768, max_chars=SENTENCE_CHARS)
def _clean_text(text: str) -> str:
    # Source text may carry its own "[3]" footnotes; they must not read as our citations.
    return _SPACES.sub(" ", MARKER.sub("", text)).strip()


def extract_answer(question: str, passages: Sequence[Passage], config: ExtractiveConfig) -> list[str]:
    """The answer as cited sentences, plus a note where the sources disagree; [REFUSAL] if none."""
    ranked = score_sentences(question, passages, config)
    picks = select(question, passages, ranked, config)
    if not picks:
        return [REFUSAL]
    lead = lead_line(question, picks[0].text, picks[0].marker)  # answer first, where it is one typed span
    # Then the clause that states it; the whole sentence stays the citation's quote. A lead chosen
    # among several candidates may be the wrong one: the sentence is then cut after the last of them.
    sole = lead_spans(question, picks[0].text) if lead is not None else []
    if sole:
        picks[0].text = clause_around(picks[0].text, sole)
    else:
        picks[0].text = clause_answering(picks[0].text, question)
    out = [f"{_with_period(p.text)} {p.marker}".strip() for p in picks]
    if lead is not None:
        out = [lead] + out
    return out + disagreement_notes(question, passages, ranked, picks)


# A retrieved sentence is compared with the answer only if it answers the question about as well:
# a figure in a sentence about something else is not a disagreement.
DISAGREEMENT_COVERAGE = 0.6


def disagreement_notes(
    question: str, passages: Sequence[Passage], ranked: list[Scored], picks: list[Pick]
) -> list[str]:
    """Compare the chosen sentences with the retrieved sentences that are about the same things."""
    kind = scoring.analyse_question(question).kind
    numeric = frozenset({"money", "percent", "count"})
    kinds = {"money": numeric, "number": numeric, "date": frozenset({"weekday", "date"})}.get(kind)
    if kinds is None or not ranked:
        return []  # only a question asking for a figure or a day can get a note about one
    floor = DISAGREEMENT_COVERAGE * ranked[0].coverage
    sentence_at = {(r.sentence.passage, r.sentence.position): r.sentence for r in ranked}

    def topic(s: scoring.Sentence | None, text: str) -> str:
        previous = sentence_at.get((s.passage, s.position - 1)) if s is not None else None
        before = _clean(passages, previous) if previous is not None else ""
        return f"{before} {text}"

    pool = [(p.text, p.marker, topic(p.sentence, p.text)) for p in picks]
    for scored in ranked[:12]:
        s = scored.sentence
        if scored.coverage >= floor and not any(s is p.sentence for p in picks):
            text = _clean(passages, s)
            pool.append((text, f"[{s.passage + 1}]", topic(s, text)))
    notes = find_disagreements(pool, kinds)
    chosen = {p.marker for p in picks}
    # Only notes that involve a sentence of the answer: other clashes are not what was asked.
    return [n for n in notes if any(m in n for m in chosen)][:1]


def _with_period(text: str) -> str:
    return text if text[-1:] in ".!?\"”'’)…" else text + "."
