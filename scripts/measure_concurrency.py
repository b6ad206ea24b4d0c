"""Measure cross-process index use: write throughput with 1 vs N writer processes, the delay until
another process sees a commit, and what the per-request freshness check costs a search.

Run: python scripts/measure_concurrency.py [--docs 48] [--writers 4] [--commits 10] [--searches 400]
Uses the hashing embedder and synthetic documents in a temporary folder; prints ratios against
baselines measured in the same run, as the project's benchmarks do.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import tempfile
import time
from pathlib import Path

WORDS = ("harbour ferry tower canal bridge signal keeper storm ledger tide pier crane beacon lock quay "
         "dock mast sail rope anchor buoy chart compass lantern cargo hull deck wharf gale reef").split()


def document_text(tag: str, i: int) -> str:
    # A marker word per document so each is searchable on its own; the rest is seeded word salad.
    rng = random.Random(f"{tag}{i}")
    body = " ".join(rng.choice(WORDS) for _ in range(180))
    return f"Report {tag}{i}: the {tag}marker{i} entry. {body}"


def _open(index: Path):  # type: ignore[no-untyped-def]
    from rag.config import Settings
    from rag.engine import RAG

    return RAG.open(index, Settings(ingest={"workers": 1}))


def _writer(index: str, tag: str, count: int, ready: mp.Queue, start: mp.Event) -> None:  # type: ignore[valid-type]
    from rag.types import Document

    rag = _open(Path(index))
    rag.add(Document(id=f"{tag}-warm", text=document_text(tag, -1)))  # imports and first-use costs out of the timing
    ready.put(tag)
    start.wait()
    for i in range(count):  # one commit per document, as API uploads arrive
        rag.add(Document(id=f"{tag}-{i}", text=document_text(tag, i)))
    rag.close()


def write_throughput(root: Path, docs: int, writers: int) -> float:
    """Documents per second when `writers` processes share `docs` one-document commits."""
    index = root / f"w{writers}"
    _open(index).close()
    start, ready = mp.Event(), mp.Queue()
    procs = [mp.Process(target=_writer, args=(str(index), f"p{w}x", docs // writers, ready, start))
             for w in range(writers)]
    for proc in procs:
        proc.start()
    for _ in procs:  # every process has opened the index, written once, and waits at the start line
        ready.get(timeout=300)
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - began
    rag = _open(index)
    stored = rag.stats().documents - writers  # less the warm-up documents
    rag.close()
    assert stored == docs // writers * writers, f"lost documents: {stored}"
    return stored / elapsed


def _commit_loop(index: str, commits: int, ready: mp.Event, go: mp.Event, stamps: mp.Queue) -> None:  # type: ignore[valid-type]
    from rag.types import Document

    rag = _open(Path(index))
    ready.set()
    go.wait()
    for i in range(commits):
        time.sleep(0.3)
        rag.add(Document(id=f"seen-{i}", text=document_text("seen", i)))
        stamps.put((i, time.time()))
    rag.close()


def visibility_delays(root: Path, commits: int) -> list[float]:
    """Milliseconds from a commit returning in one process to a search in this process finding it."""
    index = root / "visibility"
    reader = _open(index)
    ready, go, stamps = mp.Event(), mp.Event(), mp.Queue()
    writer = mp.Process(target=_commit_loop, args=(str(index), commits, ready, go, stamps))
    writer.start()
    ready.wait()
    go.set()
    delays = []
    for i in range(commits):
        while not any(p.doc_id == f"seen-{i}" for p in reader.search(f"seenmarker{i}", 3, mode="lexical")):
            pass  # search continuously, as a busy worker would
        found = time.time()
        _, committed = stamps.get(timeout=60)
        delays.append(max(found - committed, 0.0) * 1000)
    writer.join()
    reader.close()
    return delays


def search_costs(root: Path, searches: int) -> dict[str, float]:
    """Search p50 with the per-request freshness check and with it switched off, interleaved in blocks."""
    from rag.engine import sample_corpus_dir
    from rag.types import Document

    rag = _open(root / "search")
    rag.add([sample_corpus_dir()])
    rag.add([Document(id=f"s-{i}", text=document_text("s", i)) for i in range(300)])
    queries = ["How much will Microsoft invest in Japan?", "harbour ferry keeper", "AI training 3 million",
               "signal tower storm ledger"]
    store, real_refresh = rag.store, rag.store.refresh
    timings: dict[str, list[float]] = {"with_check": [], "without_check": []}
    for block in range(searches // 20):
        for mode in ("with_check", "without_check") if block % 2 else ("without_check", "with_check"):
            store.refresh = real_refresh if mode == "with_check" else (lambda: False)
            for q in range(20):
                began = time.perf_counter()
                rag.search(queries[q % len(queries)], 5)
                timings[mode].append((time.perf_counter() - began) * 1000)
    store.refresh = real_refresh
    began = time.perf_counter()
    for _ in range(10_000):
        store.refresh()
    check_ms = (time.perf_counter() - began) / 10_000 * 1000
    rag.close()
    return {"with_check_p50": statistics.median(timings["with_check"]),
            "without_check_p50": statistics.median(timings["without_check"]), "check_ms": check_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=48, help="one-document commits per throughput run")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--commits", type=int, default=10, help="commits timed for the visibility delay")
    parser.add_argument("--searches", type=int, default=400)
    args = parser.parse_args()
    mp.set_start_method("spawn")
    with tempfile.TemporaryDirectory(prefix="rag-concurrency-") as tmp:
        root = Path(tmp)
        one = write_throughput(root, args.docs, 1)
        many = write_throughput(root, args.docs, args.writers)
        print(f"write throughput, 1 writer process:  {one:7.1f} docs/s (one commit per document)")
        print(f"write throughput, {args.writers} writer processes: {many:7.1f} docs/s  ({many / one:.2f}x of 1 writer)")
        delays = visibility_delays(root, args.commits)
        print(f"commit -> visible in another process: median {statistics.median(delays):.2f} ms, "
              f"max {max(delays):.2f} ms over {len(delays)} commits")
        costs = search_costs(root, args.searches)
        overhead = costs["with_check_p50"] - costs["without_check_p50"]
        print(f"freshness check alone: {costs['check_ms'] * 1000:.1f} us per call")
        print(f"search p50 with check {costs['with_check_p50']:.3f} ms, without {costs['without_check_p50']:.3f} ms "
              f"(difference {overhead:+.3f} ms, ratio {costs['with_check_p50'] / costs['without_check_p50']:.3f})")


if __name__ == "__main__":
    main()
