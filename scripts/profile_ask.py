"""Profile `RAG.ask` in process: p50 latency, then cProfile's top entries over repeated questions.

    python scripts/profile_ask.py                      # ../shared/corpus, else the sample corpus
    python scripts/profile_ask.py --corpus DIR --calls 200 --top 40 --sort tottime
    python scripts/profile_ask.py --http               # CPU per request through the app, in process

The index is built in a temporary folder; the questions cycle so that each is asked many
times, as a server sees them. Latencies are measured without the profiler attached.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rag import RAG
from rag.engine import sample_corpus_dir

SHARED_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
QUESTIONS = (
    "How much will Microsoft invest in Japan?",
    "Who is the CEO of Oracle?",
    "What is GENIAC?",
    "How many people will be trained in AI skills?",
)


def http_cpu(rag: RAG, calls: int) -> str:
    """CPU time (all threads) per POST /v1/ask through the ASGI app, beside RAG.ask and GET /healthz:
    what the HTTP layer adds, without a server process or the machine's scheduling in the figure."""
    import httpx

    from rag.api.app import create_app

    app = create_app(rag=rag)
    body = {"question": QUESTIONS[0]}

    async def run() -> list[float]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                for _ in range(20):
                    await client.post("/v1/ask", json=body)
                marks = [time.process_time()]
                for _ in range(calls):
                    await client.post("/v1/ask", json=body)
                marks.append(time.process_time())
                for _ in range(calls):
                    rag.ask(body["question"])
                marks.append(time.process_time())
                for _ in range(calls):
                    await client.get("/healthz")
                marks.append(time.process_time())
                return [(b - a) / calls * 1000 for a, b in zip(marks, marks[1:])]

    ask, direct, health = asyncio.run(run())
    return f"CPU per request: POST /v1/ask {ask:.2f} ms, RAG.ask {direct:.2f} ms, GET /healthz {health:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else sample_corpus_dir())
    parser.add_argument("--calls", type=int, default=100, help="profiled calls")
    parser.add_argument("--top", type=int, default=30, help="entries printed")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key: cumulative, tottime, ...")
    parser.add_argument("--http", action="store_true", help="also the CPU per request through the HTTP app")
    args = parser.parse_args()
    with RAG.open(Path(tempfile.mkdtemp()) / "index") as rag:
        rag.add([args.corpus])
        if args.http:
            print(http_cpu(rag, args.calls))
        for question in QUESTIONS:  # warm: models, caches, lazy imports
            rag.ask(question)
        latencies = []
        for i in range(max(40, args.calls)):
            started = time.perf_counter()
            rag.ask(QUESTIONS[i % len(QUESTIONS)])
            latencies.append((time.perf_counter() - started) * 1000)
        print(
            f"corpus {args.corpus}: RAG.ask p50 {statistics.median(latencies):.2f} ms, "
            f"p90 {statistics.quantiles(latencies, n=10)[-1]:.2f} ms over {len(latencies)} calls"
        )
        profile = cProfile.Profile()
        profile.enable()
        for i in range(args.calls):
            rag.ask(QUESTIONS[i % len(QUESTIONS)])
        profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
