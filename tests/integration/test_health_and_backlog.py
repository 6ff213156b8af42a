"""Scrape-time gauges read from a real Redis, and the worker's probes: what /metrics says about
stored reminders and queued jobs, and what /healthz and /readyz answer while the worker runs,
drains or loses Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from apscheduler.schedulers.background import BackgroundScheduler

from bot.local_redis import LocalRedis
from bot.metrics import Metrics
from bot.store import RedisStore
from bot.worker import WorkerProbes
from tests.reminder_fixtures import store_due_reminders

NOW = datetime(2025, 4, 18, 9, 0, tzinfo=UTC)


def scrape(metrics: Metrics) -> dict[str, float]:
    """The gauges a scrape shows now (samples without labels)."""
    return {
        sample.name: sample.value
        for family in metrics.registry.collect()
        for sample in family.samples
        if sample.name.startswith("newsbot_") and not sample.labels
    }


def test_gauges_count_waiting_and_overdue_reminders_and_queued_jobs(store: RedisStore) -> None:
    metrics = Metrics()
    metrics.watch(store, now=lambda: NOW)
    assert scrape(metrics)["newsbot_redis_up"] == 1
    assert scrape(metrics)["newsbot_reminders_due"] == 0
    store_due_reminders(store, "T1", 3, 2, NOW - timedelta(minutes=5))  # overdue, 2 channels
    store_due_reminders(store, "T2", 4, 2, NOW + timedelta(days=1))  # later, another workspace
    store.ensure_job_group()
    for n in range(3):
        store.enqueue_job({"type": "track_text", "text": f"job {n}"})
    [(read_id, _)] = store.read_jobs("w1", count=1, block_ms=100, reclaim_idle_ms=60_000)
    gauges = scrape(metrics)
    assert gauges["newsbot_reminders_scheduled"] == 7
    assert gauges["newsbot_reminders_due"] == 3
    assert gauges["newsbot_reminders_inflight"] == 0
    assert gauges["newsbot_reminders_oldest_due_seconds"] == 300
    assert gauges["newsbot_job_queue_depth"] == 3
    assert gauges["newsbot_jobs_pending"] == 1
    claims = store.claim_due("T1", NOW, 1, NOW + timedelta(minutes=1), "w1")
    store.ack_job(read_id)
    gauges = scrape(metrics)
    assert len(claims) == 1
    assert (gauges["newsbot_reminders_scheduled"], gauges["newsbot_reminders_due"]) == (6, 2)
    assert gauges["newsbot_reminders_inflight"] == 1
    assert (gauges["newsbot_job_queue_depth"], gauges["newsbot_jobs_pending"]) == (2, 0)


def test_watching_twice_registers_the_gauges_once(store: RedisStore) -> None:
    metrics = Metrics()
    metrics.watch(store)
    metrics.watch(RedisStore(store.client))  # `newsbot run`: the web side and the worker
    assert b"newsbot_reminders_due " in metrics.exposition()


@pytest.fixture
def lost_redis() -> Iterator[RedisStore]:
    """A store whose Redis has stopped (a client without retries, so the test is quick)."""
    server = LocalRedis().start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        store = RedisStore(client)
        store.ping()
        server.stop()
        yield store
    finally:
        client.close()
        server.cleanup()


def test_a_scrape_without_redis_says_so_and_leaves_the_backlog_out(lost_redis: RedisStore) -> None:
    metrics = Metrics()
    metrics.reminder_posted("heads_up", NOW, NOW)
    metrics.watch(lost_redis)
    body = metrics.exposition().decode()
    assert "newsbot_redis_up 0.0" in body
    assert "newsbot_reminders_due " not in body and "newsbot_job_queue_depth " not in body
    assert 'newsbot_reminders_posted_total{kind="heads_up"} 1.0' in body  # the rest is still there


@pytest.fixture
def running() -> Iterator[tuple[BackgroundScheduler, threading.Thread, threading.Event]]:
    stop = threading.Event()
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start()
    jobs = threading.Thread(target=stop.wait, name="jobs", daemon=True)
    jobs.start()
    try:
        yield scheduler, jobs, stop
    finally:
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        jobs.join()


def test_worker_probes_running_draining_and_stopped(
    store: RedisStore, running: tuple[BackgroundScheduler, threading.Thread, threading.Event]
) -> None:
    scheduler, jobs, stop = running
    probes = WorkerProbes(scheduler, jobs, stop, store)
    assert (probes.live(), probes.ready()) == (None, None)
    stop.set()  # SIGTERM: no new work, the work in hand finishes
    assert (probes.live(), probes.ready()) == (None, "draining")
    jobs.join()
    assert probes.live() == "job consumer stopped"
    scheduler.shutdown(wait=False)
    assert probes.live() == "scheduler stopped"


def test_worker_is_alive_but_not_ready_without_redis(
    lost_redis: RedisStore,
    running: tuple[BackgroundScheduler, threading.Thread, threading.Event],
) -> None:
    scheduler, jobs, stop = running
    probes = WorkerProbes(scheduler, jobs, stop, lost_redis)
    assert (probes.live(), probes.ready()) == (None, "redis unreachable")
