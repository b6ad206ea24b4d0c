"""Probes and metrics: /healthz (open), /readyz (open: it reveals only counts), /metrics (keyed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from rag.api.deps import MetricsDep, RuntimeDep, ready_rag, require_api_key
from rag.api.errors import ErrorBody
from rag.api.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (says nothing about the index)."""
    # A coroutine, not a thread-pool function: a pool busy with answers must not delay the probe.
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses={503: {"model": ErrorBody}})
async def readyz(runtime: RuntimeDep) -> Ready:
    """The index is open and the LLM backend loaded; 503 until then (or when loading failed)."""
    rag = await ready_rag(runtime)
    stats = await run_in_threadpool(rag.stats)
    return Ready(
        status="ready",
        documents=stats.documents,
        chunks=stats.chunks,
        embedder=stats.embedder,
        llm=runtime.settings.llm.backend,
    )


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(require_api_key)],
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}, 401: {"model": ErrorBody}},
)
async def metrics(runtime: RuntimeDep, metrics: MetricsDep) -> Response:
    """Prometheus text format: requests and latency per route, answer timings, index size."""
    stats = await run_in_threadpool(runtime.rag.stats) if runtime.ready.is_set() and runtime.rag else None
    return Response(metrics.render(stats), media_type=CONTENT_TYPE_LATEST)
