"""Prometheus metrics and the status endpoints every process serves.

Each process builds one `Metrics` (its own `CollectorRegistry`, never the global one, so tests
and `newsbot run`, which hosts the web side and a worker in one process, never collide) and
hands it to what it runs: the dispatcher, the job consumer and the WSGI app record into it.
Counters and histograms are recorded as things happen; the backlog gauges (reminders due and
scheduled, jobs queued and pending, whether Redis answers) are read from Redis at scrape time
by `StoreCollector`, so they are true for the whole deployment whichever process is scraped
(aggregate them with `max`, not `sum`).

Recording never raises: a metrics failure is logged once and the post or request goes on.

`status_app` serves `/healthz` (liveness: the process works, no Redis call), `/readyz`
(readiness: it can take work now) and `/metrics`; `StatusServer` runs it on its own port in a
daemon thread for processes without a web server of their own (the worker).
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from socketserver import TCPServer, ThreadingMixIn
from typing import Any, ParamSpec, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from bot.model import Event
from bot.store import JOBS_STREAM, RedisStore

log = structlog.get_logger(__name__)

# A reminder posted more than this after its planned time counts in
# `newsbot_reminders_late_total`. Dispatch ticks every second and paces a channel to a post a
# second, so a minute late means a real backlog or an outage, not ordinary jitter.
LATE_AFTER_SECONDS = 60.0

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
EXTRACTION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

# Label values come from this list or become "other", so a stray job type on the stream or a
# new request shape cannot grow the number of series without bound.
JOB_KINDS = frozenset({"track_text", "summarize_thread", "ingest_url", "add_feed"})
REQUEST_TYPES = frozenset({"command", "interaction", "event"})

Extractor = Callable[[str, date | datetime, str | None], list[Event]]
Check = Callable[[], str | None]  # None when fine, else a short reason for the probe's body

P = ParamSpec("P")


def _never_raises(method: Callable[P, None]) -> Callable[P, None]:
    """Recording is best effort: log the first failure of each kind, never propagate it."""
    failed = threading.Event()

    @functools.wraps(method)
    def record(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            method(*args, **kwargs)
        except Exception:  # the metrics edge: a post or a request must go on regardless
            if not failed.is_set():
                failed.set()
                log.exception("metrics_record_failed", metric=method.__name__)

    return record


def _bounded(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


class Metrics:
    """The metrics of one process, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = CollectorRegistry() if registry is None else registry
        self._watching = False
        self._watch_lock = threading.Lock()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        reg = self.registry
        self.reminders_posted = Counter(
            "newsbot_reminders_posted", "Alerts this process posted to Slack, by reminder kind.",
            ["kind"], registry=reg,
        )  # fmt: skip
        self.reminders_failed = Counter(
            "newsbot_reminders_failed", "Reminders given up on (permanent error or too many attempts).",
            registry=reg,
        )  # fmt: skip
        self.reminders_retried = Counter(
            "newsbot_reminders_retried",
            "Reminders put back for a later try (rate limit, server error, crash).",
            registry=reg,
        )
        self.reminders_recovered = Counter(
            "newsbot_reminders_recovered",
            "Reminders found already posted (by metadata) after a lost lease or a retry.",
            registry=reg,
        )
        self.reminders_skipped = Counter(
            "newsbot_reminders_skipped",
            "Reminders not posted because they were due too long ago (stale after an outage).",
            registry=reg,
        )
        self.reminders_late = Counter(
            "newsbot_reminders_late",
            f"Alerts posted more than {LATE_AFTER_SECONDS:.0f} s after their planned time.",
            registry=reg,
        )
        self.reminder_lateness = Histogram(
            "newsbot_reminder_lateness_seconds",
            "Time from a reminder's planned time to its post.",
            buckets=LATENESS_BUCKETS, registry=reg,
        )  # fmt: skip
        self.jobs = Counter(
            "newsbot_jobs", "Jobs from the stream this process finished, by type and outcome.",
            ["kind", "outcome"], registry=reg,
        )  # fmt: skip
        self.job_seconds = Histogram(
            "newsbot_job_seconds", "Time to run one job, by type.", ["kind"],
            buckets=JOB_BUCKETS, registry=reg,
        )  # fmt: skip
        self.articles_extracted = Counter(
            "newsbot_articles_extracted", "Articles whose events were extracted.", registry=reg
        )
        self.extraction_seconds = Histogram(
            "newsbot_extraction_seconds",
            "Time in event extraction (spaCy) per article, refused texts included.",
            buckets=EXTRACTION_BUCKETS, registry=reg,
        )  # fmt: skip
        self.ack_seconds = Histogram(
            "newsbot_ack_seconds",
            "Time from a request to /slack/events reaching the app to its response, by type.",
            ["type"], buckets=ACK_BUCKETS, registry=reg,
        )  # fmt: skip
        self.draining = Gauge(
            "newsbot_draining", "1 while the process finishes its work before exiting.",
            registry=reg,
        )  # fmt: skip

    def watch(self, store: RedisStore, now: Callable[[], datetime] | None = None) -> None:
        """Report the Redis backlog gauges at scrape time (once per registry)."""
        with self._watch_lock:
            if self._watching:
                return
            self.registry.register(StoreCollector(store, now))
            self._watching = True

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    # ---------------------------------------------------------------- recording

    @_never_raises
    def reminder_posted(self, kind: str, planned: datetime, posted: datetime) -> None:
        lateness = max((posted - planned).total_seconds(), 0.0)
        self.reminders_posted.labels(kind=kind).inc()
        self.reminder_lateness.observe(lateness)
        if lateness > LATE_AFTER_SECONDS:
            self.reminders_late.inc()

    @_never_raises
    def reminder_finished(self, outcome: str) -> None:
        """Outcomes other than a post of ours (see `bot.dispatch.DispatchReport`)."""
        counter = {
            "failed": self.reminders_failed,
            "retried": self.reminders_retried,
            "recovered": self.reminders_recovered,
            "skipped": self.reminders_skipped,
        }.get(outcome)
        if counter is not None:
            counter.inc()

    @_never_raises
    def job_finished(self, kind: str, outcome: str, seconds: float) -> None:
        kind = _bounded(kind, JOB_KINDS)
        self.jobs.labels(kind=kind, outcome=outcome).inc()
        self.job_seconds.labels(kind=kind).observe(seconds)

    @_never_raises
    def extraction_done(self, seconds: float, extracted: bool) -> None:
        self.extraction_seconds.observe(seconds)
        if extracted:
            self.articles_extracted.inc()

    @_never_raises
    def acked(self, request_type: str, seconds: float) -> None:
        self.ack_seconds.labels(type=_bounded(request_type, REQUEST_TYPES)).observe(seconds)

    @_never_raises
    def set_draining(self, draining: bool) -> None:
        self.draining.set(1 if draining else 0)

    def timed_extract(self, extract: Extractor) -> Extractor:
        """`extract`, timed and counted (a refused text is timed, not counted)."""

        def timed(text: str, published: date | datetime, zone: str | None = None) -> list[Event]:
            started = time.perf_counter()
            extracted = False
            try:
                events = extract(text, published, zone)
                extracted = True
                return events
            finally:
                self.extraction_done(time.perf_counter() - started, extracted)

        return timed


# ---------------------------------------------------------------- scrape-time gauges


@dataclass
class Backlog:
    """What waits in Redis at one moment, over every workspace."""

    scheduled: int = 0  # reminders waiting in the channels' due sets, overdue ones included
    due: int = 0  # of those, due now or earlier: waiting for a worker to claim them
    inflight: int = 0  # claimed by a worker (under a lease), not yet recorded
    oldest_due: float | None = None  # epoch seconds of the earliest overdue reminder
    queued_jobs: int = 0  # entries on the job stream (an acknowledged job is deleted)
    pending_jobs: int = 0  # delivered to a worker, not yet acknowledged


def read_backlog(store: RedisStore, now: datetime) -> Backlog:
    """Four round trips whatever the number of workspaces and channels.

    Pipelines here are not transactions and each command names one key, so this runs
    unchanged on Redis Cluster.
    """
    backlog = Backlog()
    moment = now.timestamp()
    teams = store.teams()
    client: Any = store.client  # redis-py's pipeline types are loose; the answers are cast
    index = client.pipeline(transaction=False)
    for team in teams:
        index.zrange(store.key(team, "due"), 0, -1, withscores=True)
        index.zcard(store.key(team, "lease"))
    index.xlen(JOBS_STREAM)
    answers: list[Any] = index.execute()
    backlog.queued_jobs = int(answers[-1])
    counts = client.pipeline(transaction=False)
    is_zcount: list[bool] = []
    for position, team in enumerate(teams):
        backlog.inflight += int(answers[2 * position + 1])
        for channel, earliest in cast(list[tuple[str, float]], answers[2 * position]):
            key = store.due_key(team, channel)
            counts.zcard(key)
            is_zcount.append(False)
            # The index holds each channel's earliest due time: only a channel whose earliest
            # has passed can hold overdue reminders.
            if earliest <= moment:
                counts.zcount(key, "-inf", moment)
                is_zcount.append(True)
                if backlog.oldest_due is None or earliest < backlog.oldest_due:
                    backlog.oldest_due = earliest
    results: list[Any] = counts.execute() if is_zcount else []
    for zcount, value in zip(is_zcount, results, strict=True):
        if zcount:
            backlog.due += int(value)
        else:
            backlog.scheduled += int(value)
    backlog.pending_jobs = store.pending_jobs()
    return backlog


_GAUGES = (
    ("newsbot_reminders_scheduled", "Reminders waiting in Redis to be posted, every workspace."),
    ("newsbot_reminders_due",
     "Of the scheduled reminders, those whose due time has passed (the dispatch backlog)."),
    ("newsbot_reminders_inflight", "Reminders a worker has claimed and not yet recorded."),
    ("newsbot_reminders_oldest_due_seconds",
     "How long the earliest unclaimed due reminder has waited (0 when none)."),
    ("newsbot_job_queue_depth", "Entries on the job stream: queued plus being worked on."),
    ("newsbot_jobs_pending", "Jobs delivered to a worker and not yet acknowledged."),
)  # fmt: skip
_REDIS_UP = ("newsbot_redis_up", "1 when Redis answered this scrape, else 0.")


class StoreCollector:
    """The backlog gauges and `newsbot_redis_up`, read from Redis at each scrape.

    A Redis error makes `newsbot_redis_up` 0 and leaves the backlog gauges out of that scrape
    (no stale numbers); it is logged once when Redis stops answering and once when it is back.
    """

    def __init__(self, store: RedisStore, now: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._failing = False

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(name, doc) for name, doc in (_REDIS_UP, *_GAUGES)]

    def collect(self) -> Iterable[Metric]:
        now = self._now()
        try:
            backlog = read_backlog(self._store, now)
        except Exception:  # the scrape edge: /metrics answers whatever Redis does
            with self._lock:
                first, self._failing = not self._failing, True
            if first:
                log.exception("metrics_redis_unreachable")
            return [GaugeMetricFamily(*_REDIS_UP, value=0)]
        with self._lock:
            recovered, self._failing = self._failing, False
        if recovered:
            log.info("metrics_redis_reachable")
        oldest = 0.0 if backlog.oldest_due is None else now.timestamp() - backlog.oldest_due
        values = (
            backlog.scheduled, backlog.due, backlog.inflight, max(oldest, 0.0),
            backlog.queued_jobs, backlog.pending_jobs,
        )  # fmt: skip
        return [
            GaugeMetricFamily(*_REDIS_UP, value=1),
            *(GaugeMetricFamily(n, d, value=v) for (n, d), v in zip(_GAUGES, values, strict=True)),
        ]


# ---------------------------------------------------------------- status endpoints


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [f"{text}\n".encode()]


def status_app(metrics: Metrics, *, live: Check, ready: Check) -> WSGIApplication:
    """`/healthz`, `/readyz` and `/metrics`; anything else is a 404.

    `ready` must include whatever `live` checks: a process that is not alive is not ready.
    """

    def probe(check: Check, start_response: StartResponse) -> list[bytes]:
        try:
            reason = check()
        except Exception:  # a probe that crashes says "not ready", with the traceback logged
            log.exception("probe_failed")
            reason = "probe failed"
        if reason is None:
            return _plain(start_response, "200 OK", "ok")
        return _plain(start_response, "503 Service Unavailable", reason)

    def route(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return probe(live, start_response)
        if path == "/readyz":
            return probe(ready, start_response)
        if path == "/metrics":
            body = metrics.exposition()
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        return _plain(start_response, "404 Not Found", "not found")

    return route


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None  # probes every few seconds would drown the JSON logs


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a stuck scrape never keeps the process alive

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up in DNS (getfqdn) for a name nobody reads.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class StatusServer:
    """`status_app` on its own port, in a daemon thread (stdlib wsgiref, one thread a request)."""

    def __init__(self, app: WSGIApplication, host: str, port: int) -> None:
        server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
        self._server = make_server(
            host, port, app, server_class=server_class, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name="status-server", daemon=True,
        )  # fmt: skip

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> StatusServer:
        self._thread.start()
        log.info("status_server_started", port=self.port)
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
