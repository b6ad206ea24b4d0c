"""Prometheus metrics on a per-app registry, so several apps in one process never collide."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Label values come from a fixed set: a client inventing methods must not create time series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "HTTP request latency, streaming bodies included",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.retrieval = Histogram(
            "rag_retrieval_seconds", "retrieval time per answer", buckets=_LATENCY_BUCKETS, registry=self.registry
        )
        self.generation = Histogram(
            "rag_generation_seconds",
            "generation time per answer, by backend",
            ["backend"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.documents = Gauge("rag_index_documents", "documents in the index", registry=self.registry)
        self.chunks = Gauge("rag_index_chunks", "chunks in the index", registry=self.registry)

    def observe_answer(self, answer: Any) -> None:
        self.retrieval.observe(answer.timings.retrieve_ms / 1000)
        self.generation.labels(answer.backend or "unknown").observe(answer.timings.generate_ms / 1000)

    def render(self, stats: Any | None) -> bytes:
        if stats is not None:
            self.documents.set(stats.documents)
            self.chunks.set(stats.chunks)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Count and time every request under its route template (`/v1/documents/{doc_id:path}`).

    Raw paths would make one time series per document id; unmatched paths share one label, and
    methods outside the standard ones share `other`.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, resolve: Callable[[Scope], str | None] | None = None):
        self.app = app
        self.metrics = metrics
        # Requests rejected before routing (413 on Content-Length) still get their route's label.
        self.resolve = resolve or (lambda scope: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or self.resolve(scope) or "unmatched"
            method = scope.get("method", "")
            method = method if method in KNOWN_METHODS else "other"
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


def route_template(routes: list[Any], scope: Scope) -> str | None:
    """The template of the first route whose pattern matches `scope`'s path, whatever the method."""
    path = scope.get("path", "")
    for route in routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            return route.path
    return None
