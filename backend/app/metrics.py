"""Prometheus metrics of one app instance, on a registry of its own (so several apps in one
process, as in the tests, never share counters), served by a listener of their own on
METRICS_PORT: never on the API port that users reach.

Metrics are per process. The image runs one uvicorn worker (the chart scales with pods, one
worker each), so prometheus_client's multiprocess mode is not needed; running several
workers in one container would make each scrape show one worker's numbers."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from app.loop_pool import LoopPool

# Paths that are not part of the API: probes would dominate the request counts.
PROBE_PATHS = ["/healthz", "/readyz"]
ASSISTANT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)


def _pool_waiting(engine: Engine) -> int:
    """Threads blocked waiting for a pooled connection. SQLAlchemy has no public counter of
    them; its QueuePool waits on a threading.Condition whose waiters CPython keeps in a
    deque. Any other pool (or a change there) reads as 0 instead of failing a scrape."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return 0
    condition = getattr(getattr(pool, "_pool", None), "not_empty", None)
    return len(getattr(condition, "_waiters", ()))


def _pool_in_use(engine: Engine) -> int:
    checkedout = getattr(engine.pool, "checkedout", None)
    return int(checkedout()) if callable(checkedout) else 0


def _loop_pool_stat(loop_pool: LoopPool | None, name: str) -> int:
    """One of psycopg_pool's figures for the loop pool (0 without one, on SQLite)."""
    return 0 if loop_pool is None else loop_pool.stats().get(name, 0)


def _loop_pool_in_use(loop_pool: LoopPool | None) -> int:
    if loop_pool is None:
        return 0
    stats = loop_pool.stats()
    return stats.get("pool_size", 0) - stats.get("pool_available", 0)


class Metrics:
    def __init__(self, engine: Engine, loop_pool: LoopPool | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        Gauge(
            "todo_db_pool_in_use", "Database connections checked out of the pool", registry=r
        ).set_function(lambda: _pool_in_use(engine))
        Gauge(
            "todo_db_pool_waiting", "Threads waiting for a pooled database connection", registry=r
        ).set_function(lambda: _pool_waiting(engine))
        Gauge(
            "todo_db_loop_pool_in_use",
            "Connections of the loop pool (list, offline turns) serving a statement",
            registry=r,
        ).set_function(lambda: _loop_pool_in_use(loop_pool))
        Gauge(
            "todo_db_loop_pool_waiting",
            "Requests waiting for a connection of the loop pool",
            registry=r,
        ).set_function(lambda: _loop_pool_stat(loop_pool, "requests_waiting"))
        self.chat_turns = Counter(
            "todo_chat_turns_total",
            "Chat turns by assistant (gemini, offline) and outcome",
            ["assistant", "outcome"],
            registry=r,
        )
        self.assistant_latency = Histogram(
            "todo_assistant_latency_seconds",
            "Time the assistant took to answer one chat turn (including its tool calls)",
            buckets=ASSISTANT_BUCKETS,
            registry=r,
        )
        self.assistant_failures = Counter(
            "todo_assistant_failures_total",
            "Failed assistant answers by reason",
            ["reason"],
            registry=r,
        )
        # The names, labels and buckets of prometheus-fastapi-instrumentator's defaults, which
        # served them before, observed in the access-log middleware, which knows the route
        # already: the instrumentator's own middleware and route lookup cost about a tenth of
        # a list request's CPU (profiled with py-spy).
        self.requests = Counter(
            "http_requests_total",
            "Requests answered, by route template, method and status",
            ["handler", "method", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request, by route template and method",
            ["handler", "method"],
            buckets=(0.1, 0.5, 1),
            registry=r,
        )
        self.rejected = Counter(
            "todo_requests_rejected_total",
            "Requests the app refused before doing their work, by reason",
            ["reason"],
            registry=r,
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def reject(self, reason: str) -> None:
        self.rejected.labels(reason).inc()

    def observe_request(self, route: str | None, method: str, status: int, seconds: float) -> None:
        """One answered request (AccessLogMiddleware calls it), by route template
        (`/api/todos/{todo_id}`, "none" when no route matched); probes are left out."""
        if route in PROBE_PATHS:
            return
        handler = route or "none"
        self.requests.labels(handler, method, str(status)).inc()
        self.request_seconds.labels(handler, method).observe(seconds)

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        try:
            self._server, self._thread = start_http_server(port, addr, registry=self.registry)
        except OSError as err:
            raise RuntimeError(
                f"METRICS_PORT {port}: cannot listen ({err.strerror}); choose a free port, "
                "or set METRICS_PORT=0 to turn metrics off"
            ) from None

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


GEMINI_FAILURE_REASONS = {429: "rate_limited", 504: "timeout", 502: "upstream_error"}


def failure_reason(status: int) -> str:
    return GEMINI_FAILURE_REASONS.get(status, "error")
