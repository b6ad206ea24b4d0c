"""Measure abstention on the gold sets (sample and shared corpora) and on SQuAD v1.1 dev.

Gold: every question goes through `rag.RAG.ask` (the same path as `rag eval`), scored with
abstention precision, recall, false-abstention rate and STR-EM. SQuAD: index the first half of
the articles (bm25s, top 3 passages), ask every question; the second half's should abstain.

    python scripts/measure_abstention.py                   # dev, both corpora, rule 'full'
    python scripts/measure_abstention.py --split test      # report only; never tune on it
    python scripts/measure_abstention.py --rule before     # the rule before: support score only
    python scripts/measure_abstention.py -v                # why each dev question abstains
    python scripts/measure_abstention.py --squad           # SQuAD, both rules
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from rag.answer import abstain, pipeline, scoring
from rag.config import Settings
from rag.types import Passage

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPORA = {"sample": ROOT / "rag" / "sample_corpus", "shared": SHARED / "corpus"}
METRICS = ("abstention_precision", "abstention_recall", "false_abstention_rate", "str_em")
Rule = Callable[[str, Sequence[Passage], Settings], bool]


def support_before(question: str, passages: Sequence[Passage], settings: Settings) -> bool:
    """The rule before entity and answer-type checks, as it was: weak support alone (0.30),
    possessives not folded ("Microsoft's" did not match "Microsoft")."""
    threshold = settings.answer.abstain_threshold or 0.30
    sentences = scoring.passage_sentences(passages)
    q = scoring.analyse_question(question)
    if not sentences or not q.terms:
        return True
    idf, unseen = scoring.idf_table(sentences)
    best = max(scoring.coverage(q, s.term_set, idf, unseen) for s in sentences)
    missing = q.names - frozenset(t for s in sentences for t in s.term_set)
    if missing:
        best *= 1 - len(missing) / len(q.names)
    return best < threshold


RULES: dict[str, Rule] = {"before": support_before, "full": abstain.should_abstain}


def gold_table(split: str, rule: str, verbose: bool) -> None:
    """One row per corpus: abstention metrics and STR-EM with the chosen rule in the pipeline."""
    from rag import RAG
    from rag.evaluation.gold import load_gold
    from rag.evaluation.runner import run_eval

    gold = load_gold(ROOT / "eval" / "gold" / f"{split}.jsonl")
    pipeline.should_abstain = RULES[rule]  # the pipeline looks the rule up at call time
    print(f"{split} ({len(gold)} questions), rule={rule}")
    print(f"{'corpus':8} {'abst P':>7} {'abst R':>7} {'false abst':>10} {'STR-EM':>7}")
    for name, folder in CORPORA.items():
        if not folder.is_dir():
            print(f"{name:8} (absent: {folder})")
            continue
        with tempfile.TemporaryDirectory() as tmp, RAG.open(Path(tmp) / "index") as rag:
            rag.add([folder])
            result = run_eval(rag, gold, progress=False)
            s = result.summary["all"] if "all" in result.summary else next(iter(result.summary.values()))
            print(f"{name:8} " + " ".join(f"{_pct(s.get(k)):>{w}}" for k, w in zip(METRICS, (7, 7, 10, 7))))
            if verbose:
                _explain(rag, gold, result)


def _explain(rag: object, gold: list, result: object) -> None:
    """Per question: answerable or not, abstained or not, and the reason the full rule gives."""
    from rag.answer.condense import rewrite_follow_up

    for item, record in zip(gold, result.records):
        question = rewrite_follow_up(item.question, item.history) if item.history else item.question
        passages = rag.search(question)
        why = abstain.abstain_reason(question, passages, rag.settings) or ""
        flag = ("ok " if record.abstained != item.answerable else "BAD") + (" ABST" if record.abstained else "     ")
        print(f"   {item.id} {'ans' if item.answerable else 'UNA'} {flag} {abstain.support_score(question, passages):.2f} "
              f"{question[:80]!r} {why}")


def squad_table() -> None:
    """Precision, recall and false abstentions of both rules on SQuAD dev, half the articles indexed."""
    spec = importlib.util.spec_from_file_location("measure_extractive", ROOT / "scripts" / "measure_extractive.py")
    mx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mx)
    if not mx.SQUAD.is_file():
        print(f"SQuAD not found at {mx.SQUAD}", file=sys.stderr)
        return
    passages, questions = mx.load_squad(mx.SQUAD)
    half = max(q["article"] for q in questions) // 2
    retrieved = mx.Retriever([p for p in passages if int(p.doc_id) < half]).top([q["q"] for q in questions])
    outside = [q["article"] >= half for q in questions]
    settings = Settings()
    print(f"SQuAD v1.1 dev: {sum(outside)} out-of-index, {len(outside) - sum(outside)} in-index questions")
    print(f"{'rule':8} {'abst P':>7} {'abst R':>7} {'false abst':>10}")
    for name, rule in RULES.items():
        abstained = [rule(q["q"], ps, settings) for q, ps in zip(questions, retrieved)]
        tp = sum(a and o for a, o in zip(abstained, outside))
        fp = sum(a and not o for a, o in zip(abstained, outside))
        inside = len(outside) - sum(outside)
        print(f"{name:8} {_pct(tp / max(1, tp + fp)):>7} {_pct(tp / max(1, sum(outside))):>7} {_pct(fp / max(1, inside)):>10}")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--rule", choices=sorted(RULES), default="full")
    parser.add_argument("--squad", action="store_true", help="SQuAD instead of the gold sets")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.squad:
        squad_table()
    else:
        gold_table(args.split, args.rule, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
