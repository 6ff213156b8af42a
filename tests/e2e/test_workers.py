"""Worker processes started as users start them (`newsbot worker`), side by side, against a
private Redis and the fake Slack: every reminder posted exactly once, pacing per channel,
and no second post after a worker is killed between posting and recording."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.local_redis import LocalRedis
from bot.store import RedisStore
from tests.fakes.slack_api import FakeSlack, PostedMessage
from tests.reminder_fixtures import store_due_reminders

ROOT = Path(__file__).resolve().parent.parent.parent
TEAM = "T1"
pytestmark = pytest.mark.e2e


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


class Workers:
    """`newsbot worker` child processes with their logs in files."""

    def __init__(self, redis_url: str, slack_url: str, logs: Path) -> None:
        self._env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS"))}
        self._env.update(
            REDIS_URL=redis_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack_url,
            NEWSBOT_LEASE_SECONDS="6", NEWSBOT_DISPATCH_INTERVAL="0.3", LOG_LEVEL="INFO",
        )  # fmt: skip
        self._logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, **extra: str) -> subprocess.Popen[bytes]:
        env = {**self._env, "NEWSBOT_WORKER_ID": name, **extra}
        with (self._logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self._logs.glob("*.log")))


@pytest.fixture
def workers(redis_server: LocalRedis, slack: FakeSlack, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(redis_server.url, slack.base_url, tmp_path)
    try:
        yield group
    finally:
        group.stop_all()


def _thread_parents(slack: FakeSlack) -> Callable[[str], str]:
    """Posts one article message per channel, once, and gives its ts as the thread."""
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    cache: dict[str, str] = {}

    def parent(channel: str) -> str:
        if channel not in cache:
            cache[channel] = str(client.chat_postMessage(channel=channel, text="Article")["ts"])
        return cache[channel]

    return parent


def _alerts(slack: FakeSlack) -> list[PostedMessage]:
    return [post for post in slack.posts() if post.event_type == "newsbot_reminder"]


def _wait_all_posted(store: RedisStore, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = Counter(r.state for r in store.reminders(TEAM))
        if states["posted"] == expected:
            return
        time.sleep(0.5)
    raise AssertionError(f"not all posted in {timeout}s: {dict(states)}")


def _assert_exactly_once(slack: FakeSlack, store: RedisStore, expected: int) -> None:
    ids = [post.event_payload["reminder_id"] for post in _alerts(slack)]  # type: ignore[index]
    duplicates = [rid for rid, n in Counter(ids).items() if n > 1]
    assert duplicates == []
    assert len(ids) == expected
    stored = {r.id: r for r in store.reminders(TEAM)}
    assert set(ids) == set(stored)
    posted_ts = {post.ts for post in _alerts(slack)}
    assert {r.posted_ts for r in stored.values()} == posted_ts


def test_three_workers_post_2000_reminders_once_each_with_per_channel_pacing(
    store: RedisStore, slack: FakeSlack, workers: Workers
) -> None:
    parent = _thread_parents(slack)
    now = datetime.now(UTC).replace(microsecond=0)
    store_due_reminders(store, TEAM, 2000, 50, now, thread_for=parent)
    for name in ("w1", "w2", "w3"):
        workers.start(name)
    _wait_all_posted(store, 2000, timeout=240)
    _assert_exactly_once(slack, store, 2000)
    by_channel: dict[str, list[float]] = defaultdict(list)
    for post in _alerts(slack):
        by_channel[post.channel].append(post.received_monotonic)
    gaps = [
        later - earlier
        for times in by_channel.values()
        for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    assert len(by_channel) == 50
    assert min(gaps) >= 0.9, f"two posts to one channel {min(gaps):.3f}s apart"
    assert "Traceback" not in workers.log_text()


def test_worker_killed_between_posting_and_recording_does_not_post_twice(
    store: RedisStore, slack: FakeSlack, workers: Workers
) -> None:
    parent = _thread_parents(slack)
    now = datetime.now(UTC).replace(microsecond=0)
    store_due_reminders(store, TEAM, 300, 30, now, thread_for=parent)
    # w1 dies right after its 40th post, before recording it; w2 is killed -9 mid-burst.
    crashing = workers.start("w1", NEWSBOT_FAULT_EXIT_AFTER_POSTS="40")
    victim = workers.start("w2")
    time.sleep(4)
    victim.send_signal(signal.SIGKILL)
    assert crashing.wait(timeout=60) == 137
    victim.wait(timeout=10)
    states = Counter(r.state for r in store.reminders(TEAM))
    assert states["posted"] < 300
    workers.start("w3")
    workers.start("w4")
    _wait_all_posted(store, 300, timeout=180)
    _assert_exactly_once(slack, store, 300)
    recovered = [r for r in store.reminders(TEAM) if r.reason == "found an earlier post"]
    assert recovered, "the post of the killed worker should have been found, not repeated"


def test_run_with_slack_credentials_serves_and_dispatches_in_one_process(
    store: RedisStore, slack: FakeSlack, redis_server: LocalRedis, tmp_path: Path
) -> None:
    from bot.local_redis import free_port

    parent = _thread_parents(slack)
    store_due_reminders(
        store, TEAM, 3, 1, datetime.now(UTC).replace(microsecond=0), thread_for=parent
    )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS"))}
    env.update(
        REDIS_URL=redis_server.url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack.base_url, PORT=str(port),
    )  # fmt: skip
    with (tmp_path / "run.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_all_posted(store, 3, timeout=60)
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.read() == b"ok\n"
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert len(_alerts(slack)) == 3
