"""Subprocess entry: `python -m rag.bench.worker TASK ARGS_JSON OUT_FILE` runs one task, writes JSON.

A process per task makes `ru_maxrss` that task's own peak memory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _tasks() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    from rag.bench.ann_suite import run_ann
    from rag.bench.ask_suite import run_sample, run_squad
    from rag.bench.postgres_suite import run_postgres
    from rag.bench.size_suite import run_size
    from rag.bench.squad_suite import run_distinct

    return {
        "size": run_size,
        "ann": run_ann,
        "sample": run_sample,
        "squad": run_squad,
        "postgres": run_postgres,
        "squad_distinct": run_distinct,
    }


def main(argv: list[str]) -> int:
    task, args, out = argv[0], json.loads(argv[1]), Path(argv[2])
    result = _tasks()[task](args)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
