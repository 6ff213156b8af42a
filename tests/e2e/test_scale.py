"""The production layout under load and faults: a 3-master Redis Cluster, 2 `newsbot serve`
behind a round-robin balancer, 3 `newsbot worker`, and a fake Slack that answers 10% of calls
with 429 or 500 (a quarter of the 500s to chat.postMessage after storing the message).

Meanwhile a random worker is killed with SIGKILL and replaced every few seconds and one web
process is rolled the README's way. 300 pasted articles (workspace T2), 5,000 reminders due
within about a minute (workspace T1) and 2,000 other slash commands go through it. Then:
every reminder posted exactly once, every command answered once, every article announced
once, no job left in the stream, every log line JSON with no error lacking its traceback, and
no token or secret in any log line."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.store import JOBS_STREAM, RedisStore
from tests.e2e.topology import BOT_TOKEN, SIGNING_SECRET, Answer, Topology, log_problems
from tests.fakes.slack_api import FakeSlack
from tests.reminder_fixtures import store_due_reminders

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent.parent
REMINDER_TEAM, ARTICLE_TEAM = "T1", "T2"
REMINDERS, REMINDER_CHANNELS, WAVES = 5000, 250, 20
ARTICLES, ARTICLE_CHANNELS = 300, 30
COMMANDS = 2000
OTHER_COMMANDS = ["deadlines 30", "summary 7", "help", "deadlines 7", "feeds list", "summary 1"]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def topology(slack: FakeSlack, tmp_path: Path) -> Iterator[Topology]:
    running = Topology(tmp_path, slack.base_url, webs=2, workers=3)
    try:
        yield running.start()
    finally:
        running.stop()


def _articles() -> list[tuple[str, str]]:
    """(channel, text): the 60 corpus articles, each pasted into 5 of the 30 channels."""
    rows = [
        json.loads(line)
        for line in (ROOT / "bench" / "data" / "news_articles.jsonl").read_text().splitlines()
        if line.strip()
    ]
    pasted = []
    for n in range(ARTICLES):
        channel = f"D{n % ARTICLE_CHANNELS:03d}"
        row = rows[(n // ARTICLE_CHANNELS * 7 + n) % len(rows)]
        pasted.append((channel, f"{row['title']}\n\n{row['text']}"))
    assert len(set(pasted)) == ARTICLES
    return pasted


def _load_reminders(store: RedisStore, slack: FakeSlack, start: datetime) -> None:
    """5,000 reminders over 250 channels, one wave of 250 every 2.5 s from `start` on."""
    client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
    threads: dict[str, str] = {}

    def parent(channel: str) -> str:
        if channel not in threads:
            threads[channel] = str(client.chat_postMessage(channel=channel, text="Story")["ts"])
        return threads[channel]

    per_wave = REMINDERS // WAVES
    for wave in range(WAVES):
        due = start + timedelta(seconds=2.5 * wave)
        store_due_reminders(
            store, REMINDER_TEAM, per_wave, REMINDER_CHANNELS, due,
            thread_for=parent, first=wave * per_wave,
        )  # fmt: skip


class Chaos(threading.Thread):
    """Kills a random worker every `every` seconds and starts a replacement; rolls web1 once."""

    def __init__(self, topology: Topology, every: float, roll_after: float) -> None:
        super().__init__(name="chaos", daemon=True)
        self.topology, self.every, self.roll_after = topology, every, roll_after
        self.stop = threading.Event()
        self.kills = 0
        self.rolled = False
        self.error: BaseException | None = None

    def run(self) -> None:
        rng = random.Random(7)
        started = time.monotonic()
        try:
            while not self.stop.wait(self.every):
                victim = rng.choice(sorted(self.topology.workers))
                self.topology.kill_worker(victim)
                self.kills += 1
                self.topology.start_worker()
                if not self.rolled and time.monotonic() - started > self.roll_after:
                    self.topology.roll_web("web1")
                    self.rolled = True
        except BaseException as error:
            self.error = error


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


def test_cluster_of_processes_keeps_every_promise_under_faults(
    topology: Topology, slack: FakeSlack
) -> None:
    store = RedisStore.from_url(topology.cluster.url)
    start = datetime.now(UTC) + timedelta(seconds=20)
    _load_reminders(store, slack, start)
    slack.random_faults(0.10, seed=11)
    chaos = Chaos(topology, every=4.0, roll_after=15.0)
    chaos.start()
    try:
        _drive_and_check(topology, slack, store, chaos)
    finally:
        chaos.stop.set()
        chaos.join(timeout=120)


def _drive_and_check(topology: Topology, slack: FakeSlack, store: RedisStore, chaos: Chaos) -> None:

    articles = _articles()
    rng = random.Random(3)
    requests: list[tuple[str, str, str]] = [
        (ARTICLE_TEAM, channel, f"track {text}") for channel, text in articles
    ]
    for n in range(COMMANDS):
        team, channel = rng.choice(
            [(REMINDER_TEAM, f"C{n % REMINDER_CHANNELS:04d}"), (ARTICLE_TEAM, f"D{n % 30:03d}")]
        )
        requests.append((team, channel, OTHER_COMMANDS[n % len(OTHER_COMMANDS)]))
    rng.shuffle(requests)

    def send(request: tuple[str, str, str]) -> Answer:
        team, channel, text = request
        time.sleep(rng.random() * 0.02)
        return topology.command(team, channel, "U1", text)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, requests))

    # Every command got one answer, from the app, right away.
    refused = [(r[2][:60], a.status, a.web) for r, a in zip(requests, answers, strict=True)
               if a.status != 200]  # fmt: skip
    assert refused == []
    for (_, _, text), answer in zip(requests, answers, strict=True):
        assert answer.body.get("response_type") == "ephemeral", (text[:40], answer.body)
        assert answer.body.get("text"), (text[:40], answer.body)
        if text.startswith("track "):
            assert "Reading the article" in answer.body["text"]

    def all_posted() -> bool:
        states = Counter(r.state for r in store.reminders(REMINDER_TEAM))
        return states["posted"] == REMINDERS

    def all_announced() -> bool:
        return len(_article_posts(slack)) >= ARTICLES

    _wait(all_posted, 420, "all 5,000 reminders posted")
    _wait(all_announced, 300, "all 300 articles announced")
    chaos.stop.set()
    chaos.join(timeout=120)
    assert chaos.error is None, chaos.error
    assert chaos.kills >= 5 and chaos.rolled
    slack.random_faults(0)
    _wait(lambda: store.client.xlen(JOBS_STREAM) == 0, 120, "the job stream drained")
    assert store.pending_jobs() == 0

    # Exactly once, in Slack and in Redis.
    alerts = [p for p in slack.posts() if p.event_type == "newsbot_reminder"]
    by_id = Counter(p.event_payload["reminder_id"] for p in alerts)  # type: ignore[index]
    assert [rid for rid, n in by_id.items() if n > 1] == []
    stored = {r.id: r for r in store.reminders(REMINDER_TEAM)}
    assert set(stored) <= set(by_id)
    assert {r.posted_ts for r in stored.values()} <= {p.ts for p in alerts}
    article_reminders = store.reminders(ARTICLE_TEAM)
    assert all(by_id[r.id] <= 1 for r in article_reminders)

    announced = Counter((p.channel, p.event_payload.get("job_id")) for p in _article_posts(slack))  # type: ignore[union-attr]
    assert len(announced) == ARTICLES and max(announced.values()) == 1
    per_channel = Counter(channel for channel, _ in announced)
    assert set(per_channel.values()) == {ARTICLES // ARTICLE_CHANNELS}
    titles = Counter((p.channel, p.text.split("\n", 1)[0]) for p in _article_posts(slack))
    assert max(titles.values()) == 1
    assert len(store.channel_articles(ARTICLE_TEAM, "D000", datetime(2000, 1, 1, tzinfo=UTC))) == 10
    # Nothing was told "already tracking" or "couldn't read": each paste was read once.
    assert [e.text for e in slack.ephemerals()] == []

    assert slack.random_fault_counts.get("ratelimited", 0) > 20
    assert slack.random_fault_counts.get("applied_server_error", 0) > 0
    assert slack.internal_errors == []

    topology.stop()
    problems = log_problems(topology.all_children(), (BOT_TOKEN, SIGNING_SECRET))
    assert problems == [], "\n".join(problems[:20])


def _article_posts(slack: FakeSlack) -> list[Any]:
    return [p for p in slack.posts() if p.event_type == "newsbot_article"]
