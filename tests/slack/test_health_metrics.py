"""Metrics and probes as an operator sees them: the dispatcher and the job consumer recording
into a registry against the fake Slack, and `newsbot serve` / `newsbot worker` started as users
start them answering /healthz, /readyz and /metrics, before and after Redis goes away."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk import WebClient

from bot.dispatch import Dispatcher, DispatchSettings, NoPacer, SimulatedClock
from bot.jobs import track_text_job
from bot.local_redis import LocalRedis, free_port
from bot.metrics import LATE_AFTER_SECONDS, Metrics
from bot.slack_client import SlackPoster, make_client
from bot.store import JOBS_STREAM, RedisStore
from bot.worker import consume_jobs
from tests.conftest import Seed
from tests.fakes.slack_api import FakeSlack
from tests.reminder_fixtures import store_due_reminders

ROOT = Path(__file__).resolve().parent.parent.parent
TEAM = "T1"
SECRET = "health-test-secret"
NOW = datetime(2025, 4, 18, 9, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def _parents(slack: FakeSlack) -> Callable[[str], str]:
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    return lambda channel: str(client.chat_postMessage(channel=channel, text="Article")["ts"])


def test_dispatch_records_posts_lateness_retries_and_failures(
    store: RedisStore, slack: FakeSlack
) -> None:
    store_due_reminders(store, TEAM, 3, 3, NOW, thread_for=_parents(slack))
    slack.fail_next("chat.postMessage", "server_error", channel="C0001")
    slack.fail_channel("C0002", "channel_not_found")
    metrics = Metrics()
    clock = SimulatedClock(NOW + timedelta(seconds=90))
    client = make_client("xoxb-test", slack.base_url, timeout=2, rate_limit_retries=0)
    dispatcher = Dispatcher(
        store, SlackPoster(client), clock, "w1", settings=DispatchSettings(threads=1),
        pacer=NoPacer(), metrics=metrics,
    )  # fmt: skip
    report = dispatcher.run_once()
    assert (report.posted, report.retried, report.failed) == (1, 1, 1)
    assert value(metrics, "newsbot_reminders_posted_total", kind="heads_up") == 1
    assert value(metrics, "newsbot_reminders_retried_total") == 1
    assert value(metrics, "newsbot_reminders_failed_total") == 1
    assert value(metrics, "newsbot_reminder_lateness_seconds_sum") == 90
    assert value(metrics, "newsbot_reminders_late_total") == 1  # 90 s > LATE_AFTER_SECONDS
    # The retry goes out later; its lateness counts from the planned time, not the requeue.
    clock.current = NOW + timedelta(seconds=100)
    assert dispatcher.run_once().posted == 1
    assert value(metrics, "newsbot_reminders_posted_total", kind="heads_up") == 2
    assert value(metrics, "newsbot_reminder_lateness_seconds_count") == 2
    assert value(metrics, "newsbot_reminder_lateness_seconds_sum") == 90 + 100
    assert LATE_AFTER_SECONDS < 90


def test_an_on_time_post_is_not_late(store: RedisStore, slack: FakeSlack) -> None:
    store_due_reminders(store, TEAM, 1, 1, NOW, thread_for=_parents(slack))
    metrics = Metrics()
    client = make_client("xoxb-test", slack.base_url, timeout=2, rate_limit_retries=0)
    dispatcher = Dispatcher(
        store, SlackPoster(client), SimulatedClock(NOW + timedelta(seconds=1)), "w1",
        settings=DispatchSettings(threads=1), pacer=NoPacer(), metrics=metrics,
    )  # fmt: skip
    assert dispatcher.run_once().posted == 1
    assert value(metrics, "newsbot_reminder_lateness_seconds_bucket", le="1.0") == 1
    assert value(metrics, "newsbot_reminders_late_total") == 0


def test_job_consumer_counts_jobs_by_type_and_outcome_and_times_extraction(
    store: RedisStore, slack: FakeSlack, seed: Seed
) -> None:
    store.ensure_job_group()
    store.enqueue_job(track_text_job(TEAM, "CJOB", "U1", seed.text))
    store.enqueue_job({"type": "from_a_newer_version", "team": TEAM})
    metrics = Metrics()
    stop = threading.Event()
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    consumer = threading.Thread(
        target=consume_jobs, args=(store, client, "w1", stop), kwargs={"metrics": metrics}
    )
    consumer.start()
    try:
        deadline = time.monotonic() + 120
        while store.client.xlen(JOBS_STREAM) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        consumer.join()
    assert value(metrics, "newsbot_jobs_total", kind="track_text", outcome="tracked") == 1
    assert value(metrics, "newsbot_jobs_total", kind="other", outcome="unknown") == 1
    assert value(metrics, "newsbot_articles_extracted_total") == 1
    assert value(metrics, "newsbot_extraction_seconds_count") == 1
    assert value(metrics, "newsbot_job_seconds_count", kind="track_text") == 1
    assert len(slack.posts("CJOB")) == 1


# ---------------------------------------------------------------- processes


@pytest.fixture
def private_redis() -> Iterator[LocalRedis]:
    """A Redis of this test's own, so stopping it leaves the shared one alone."""
    server = LocalRedis().start()
    try:
        yield server
    finally:
        server.cleanup()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS", "NEWSBOT"))}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env={**base, **env},
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _get(url: str) -> tuple[int, str, str]:
    """Status, body and content type; generous timeout: without Redis a probe waits out the
    client's reconnect retries before it answers 503."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode(), error.headers["Content-Type"]


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if _get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{base} never became ready: {log.read_text(errors='replace')}")


def _scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body, content_type = _get(f"{base}/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def _signed(base: str, body: str, content_type: str) -> int:
    stamp = int(time.time())
    signature = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    request = urllib.request.Request(
        f"{base}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": str(stamp),
                 "X-Slack-Signature": f"v0={signature.hexdigest()}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_serve_answers_probes_and_times_its_acks(
    private_redis: LocalRedis, slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    env = {
        "REDIS_URL": private_redis.url, "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.base_url, "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    process = _start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        _wait_ready(base, process, log)
        assert _get(f"{base}/healthz")[:2] == (200, "ok\n")
        command = ("newsbot_ack_seconds_count", (("type", "command"),))
        event = ("newsbot_ack_seconds_count", (("type", "event"),))
        before = _scrape(base)
        assert before[("newsbot_redis_up", ())] == 1
        help_command = urlencode({
            "command": "/news", "text": "help", "team_id": TEAM, "channel_id": "C1",
            "user_id": "U1", "response_url": "http://127.0.0.1:9/unused", "trigger_id": "1.2",
            "api_app_id": "A1", "token": "legacy",
        })  # fmt: skip
        assert _signed(base, help_command, "application/x-www-form-urlencoded") == 200
        challenge = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"})
        assert _signed(base, challenge, "application/json") == 200
        after = _scrape(base)
        assert after[command] == before.get(command, 0) + 1
        assert after[event] == before.get(event, 0) + 1
        private_redis.stop()
        assert _get(f"{base}/healthz")[:2] == (200, "ok\n")  # alive: no restart for an outage
        assert _get(f"{base}/readyz")[:2] == (503, "redis unreachable\n")
        gauges = _scrape(base)
        assert gauges[("newsbot_redis_up", ())] == 0
        assert ("newsbot_reminders_due", ()) not in gauges
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_worker_serves_probes_and_metrics_on_its_port(
    private_redis: LocalRedis, slack: FakeSlack, tmp_path: Path
) -> None:
    store = RedisStore.from_url(private_redis.url)
    store_due_reminders(
        store, TEAM, 2, 2, datetime.now(UTC).replace(microsecond=0), thread_for=_parents(slack)
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    env = {
        "REDIS_URL": private_redis.url, "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.base_url, "NEWSBOT_METRICS_PORT": str(port),
        "NEWSBOT_METRICS_HOST": "127.0.0.1", "NEWSBOT_DISPATCH_INTERVAL": "0.2",
        "NEWSBOT_WORKER_ID": "w-metrics", "LOG_LEVEL": "INFO",
    }  # fmt: skip
    process = _start(["worker"], env, log)
    try:
        _wait_ready(base, process, log)
        assert _get(f"{base}/healthz")[:2] == (200, "ok\n")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if {r.state for r in store.reminders(TEAM)} == {"posted"}:
                break
            time.sleep(0.2)
        gauges = _scrape(base)
        assert gauges[("newsbot_reminders_posted_total", (("kind", "heads_up"),))] == 2
        assert gauges[("newsbot_reminder_lateness_seconds_count", ())] == 2
        assert gauges[("newsbot_redis_up", ())] == 1
        assert gauges[("newsbot_reminders_due", ())] == 0
        assert gauges[("newsbot_job_queue_depth", ())] == 0
        assert gauges[("newsbot_draining", ())] == 0
        private_redis.stop()
        assert _get(f"{base}/healthz")[:2] == (200, "ok\n")
        assert _get(f"{base}/readyz")[:2] == (503, "redis unreachable\n")
        assert _stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        store.client.close()
    text = log.read_text(errors="replace")
    assert "worker_draining" in text and "worker_stopped" in text
