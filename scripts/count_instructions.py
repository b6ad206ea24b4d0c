"""Instructions per `RAG.ask`, counted by valgrind: a figure that other processes on the box cannot move.

    python scripts/count_instructions.py                 # ../shared/corpus, the benchmark's question
    python scripts/count_instructions.py --corpus DIR --question "..."

On a machine shared with other work, CPU time per answer moves by 20-30% from run to run, more
than most single changes gain. Valgrind's callgrind counts the instructions executed instead.
The script runs itself twice under callgrind, with 10 and with 10 + --calls answers after the
index is built, and prints the difference per answer, so that start-up and indexing cancel out.
Needs `valgrind` on PATH (Debian package `valgrind`); takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import rag

SHARED_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
QUESTION = "How much will Microsoft invest in Japan?"  # the one `rag bench --serve` asks
WARM = 10


def answer(corpus: Path, question: str, calls: int) -> None:
    from rag import RAG

    with RAG.open(Path(tempfile.mkdtemp()) / "index") as rag:
        rag.add([corpus])
        for _ in range(WARM + calls):
            rag.ask(question)


def instructions(corpus: Path, question: str, calls: int) -> int:
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
    ]
    cmd += ["--corpus", str(corpus), "--question", question, "--inner", str(calls)]
    # Under valgrind the interpreter may not find its virtual environment (nor an editable install
    # of rag): hand it this process's sys.path, the imported rag's checkout first.
    # A fixed hash seed: set iteration order, and so the work done, is the same in both runs.
    path = [str(Path(rag.__file__).resolve().parent.parent), *(p for p in sys.path if p)]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join(path)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--calls", type=int, default=50, help="answers counted")
    parser.add_argument("--inner", type=int, default=None, help=argparse.SUPPRESS)  # the run under valgrind
    args = parser.parse_args()
    if args.inner is not None:
        answer(args.corpus, args.question, args.inner)
        return 0
    if not args.corpus.exists():
        raise SystemExit(f"{args.corpus} not found; pass --corpus DIR (e.g. rag/sample_corpus)")
    base = instructions(args.corpus, args.question, 0)
    more = instructions(args.corpus, args.question, args.calls)
    print(f"{(more - base) / args.calls:,.0f} instructions per RAG.ask ({args.corpus}, {args.question!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
