"""`serve`: run the HTTP service with uvicorn (what `rag serve` calls)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from rag.config import Settings

log = logging.getLogger(__name__)


def serve(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    *,
    log_level: str = "info",
) -> None:
    """Serve until interrupted; host/port/workers default to `settings.server`, workers to `default_workers`.

    One worker runs the app in this process. Several workers each build their own app from the
    same settings (handed over in the environment) through `rag.api.asgi:app`; the index is
    created here first so the workers never race to build it.
    """
    import uvicorn

    settings = settings or Settings()
    host = host or settings.server.host
    port = port if port is not None else settings.server.port
    workers = workers or settings.server.workers or default_workers(settings)
    log.info("serving on http://%s:%s with %d worker process%s", host, port, workers, "" if workers == 1 else "es")
    if workers <= 1:
        from rag.api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
        return
    _prepare_index(settings)
    from rag.api.asgi import SETTINGS_ENV

    os.environ[SETTINGS_ENV] = json.dumps(_plain(settings))
    # Each worker keeps its own /metrics registry; scrape them through one worker at a time.
    uvicorn.run("rag.api.asgi:app", factory=True, host=host, port=port, workers=workers, log_level=log_level)


def default_workers(settings: Settings) -> int:
    """One worker process per CPU core this process may use.

    Both stores are safe across processes (the index folder: writes take its lock, reads see each
    commit; PostgreSQL: transactions), so answering scales with cores. A local transformers model would be loaded once per worker,
    though: with that backend the default stays at one.
    """
    if settings.llm.backend == "transformers":
        return 1
    return available_cores()


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, as in a container), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows: no affinity masks
        return max(1, os.cpu_count() or 1)


def _prepare_index(settings: Settings) -> None:
    from rag.api.state import _open_rag

    _open_rag(settings).close()


def _plain(value: Any) -> Any:
    """Settings as plain JSON values, secrets revealed (they go to our own child processes only)."""
    if isinstance(value, Settings) or hasattr(value, "model_dump"):
        return {key: _plain(getattr(value, key)) for key in type(value).model_fields}
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
