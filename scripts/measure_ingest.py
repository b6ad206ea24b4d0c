"""Ingest the ~12k distinct SQuAD documents (as `rag bench --only squad` does) and print wall time
and the CPU seconds of the parent and of its worker processes, as one JSON line.

Run: python scripts/measure_ingest.py [--squad PATH] [--index DIR]
On a shared machine wall time follows the other users' load; CPU seconds do not much. To compare
with another checkout, run its copy of `rag` in the same session, alternating:
    git archive main | tar -x -C /tmp/main
    PYTHONPATH=/tmp/main python scripts/measure_ingest.py
(`rag` comes from PYTHONPATH, since this script's folder holds no `rag`.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import rag
from rag import RAG
from rag.bench.squad_suite import distinct_documents

SQUAD = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "squad-v1.1" / "dev-v1.1.json"


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--index", type=Path, help="index folder, emptied first (default: a temporary one)")
    args = parser.parse_args()
    docs, _ = distinct_documents(args.squad)
    folder = args.index or Path(tempfile.mkdtemp(prefix="measure-ingest-"))
    shutil.rmtree(folder, ignore_errors=True)
    with RAG.open(folder) as index:
        load = os.getloadavg()[0]
        parent, workers = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        report = index.add(docs)
        wall = time.perf_counter() - started
        parent = cpu_seconds(resource.RUSAGE_SELF) - parent
        workers = cpu_seconds(resource.RUSAGE_CHILDREN) - workers  # counted once they have exited
    if args.index is None:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "rag": str(Path(rag.__file__).parent),
        "docs": len(docs),
        "chunks": report.chunks_added,
        "wall_s": round(wall, 3),
        "docs_per_s": round(len(docs) / wall),
        "cpu_parent_s": round(parent, 2),
        "cpu_workers_s": round(workers, 2),
        "cpu_s": round(parent + workers, 2),
        "load_before": round(load, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
