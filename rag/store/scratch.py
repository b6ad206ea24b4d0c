"""A throwaway index for evaluations and benchmarks: a temp folder, or a temporary PostgreSQL index."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from rag.config import Settings


@contextlib.contextmanager
def scratch_settings(settings: Settings, prefix: str = "rag-eval-") -> Iterator[Settings]:
    """`settings` pointed at an empty index that is removed on exit; the configured index is never touched."""
    if not settings.store.is_postgres:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield settings.model_copy(update={"index_dir": Path(folder)})
        return
    from rag.store.postgres.admin import drop_index

    name = f"scratch_{uuid.uuid4().hex[:12]}"
    store = settings.store.model_copy(update={"name": name})
    try:
        yield settings.model_copy(update={"store": store})
    finally:
        drop_index(store)
