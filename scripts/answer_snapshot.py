"""Write every answer rag gives to the gold questions (and a SQuAD sample) as JSON lines.

Speed work must not change a single answer: run this before and after a change (on either
checkout, e.g. `PYTHONPATH=/tmp/before python scripts/answer_snapshot.py --out before.jsonl`)
and compare the two files byte for byte (`cmp before.jsonl after.jsonl`). Run both with
PYTHONHASHSEED=0: focus scores sum over a set of terms, so their last bits follow the hash seed.

Corpora: eval/gold dev+test over the bundled sample corpus and over ../shared/corpus (when
present), and the first --squad questions of SQuAD v1.1 dev over their articles' paragraphs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rag import RAG
from rag.engine import sample_corpus_dir
from rag.types import Document

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def gold_questions() -> list[dict]:
    rows = []
    for name in ("dev.jsonl", "test.jsonl"):
        for line in (ROOT / "eval" / "gold" / name).read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def squad_sample(limit: int) -> tuple[list[Document], list[dict]]:
    path = SHARED / "bench" / "squad-v1.1" / "dev-v1.1.json"
    if limit <= 0 or not path.is_file():
        return [], []
    docs, questions = [], []
    for article in json.loads(path.read_text())["data"]:
        for n, paragraph in enumerate(article["paragraphs"]):
            docs.append(Document(id=f"{article['title']}-{n}", text=paragraph["context"], title=article["title"]))
            questions += [{"id": qa["id"], "question": qa["question"]} for qa in paragraph["qas"]]
        if len(questions) >= limit:
            break
    return docs, questions[:limit]


def record(rag: RAG, corpus: str, row: dict) -> dict:
    answer = rag.ask(row["question"], history=row.get("history"))
    # Everything but the timings: text, citations, passages and scores, notes, abstention.
    return {"corpus": corpus, "id": row["id"], **answer.model_dump(mode="json", exclude={"timings"})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--squad", type=int, default=300, help="SQuAD dev questions to answer (0: none)")
    args = parser.parse_args()
    corpora: list[tuple[str, list, list[dict]]] = [("sample", [sample_corpus_dir()], gold_questions())]
    if (SHARED / "corpus").is_dir():
        corpora.append(("shared", [SHARED / "corpus"], gold_questions()))
    docs, questions = squad_sample(args.squad)
    if docs:
        corpora.append(("squad", docs, questions))
    with args.out.open("w") as out:
        for name, items, rows in corpora:
            with RAG.open(Path(tempfile.mkdtemp()) / "index") as rag:
                rag.add(items)
                for row in rows:
                    out.write(json.dumps(record(rag, name, row), ensure_ascii=False, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
