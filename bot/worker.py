"""The worker process: APScheduler runs the due-reminder dispatch every second, the digests and
the feed polls; a thread consumes the job stream (articles to read, threads to summarize).

Reminders live in Redis, not in APScheduler's job store (APScheduler 3 forbids sharing a job
store between processes); the scheduler here only holds this process's own periodic jobs.

With `NEWSBOT_METRICS_PORT` set, a small HTTP server answers `/healthz` (the scheduler runs
and the job thread is alive), `/readyz` (that, not draining, and Redis answers) and `/metrics`.
SIGTERM stops taking new work: readiness turns 503 while the work in hand finishes.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.blocks import SlackMessage
from bot.digests import post_due_digests
from bot.dispatch import Dispatcher, DispatchSettings, RedisPacer, SystemClock
from bot.errors import NewsbotError
from bot.feed_poller import FeedPoller
from bot.fetcher import Fetcher
from bot.jobs import SlackAnnouncer, run_job
from bot.metrics import Metrics, StatusServer, status_app
from bot.nlp import load_pipeline
from bot.slack_client import SlackPoster, is_transient, make_client
from bot.store import Claimed, RedisStore, StoreError
from config.settings import Settings

log = structlog.get_logger(__name__)


def connect(settings: Settings) -> tuple[RedisStore, WebClient]:
    if not settings.redis_url:
        raise NewsbotError("REDIS_URL is not set: the worker keeps its reminders in Redis")
    if not settings.slack_bot_token:
        raise NewsbotError("SLACK_BOT_TOKEN is not set: the worker posts to Slack")
    store = RedisStore.from_url(settings.redis_url)
    store.ping()
    # No retries inside slack_sdk: the dispatcher requeues a 429 after its Retry-After itself,
    # so a long wait never outlives the reminder's lease.
    client = make_client(
        settings.slack_bot_token, settings.slack_api_url, settings.slack_timeout_s, 0
    )
    return store, client


def build_dispatcher(
    settings: Settings,
    owner: str,
    store: RedisStore,
    client: WebClient,
    metrics: Metrics | None = None,
) -> Dispatcher:
    posts = 0
    lock = threading.Lock()

    def after_post(claim: Claimed, message: SlackMessage, ts: str) -> None:
        nonlocal posts
        with lock:
            posts += 1
            if settings.fault_exit_after_posts and posts >= settings.fault_exit_after_posts:
                os._exit(137)  # fault injection: die between posting and recording

    return Dispatcher(
        store,
        SlackPoster(client),
        SystemClock(),
        owner,
        settings=DispatchSettings(
            lease=timedelta(seconds=settings.lease_s),
            stale_after=timedelta(days=settings.stale_days),
        ),
        pacer=RedisPacer(store, settings.channel_spacing_ms),
        default_zone=settings.default_zone,
        after_post=after_post if settings.fault_exit_after_posts else None,
        metrics=metrics,
    )


@dataclass(frozen=True)
class WorkerProbes:
    """What the worker's status endpoints check; a reason string when the answer is no."""

    scheduler: BackgroundScheduler
    jobs: threading.Thread
    stop: threading.Event
    store: RedisStore

    def live(self) -> str | None:
        if not self.scheduler.running:
            return "scheduler stopped"
        if not self.jobs.is_alive():
            return "job consumer stopped"
        return None

    def ready(self) -> str | None:
        if self.stop.is_set():
            return "draining"
        reason = self.live()
        if reason is not None:
            return reason
        try:
            self.store.ping()
        except StoreError:
            return "redis unreachable"
        return None


def run_worker(
    settings: Settings, stop: threading.Event | None = None, metrics: Metrics | None = None
) -> int:
    """Dispatch due reminders until SIGTERM/SIGINT (or `stop`)."""
    owner = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    store, client = connect(settings)
    # The spaCy pipeline before any work: a missing model stops the worker at once (not at its
    # first article), the first job is not slowed by the load, and memory is flat from here on.
    load_pipeline()
    metrics = metrics or Metrics()
    metrics.watch(store)
    dispatcher = build_dispatcher(settings, owner, store, client, metrics)
    stop = stop or threading.Event()
    store.ensure_job_group()
    fetcher = Fetcher(allow_networks=settings.fetch_allow_networks)
    # Jobs wait out a 429 inside slack_sdk (nothing was posted); other failures leave the job
    # pending for a retry that first looks for the post.
    job_client = make_client(
        settings.slack_bot_token or "", settings.slack_api_url, settings.slack_timeout_s, 3
    )
    jobs = threading.Thread(
        target=consume_jobs, args=(store, job_client, owner, stop),
        kwargs={"fetcher": fetcher, "metrics": metrics, "reclaim_ms": settings.job_reclaim_ms},
        name="jobs", daemon=True,
    )  # fmt: skip

    def dispatch_tick() -> None:
        try:
            report = dispatcher.run_once(stop)
            if report.handled:
                log.info("dispatch_tick", worker=owner, posted=report.posted,
                         recovered=report.recovered, retried=report.retried,
                         failed=report.failed, skipped=report.skipped)  # fmt: skip
        except Exception:
            log.exception("dispatch_tick_failed", worker=owner)

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        dispatch_tick,
        "interval",
        seconds=settings.dispatch_interval_s,
        id="dispatch_due",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )

    def digest_tick() -> None:
        try:
            post_due_digests(store, client, SystemClock(), owner, settings.default_zone)
        except Exception:
            log.exception("digest_tick_failed", worker=owner)

    scheduler.add_job(
        digest_tick, "interval", seconds=30, id="post_digests", max_instances=1, coalesce=True,
        next_run_time=datetime.now(UTC),
    )  # fmt: skip

    poller = FeedPoller(store, fetcher, SlackAnnouncer(client).post)

    def feed_tick() -> None:
        try:
            report = poller.poll_due(SystemClock().now(), stop)
            if report.polled:
                log.info("feeds_polled", worker=owner, polled=report.polled, queued=report.queued,
                         failed=report.failed, not_modified=report.not_modified)  # fmt: skip
        except Exception:
            log.exception("feed_tick_failed", worker=owner)

    scheduler.add_job(
        feed_tick, "interval", seconds=settings.feed_tick_s, id="poll_feeds", max_instances=1,
        coalesce=True, next_run_time=datetime.now(UTC),
    )  # fmt: skip

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    log.info("worker_started", worker=owner)
    _run_until_stopped(settings, owner, WorkerProbes(scheduler, jobs, stop, store), metrics)
    log.info("worker_stopped", worker=owner)
    return 0


def _run_until_stopped(
    settings: Settings, owner: str, probes: WorkerProbes, metrics: Metrics
) -> None:
    """Start the scheduler, the job thread and the status server; drain once `stop` is set."""
    status: StatusServer | None = None
    if settings.metrics_port:
        app = status_app(metrics, live=probes.live, ready=probes.ready)
        try:  # bound before any work starts, so a taken port fails the start, not later
            status = StatusServer(app, settings.metrics_host, settings.metrics_port)
        except OSError as error:
            where = f"{settings.metrics_host}:{settings.metrics_port}"
            raise NewsbotError(f"cannot serve metrics on {where}: {error}") from error
    probes.scheduler.start()
    probes.jobs.start()
    if status is not None:
        status.start()
    try:
        probes.stop.wait()
        # Draining: readiness already answers 503 (stop is set); the scheduler lets the tick
        # in progress finish, and the job thread finishes the batch it read.
        metrics.set_draining(True)
        log.info("worker_draining", worker=owner)
        probes.scheduler.shutdown(wait=True)
        probes.jobs.join(timeout=10)
    finally:
        if status is not None:
            status.close()


def consume_jobs(
    store: RedisStore,
    client: WebClient,
    owner: str,
    stop: threading.Event,
    *,
    fetcher: Fetcher | None = None,
    metrics: Metrics | None = None,
    reclaim_ms: int = 60_000,
) -> None:
    """Run queued jobs until `stop`.

    A job that fails for a passing reason (Slack 429/5xx, a network or Redis error) stays
    pending and is handed out again after `reclaim_ms`, as is a job whose worker died; every
    job looks for its own earlier post before posting, so a rerun does not post twice. After
    MAX_JOB_DELIVERIES hand-outs, or at once for any other error, it is logged and dropped, so
    it cannot block the stream.
    """
    clock = SystemClock()
    while not stop.is_set():
        try:
            batch = store.read_jobs(owner, count=10, block_ms=1000, reclaim_idle_ms=reclaim_ms)
        except Exception:
            log.exception("job_read_failed", worker=owner)
            stop.wait(1)
            continue
        for job_id, job in batch:
            if stop.is_set():
                break  # draining: what is left stays pending for another worker
            # Two stream entries of one origin (an XADD sent twice) are one job.
            origin = job.get("origin") or job_id
            try:
                with JobLease(store, origin, owner, reclaim_ms) as held:
                    # Not held: another worker runs it now. Gone: it finished meanwhile.
                    if not held or not store.job_deliveries(job_id):
                        continue
                    if store.job_done(origin):
                        store.ack_job(job_id)
                        continue
                    _run_one(
                        store, client, job_id, job,
                        owner=owner, clock=clock, fetcher=fetcher, metrics=metrics,
                    )  # fmt: skip
            except Exception:
                log.exception("job_lease_failed", job=job_id, worker=owner)


def _run_one(
    store: RedisStore,
    client: WebClient,
    job_id: str,
    job: dict[str, str],
    *,
    owner: str,
    clock: SystemClock,
    fetcher: Fetcher | None,
    metrics: Metrics | None,
) -> None:
    started = time.perf_counter()
    settled = True
    # The origin names the job in its Slack metadata, so a rerun finds the post of either entry.
    origin = job.get("origin") or job_id
    try:
        outcome = run_job(store, client, origin, job, clock.now(), fetcher=fetcher, metrics=metrics)
        log.info("job_done", job=job_id, outcome=outcome, worker=owner)
    except Exception as error:
        outcome = "error"
        settled = not _retry_later(store, job_id, error, owner)
    if metrics is not None:
        metrics.job_finished(job.get("type", ""), outcome, time.perf_counter() - started)
    if settled:
        try:
            store.mark_job_done(origin)
            store.ack_job(job_id)
        except Exception:
            # Redis went away after the job ran: it stays pending and is reclaimed (and found
            # already done) later; the thread must live on to read again.
            log.exception("job_ack_failed", job=job_id, worker=owner)


class JobLease:
    """Holds a job's run lease for as long as the job runs, renewing it from a timer thread
    every third of its length, so a slow job is not run a second time by the worker its stream
    entry was handed to; a worker that dies stops renewing and the lease runs out."""

    def __init__(self, store: RedisStore, job_id: str, owner: str, ttl_ms: int) -> None:
        self._store, self._job, self._owner, self._ttl = store, job_id, owner, max(ttl_ms, 1000)
        self._done = threading.Event()
        self._held = False

    def __enter__(self) -> bool:
        self._held = self._store.take_job(self._job, self._owner, self._ttl)
        if self._held:
            threading.Thread(target=self._renew, name="job-lease", daemon=True).start()
        return self._held

    def _renew(self) -> None:
        while not self._done.wait(self._ttl / 3000):
            try:
                self._store.renew_job(self._job, self._owner, self._ttl)
            except Exception:
                log.warning("job_lease_renew_failed", job=self._job, worker=self._owner)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._held:
            self._store.release_job(self._job, self._owner)


MAX_JOB_DELIVERIES = 5


def _retry_later(store: RedisStore, job_id: str, error: Exception, owner: str) -> bool:
    """True when the failed job is left pending for another try (logged as a warning)."""
    if is_transient(error) or RedisStore.unavailable(error):
        try:
            deliveries = store.job_deliveries(job_id)
        except Exception:
            deliveries = 0  # Redis is away: the job is pending anyway
        if deliveries < MAX_JOB_DELIVERIES:
            log.warning("job_retry_later", job=job_id, worker=owner, attempt=deliveries,
                        exc_info=error)  # fmt: skip
            return True
    log.error("job_failed", job=job_id, worker=owner, exc_info=error)
    return False
