"""The job consumer against a real Redis and the fake Slack: a job that meets a passing Slack
failure stays pending and is finished by a later hand-out with one post; a job another worker
is still running is left alone by the worker its stream entry was handed to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bot.jobs import track_text_job
from bot.slack_client import make_client
from bot.store import JOBS_STREAM, RedisStore
from bot.worker import JobLease, consume_jobs
from tests.conftest import Seed
from tests.fakes.slack_api import FakeSlack

TEAM = "T1"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _consume_until(store: RedisStore, slack: FakeSlack, done: Callable[[], bool]) -> None:
    stop = threading.Event()
    client = make_client("xoxb-test", slack.base_url, 5, 3)
    thread = threading.Thread(
        target=consume_jobs, args=(store, client, "w1", stop), kwargs={"reclaim_ms": 300}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not done():
            assert time.monotonic() < deadline, "the consumer did not finish in time"
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=30)


def test_a_passing_slack_failure_leaves_the_job_for_a_retry_that_posts_once(
    store: RedisStore, slack: FakeSlack, seed: Seed
) -> None:
    store.ensure_job_group()
    store.enqueue_job(track_text_job(TEAM, "CJOB", "U1", seed.text))
    # The post is stored but answered 500; the retry's look-up then fails once too.
    slack.fail_next("chat.postMessage", "server_error")
    slack.fail_next("conversations.history", "service_unavailable", count=2)
    _consume_until(store, slack, lambda: store.client.xlen(JOBS_STREAM) == 0)
    articles = [p for p in slack.posts("CJOB") if p.event_type == "newsbot_article"]
    assert len(articles) == 1
    assert store.pending_jobs() == 0
    assert [e.text for e in slack.ephemerals()] == []


def test_a_job_held_by_another_worker_is_left_alone(
    store: RedisStore, slack: FakeSlack, seed: Seed
) -> None:
    store.ensure_job_group()
    job_id = store.enqueue_job(track_text_job(TEAM, "CHELD", "U1", seed.text))
    [(taken, job)] = store.read_jobs("w0", count=1, block_ms=100, reclaim_idle_ms=60_000)
    assert taken == job_id
    stop = threading.Event()
    client = make_client("xoxb-test", slack.base_url, 5, 3)
    thread = threading.Thread(
        target=consume_jobs, args=(store, client, "w1", stop), kwargs={"reclaim_ms": 300}
    )
    try:
        with JobLease(store, job["origin"], "w0", 1000) as held:
            assert held
            time.sleep(0.5)  # idle beyond the consumer's reclaim time: it is handed to w1
            thread.start()
            time.sleep(2.5)  # several hand-outs to w1, the lease renewed meanwhile
            assert slack.posts("CHELD") == []
            assert store.job_deliveries(job_id) >= 2
        # Released without an ack (w0 "died" after letting go): w1 now runs it, once.
        deadline = time.monotonic() + 60
        while store.client.xlen(JOBS_STREAM):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=30)
    assert len([p for p in slack.posts("CHELD") if p.event_type == "newsbot_article"]) == 1


def test_a_job_queued_twice_by_a_resent_xadd_is_run_and_answered_once(
    store: RedisStore, slack: FakeSlack, seed: Seed
) -> None:
    store.ensure_job_group()
    first = store.enqueue_job(track_text_job(TEAM, "CTWICE", "U1", seed.text))
    [(_, fields)] = store.client.xrange(JOBS_STREAM, first, first)
    store.client.xadd(JOBS_STREAM, fields)  # the same entry again, as a retried XADD leaves it
    _consume_until(store, slack, lambda: store.client.xlen(JOBS_STREAM) == 0)
    assert len([p for p in slack.posts("CTWICE") if p.event_type == "newsbot_article"]) == 1
    assert store.pending_jobs() == 0
    assert [e.text for e in slack.ephemerals()] == []
