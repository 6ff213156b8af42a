"""Channel digests on a simulated clock with two workers: one post per period, a missed
period posted late once, a crashed poster's digest found instead of posted twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from slack_sdk import WebClient

from bot.alerts import AlertPolicy
from bot.digests import DigestSchedule, post_due_digests
from bot.dispatch import SimulatedClock
from bot.store import RedisStore
from bot.tracking import ArticleInput, track_article
from tests.fakes.slack_api import FakeSlack

TEAM = "T1"
CHANNEL = "CDIG"
MONDAY = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 in Paris


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url)


def _subscribe(store: RedisStore, since: datetime) -> None:
    store.set_channel_policy(TEAM, CHANNEL, AlertPolicy(zone="Europe/Paris"))
    schedule = DigestSchedule("daily", time(8, 0), since=since)
    store.set_digest(TEAM, CHANNEL, schedule.to_json())


def _digests(slack: FakeSlack) -> list[str]:
    return [p.text for p in slack.posts(CHANNEL) if p.event_type == "newsbot_digest"]


def test_two_workers_post_each_period_once_with_its_news(
    store: RedisStore, slack: FakeSlack
) -> None:
    _subscribe(store, MONDAY - timedelta(days=1))
    article = ArticleInput(
        team=TEAM, channel=CHANNEL, thread_ts="1.0", title="Council budget",
        text="The city council will vote on the budget on Tuesday, the mayor said on Sunday.",
        published=MONDAY - timedelta(hours=10), zone="Europe/Paris",
    )  # fmt: skip
    track_article(store, article, MONDAY - timedelta(hours=10))
    clock = SimulatedClock(MONDAY + timedelta(minutes=1))
    for day in range(3):
        clock.current = MONDAY + timedelta(days=day, minutes=1)
        workers = [
            threading.Thread(target=post_due_digests, args=(store, _client(slack), clock, f"w{n}"))
            for n in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    monday, tuesday, wednesday = [
        str(p.blocks) for p in slack.posts(CHANNEL) if p.event_type == "newsbot_digest"
    ]
    assert "Council budget" in monday and "Opening today" not in monday
    assert "Opening today" in tuesday and "vote on the budget" in tuesday
    assert "Council budget" not in wednesday  # not new any more


def test_missed_periods_are_posted_late_once(store: RedisStore, slack: FakeSlack) -> None:
    _subscribe(store, MONDAY - timedelta(days=1))
    clock = SimulatedClock(MONDAY + timedelta(days=3, hours=2))  # down Mon-Thu morning
    assert post_due_digests(store, _client(slack), clock, "w1") == 1
    assert post_due_digests(store, _client(slack), clock, "w2") == 0
    [post] = [p for p in slack.posts(CHANNEL) if p.event_type == "newsbot_digest"]
    assert "Posted late" in str(post.blocks)
    assert post.event_payload == {"period": "2025-06-05T06:00:00Z"}


def test_no_digest_before_the_subscription(store: RedisStore, slack: FakeSlack) -> None:
    _subscribe(store, MONDAY + timedelta(hours=1))
    clock = SimulatedClock(MONDAY + timedelta(hours=2))
    assert post_due_digests(store, _client(slack), clock, "w1") == 0


def test_a_crashed_posters_digest_is_found_not_repeated(
    store: RedisStore, slack: FakeSlack
) -> None:
    _subscribe(store, MONDAY - timedelta(days=1))
    period = "2025-06-02T06:00:00Z"
    # w1 claimed and posted, then died before recording.
    assert store.claim_digest(TEAM, CHANNEL, period, owner="w1", now=MONDAY) == "claimed"
    _client(slack).chat_postMessage(
        channel=CHANNEL, text="Daily digest",
        metadata={"event_type": "newsbot_digest", "event_payload": {"period": period}},
    )  # fmt: skip
    clock = SimulatedClock(MONDAY + timedelta(minutes=10))
    assert post_due_digests(store, _client(slack), clock, "w2") == 0
    assert len(_digests(slack)) == 1
