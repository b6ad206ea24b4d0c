"""A writer process for the cross-process store tests: `python -m tests.store.writer_child INDEX NAME N [hang]`.

Writes N one-chunk documents NAME-0..NAME-(N-1), one commit each. With `hang`, the first commit
stops inside its catalog transaction (segment files published, lock held) and prints "holding",
so the test can kill -9 a writer at its worst moment.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rag.store import catalog as catalog_module

from .conftest import make_doc, open_store


def main(argv: list[str]) -> None:
    index, name, count = Path(argv[0]), argv[1], int(argv[2])
    if len(argv) > 3 and argv[3] == "hang":
        def hang(_where: str) -> None:
            print("holding", flush=True)
            time.sleep(3600)

        catalog_module._fail_point = hang
    store = open_store(index, lock_timeout=60)
    for i in range(count):
        store.write([make_doc(f"{name}-{i}", [f"{name} document number {i} zebra"], seed=hash((name, i)) % 10_000)])
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
