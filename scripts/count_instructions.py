"""Instructions per `RAG.ask` (or per HTTP request through the app), counted by valgrind: a figure
that other processes on the box cannot move.

    python scripts/count_instructions.py                 # ../shared/corpus, the benchmark's question
    python scripts/count_instructions.py --corpus DIR --question "..."
    python scripts/count_instructions.py --http          # also POST /v1/ask and GET /healthz, in process

On a machine shared with other work, CPU time per answer moves by 20-30% from run to run, more
than most single changes gain. Valgrind's callgrind counts the instructions executed instead.
The index is built once, outside valgrind; then, per measure, the script runs itself twice under
callgrind (the two runs side by side), opening that index and answering 10 and 10 + --calls
times, and prints the difference per call, so that start-up cancels out. `--http` sends the
requests through the FastAPI app with httpx's in-process transport (no sockets, no uvicorn: the
client's own work is in the figure, the same for both routes). Needs `valgrind` on PATH (Debian
package `valgrind`); takes a few minutes.
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
MEASURES = {"ask": "RAG.ask", "http_ask": "POST /v1/ask", "http_healthz": "GET /healthz"}


def build(corpus: Path, index_dir: Path) -> None:
    from rag import RAG

    with RAG.open(index_dir) as opened:
        opened.add([corpus])


def run_calls(index_dir: Path, question: str, measure: str, calls: int) -> None:
    from rag import RAG

    with RAG.open(index_dir) as opened:
        if measure == "ask":
            for _ in range(WARM + calls):
                opened.ask(question)
            return
        import asyncio

        import httpx

        from rag.api.app import create_app

        app = create_app(rag=opened)

        async def send(client: httpx.AsyncClient) -> None:
            if measure == "http_ask":
                (await client.post("/v1/ask", json={"question": question})).raise_for_status()
            else:
                (await client.get("/healthz")).raise_for_status()

        async def run() -> None:
            async with app.router.lifespan_context(app):
                app.state.runtime.wait()  # the backend's warm-up, slow under valgrind
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                    for _ in range(WARM):  # both routes warmed, whichever is counted
                        (await client.post("/v1/ask", json={"question": question})).raise_for_status()
                        (await client.get("/healthz")).raise_for_status()
                    for _ in range(calls):
                        await send(client)

        asyncio.run(run())


def start(index_dir: Path, question: str, measure: str, calls: int) -> subprocess.Popen[str]:
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
    ]
    cmd += ["--index", str(index_dir), "--question", question, "--inner", measure, "--calls", str(calls)]
    # Under valgrind the interpreter may not find its virtual environment (nor an editable install
    # of rag): hand it this process's sys.path, the imported rag's checkout first.
    # A fixed hash seed: set iteration order, and so the work done, is the same in both runs.
    path = [str(Path(rag.__file__).resolve().parent.parent), *(p for p in sys.path if p)]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def instructions(proc: subprocess.Popen[str]) -> int:
    _, stderr = proc.communicate()
    found = re.search(r"I\s+refs:\s+([\d,]+)", stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed:\n{stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--calls", type=int, default=50, help="calls counted")
    parser.add_argument("--http", action="store_true", help="also POST /v1/ask and GET /healthz through the app")
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)  # the runs under valgrind
    parser.add_argument("--inner", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner is not None:
        run_calls(args.index, args.question, args.inner, args.calls)
        return 0
    if not args.corpus.exists():
        raise SystemExit(f"{args.corpus} not found; pass --corpus DIR (e.g. rag/sample_corpus)")
    with tempfile.TemporaryDirectory(prefix="rag-count-") as tmp:
        index_dir = Path(tmp) / "index"
        build(args.corpus, index_dir)
        for measure in ["ask", "http_ask", "http_healthz"] if args.http else ["ask"]:
            base = start(index_dir, args.question, measure, 0)
            more = start(index_dir, args.question, measure, args.calls)
            per_call = (instructions(more) - instructions(base)) / args.calls
            print(f"{per_call:,.0f} instructions per {MEASURES[measure]} ({args.corpus}, {args.question!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
