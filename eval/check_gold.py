"""Validate the gold question sets and check that their answers occur in their sources.

Usage (from the repository root):

    python eval/check_gold.py [--shared ../shared/corpus] [--sample rag/sample_corpus]

For every row of eval/gold/dev.jsonl and eval/gold/test.jsonl it checks the fields, and for
every answerable question it reports, per listed source file that exists locally, whether at
least one answer string occurs in that file as whole tokens (after the same normalisation the
scorer uses: lowercase, no ASCII punctuation, no articles, collapsed whitespace). Exits 1 on any problem.

Rules: for "single" and "followup" questions every listed source must contain an answer; a
"multi" question combines facts from several documents, so it is enough that an answer occurs
in some listed sample article and in some listed shared article (a source without one is only
reported with -v); for "disagreement" questions every answer value must occur in some listed
source.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from rag.evaluation.metrics import normalize_answer

ROOT = Path(__file__).resolve().parent.parent
TYPES = {"single", "multi", "disagreement", "followup", "unanswerable"}
# The scorer's own normalisation, and its test: the answer's tokens occur as a contiguous run.
normalize = normalize_answer


def occurs(answer: str, text: str) -> bool:
    """Whether normalised `answer` occurs in normalised `text` on token boundaries."""
    return bool(answer) and f" {answer} " in f" {text} "


def strip_unicode_punct(text: str) -> str:
    """Also drop non-ASCII punctuation (curly quotes, dashes) that the scorer keeps."""
    return " ".join("".join(c for c in text if not unicodedata.category(c).startswith("P")).split())


def validate(row: dict, where: str) -> list[str]:
    problems = []
    for field, kind in (("id", str), ("question", str), ("answers", list), ("answerable", bool),
                        ("sources", list), ("type", str)):
        if not isinstance(row.get(field), kind):
            problems.append(f"{where}: field {field!r} missing or not {kind.__name__}")
    if problems:
        return problems
    if row["type"] not in TYPES:
        problems.append(f"{where}: unknown type {row['type']!r}")
    if row["answerable"] != (row["type"] != "unanswerable"):
        problems.append(f"{where}: answerable must be false exactly for type 'unanswerable'")
    if row["answerable"] and not (row["answers"] and row["sources"]):
        problems.append(f"{where}: answerable question needs answers and sources")
    if not row["answerable"] and (row["answers"] or row["sources"]):
        problems.append(f"{where}: unanswerable question must have empty answers and sources")
    if row["type"] == "disagreement" and len(row["answers"]) < 2:
        problems.append(f"{where}: disagreement question must list both values")
    history = row.get("history")
    if row["type"] == "followup":
        if not (isinstance(history, list) and history
                and all(isinstance(m, dict) and m.get("role") in ("user", "assistant")
                        and isinstance(m.get("content"), str) for m in history)):
            problems.append(f"{where}: followup needs a history of {{role, content}} messages")
    elif history is not None:
        problems.append(f"{where}: only followup questions carry a history")
    for answer in row["answers"]:
        if not isinstance(answer, str) or not normalize(answer):
            problems.append(f"{where}: empty or non-string answer {answer!r}")
        elif len(answer.split()) > 5:
            problems.append(f"{where}: answer longer than 5 words: {answer!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold")
    parser.add_argument("--sample", type=Path, default=ROOT / "rag" / "sample_corpus")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every check, not only failures")
    args = parser.parse_args(argv)

    texts: dict[str, str] = {}
    corpus_of: dict[str, str] = {}
    for corpus, folder in (("sample", args.sample), ("shared", args.shared)):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in (".md", ".txt") and path.name != "README.md":
                    texts[path.name] = normalize(path.read_text(encoding="utf-8"))
                    corpus_of[path.name] = corpus
        else:
            print(f"note: {folder} not found; its sources are skipped")

    problems: list[str] = []
    warnings: list[str] = []
    seen_ids: set[str] = set()
    types: Counter[tuple[str, str]] = Counter()
    checked = missing = 0
    # shared-*.jsonl: near-miss questions about the shared articles only (used when ../shared exists).
    for split in ("dev", "test", "shared-dev", "shared-test"):
        path = args.gold / f"{split}.jsonl"
        if split.startswith("shared") and not path.is_file():
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: not JSON ({exc})")
                continue
            row_problems = validate(row, where)
            problems += row_problems
            if row_problems:
                continue
            if row["id"] in seen_ids:
                problems.append(f"{where}: duplicate id {row['id']}")
            seen_ids.add(row["id"])
            types[(split, row["type"])] += 1
            answers = [normalize(a) for a in row["answers"]]
            found_in: dict[str, set[str]] = {"sample": set(), "shared": set()}
            for source in row["sources"]:
                text = texts.get(source)
                if text is None:
                    missing += 1
                    continue
                checked += 1
                hits = [a for a in answers if occurs(a, text)]
                found_in[corpus_of[source]].update(hits)
                loose = [a for a in answers if occurs(a, strip_unicode_punct(text))]
                if not hits and loose:
                    warnings.append(f"{row['id']}: {loose[0]!r} occurs in {source} only once curly quotes or "
                                    "other non-ASCII punctuation are dropped (the scorer keeps them)")
                    found_in[corpus_of[source]].update(loose)
                    hits = loose
                if hits:
                    if args.verbose:
                        print(f"ok   {row['id']}: {hits[0]!r} in {source}")
                elif row["type"] in ("single", "followup"):
                    problems.append(f"{row['id']}: no answer {row['answers']} occurs in {source}")
                elif args.verbose:
                    print(f"--   {row['id']}: no answer in {source} (allowed for {row['type']})")
            if row["answerable"] and not any(s in texts for s in row["sources"]):
                problems.append(f"{row['id']}: none of its sources is available locally")
            for corpus in ("sample", "shared"):
                listed = [s for s in row["sources"] if corpus_of.get(s) == corpus]
                if not listed:
                    continue
                if row["type"] == "multi" and not found_in[corpus]:
                    problems.append(f"{row['id']}: no answer occurs in any listed {corpus} source")
                if row["type"] == "disagreement":
                    absent = [a for a in answers if a not in found_in[corpus]]
                    if absent:
                        problems.append(f"{row['id']}: values {absent} occur in no listed {corpus} source")

    print("questions by split and type:")
    for split in ("dev", "test"):
        counts = {t: types[(split, t)] for t in sorted(TYPES)}
        print(f"  {split:4s} {sum(counts.values()):3d}  " + "  ".join(f"{t}={n}" for t, n in counts.items()))
    print(f"source checks: {checked} passed or failed below, {missing} skipped (file not present)")
    for warning in warnings:
        print("WARN", warning)
    for problem in problems:
        print("FAIL", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
