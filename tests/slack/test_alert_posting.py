"""Alerts posted over real HTTP through slack_sdk to a local fake Slack Web API: the message,
its metadata, and what 429s, server errors, timeouts and lost channels leave in Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.dispatch import Dispatcher, DispatchSettings, NoPacer, SimulatedClock
from bot.reminders import Reminder
from bot.slack_client import SlackPoster, make_client
from bot.store import RedisStore
from tests.fakes.slack_api import FakeSlack, PostedMessage, RecordedCall
from tests.reminder_fixtures import store_due_reminders

TEAM = "T1"
NOW = datetime(2025, 4, 18, 9, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(timeout_delay=2.5) as fake:
        yield fake


def _reminders(store: RedisStore, slack: FakeSlack, count: int, due: datetime) -> list[Reminder]:
    """Reminders in threads whose parent message really exists in the fake Slack."""
    client = WebClient(token="xoxb-test", base_url=slack.base_url)

    def parent(channel: str) -> str:
        return str(client.chat_postMessage(channel=channel, text="The article")["ts"])

    return store_due_reminders(store, TEAM, count, 1, due, thread_for=parent)


def _alerts(slack: FakeSlack) -> list[PostedMessage]:
    return [post for post in slack.posts() if post.is_reply]


def _alert_attempts(slack: FakeSlack) -> list[RecordedCall]:
    return [call for call in slack.calls_for("chat.postMessage") if "thread_ts" in call.params]


def _dispatcher(store: RedisStore, slack: FakeSlack, clock: SimulatedClock) -> Dispatcher:
    client = make_client("xoxb-test", slack.base_url, timeout=1, rate_limit_retries=2)
    return Dispatcher(
        store, SlackPoster(client), clock, "w1",
        settings=DispatchSettings(threads=1), pacer=NoPacer(),
    )  # fmt: skip


def test_alert_goes_to_the_thread_with_buttons_and_metadata(
    store: RedisStore, slack: FakeSlack
) -> None:
    [reminder] = _reminders(store, slack, 1, NOW)
    report = _dispatcher(store, slack, SimulatedClock(NOW)).run_once()
    assert report.posted == 1
    [post] = _alerts(slack)
    assert post.thread_ts == reminder.thread_ts
    assert post.event_type == "newsbot_reminder"
    assert post.event_payload == {
        "reminder_id": reminder.id,
        "event_id": reminder.event,
        "generation": int(reminder.due.timestamp()),
    }
    assert post.blocks is not None
    actions = next(b for b in post.blocks if b["type"] == "actions")
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Done", "Snooze 1 day", "Snooze 3 days", "Not relevant", "Open article"]
    stored = store.reminder(TEAM, reminder.id)
    assert stored is not None and stored.state == "posted" and stored.posted_ts == post.ts


def test_429_is_retried_after_retry_after_without_counting_as_a_failure(
    store: RedisStore, slack: FakeSlack
) -> None:
    [reminder] = _reminders(store, slack, 1, NOW)
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=7)
    clock = SimulatedClock(NOW)
    client = make_client("xoxb-test", slack.base_url, timeout=1, rate_limit_retries=0)
    dispatcher = Dispatcher(
        store, SlackPoster(client), clock, "w1",
        settings=DispatchSettings(threads=1), pacer=NoPacer(),
    )  # fmt: skip
    assert dispatcher.run_once().retried == 1
    waiting = store.reminder(TEAM, reminder.id)
    assert waiting is not None and waiting.state == "scheduled" and waiting.attempts == 0
    assert waiting.due == NOW + timedelta(seconds=7)
    clock.current = waiting.due
    assert dispatcher.run_once().posted == 1
    assert len(_alerts(slack)) == 1


def test_slack_sdk_waits_out_a_short_retry_after_when_asked(
    store: RedisStore, slack: FakeSlack
) -> None:
    _reminders(store, slack, 1, NOW)
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    report = _dispatcher(store, slack, SimulatedClock(NOW)).run_once()
    assert report.posted == 1
    attempts = _alert_attempts(slack)
    assert len(attempts) == 2
    assert attempts[1].received_at - attempts[0].received_at >= 0.9
    assert len(_alerts(slack)) == 1


def test_server_error_is_retried_later_with_backoff(store: RedisStore, slack: FakeSlack) -> None:
    [reminder] = _reminders(store, slack, 1, NOW)
    slack.fail_next("chat.postMessage", "server_error")
    clock = SimulatedClock(NOW)
    dispatcher = _dispatcher(store, slack, clock)
    assert dispatcher.run_once().retried == 1
    waiting = store.reminder(TEAM, reminder.id)
    assert waiting is not None and waiting.state == "scheduled"
    assert waiting.reason.startswith("retrying") and waiting.attempts == 1
    assert waiting.due > NOW
    clock.current = waiting.due
    assert dispatcher.run_once().posted == 1
    assert len(_alerts(slack)) == 1


def test_timeout_that_did_post_is_found_not_posted_twice(
    store: RedisStore, slack: FakeSlack
) -> None:
    [reminder] = _reminders(store, slack, 1, NOW)
    slack.fail_next("chat.postMessage", "timeout")  # answers after the client gave up
    clock = SimulatedClock(NOW)
    dispatcher = _dispatcher(store, slack, clock)
    assert dispatcher.run_once().retried == 1
    slack.wait_for_posts(2, timeout=5)
    clock.current = NOW + timedelta(minutes=1)
    assert dispatcher.run_once().recovered == 1
    assert len(_alerts(slack)) == 1
    stored = store.reminder(TEAM, reminder.id)
    assert stored is not None and stored.state == "posted"
    assert stored.posted_ts == _alerts(slack)[0].ts


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_lost_channel_marks_the_reminder_failed_without_retrying(
    store: RedisStore, slack: FakeSlack, error: str
) -> None:
    [reminder] = _reminders(store, slack, 1, NOW)
    slack.fail_channel(reminder.channel, error)
    clock = SimulatedClock(NOW)
    dispatcher = _dispatcher(store, slack, clock)
    assert dispatcher.run_once().failed == 1
    clock.current = NOW + timedelta(days=1)
    assert dispatcher.run_once().handled == 0
    stored = store.reminder(TEAM, reminder.id)
    assert stored is not None and (stored.state, stored.reason) == ("failed", error)
    assert len(_alert_attempts(slack)) == 1


def test_done_before_the_alert_cancels_it(store: RedisStore, slack: FakeSlack) -> None:
    [reminder] = _reminders(store, slack, 1, NOW + timedelta(hours=1))
    assert store.set_event_state(TEAM, reminder.event, "not_relevant") == 1
    clock = SimulatedClock(NOW + timedelta(hours=2))
    assert _dispatcher(store, slack, clock).run_once().handled == 0
    assert _alerts(slack) == []


def test_a_snoozed_alert_is_posted_again_even_after_a_server_error(
    store: RedisStore, slack: FakeSlack
) -> None:
    [reminder] = _reminders(store, slack, 1, NOW)
    clock = SimulatedClock(NOW)
    dispatcher = _dispatcher(store, slack, clock)
    assert dispatcher.run_once().posted == 1
    tomorrow = NOW + timedelta(days=1)
    assert store.snooze_event(TEAM, reminder.event, tomorrow) == 1
    slack.fail_next("chat.postMessage", "server_error")
    clock.current = tomorrow
    assert dispatcher.run_once().retried == 1
    clock.current = tomorrow + timedelta(minutes=1)
    report = dispatcher.run_once()
    assert (report.posted, report.recovered) == (1, 0)  # yesterday's post is not this one
    assert len(_alerts(slack)) == 2


def test_the_client_never_resends_a_post_on_a_dropped_connection(slack: FakeSlack) -> None:
    client = make_client("xoxb-test", slack.base_url, rate_limit_retries=0)
    assert client.retry_handlers == []
