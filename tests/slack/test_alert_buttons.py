"""Alert buttons through Bolt with real request signatures: Done and Not relevant cancel the
remaining reminders, Snooze moves the next one, and the message loses its buttons."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bot.alerts import AlertPolicy
from bot.dispatch import SimulatedClock
from bot.store import RedisStore
from bot.tracking import ArticleInput, track_article
from handlers import alerts
from handlers.deps import HandlerDeps
from tests.conftest import Seed
from tests.fakes.slack_api import FakeSlack

SECRET = "test-signing-secret"
TEAM = "T1"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _app(store: RedisStore, slack: FakeSlack, now: datetime) -> App:
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    # Listeners finish before dispatch returns, so the test can look at Redis right after.
    app = App(
        signing_secret=SECRET,
        client=client,
        token_verification_enabled=False,
        process_before_response=True,
    )
    alerts.register(app, HandlerDeps(store=store, clock=SimulatedClock(now)))
    return app


def _signed(payload: dict[str, object]) -> BoltRequest:
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [stamp],
        "x-slack-signature": [f"v0={digest.hexdigest()}"],
    }
    return BoltRequest(body=body, headers=headers)


def _click(action_id: str, event: str, channel: str, message_ts: str) -> dict[str, object]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U1", "team_id": TEAM},
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "message": {
            "ts": message_ts,
            "text": "alert",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "alert"}},
                {"type": "actions", "elements": []},
            ],
        },
        "actions": [{"action_id": action_id, "value": event, "type": "button"}],
        "trigger_id": "1.2.3",
        "api_app_id": "A1",
        "token": "legacy",
    }


def _tracked(store: RedisStore, seed: Seed, slack: FakeSlack) -> tuple[str, str, str]:
    thread = WebClient(token="xoxb-test", base_url=slack.base_url).chat_postMessage(
        channel="C1", text="The article"
    )["ts"]
    article = ArticleInput(
        team=TEAM, channel="C1", thread_ts=str(thread), title="Rubio in Paris",
        text=seed.text, published=seed.published, zone=seed.zone,
    )  # fmt: skip
    store.set_channel_policy(TEAM, "C1", AlertPolicy(zone="Europe/Paris"))
    result = track_article(store, article, seed.published)
    meeting = next(e for e in result.events if e.kind == "meeting")
    alert = WebClient(token="xoxb-test", base_url=slack.base_url).chat_postMessage(
        channel="C1", thread_ts=str(thread), text="alert"
    )["ts"]
    return meeting.id, "C1", str(alert)


def test_done_cancels_remaining_reminders_and_updates_the_message(
    store: RedisStore, slack: FakeSlack, seed: Seed
) -> None:
    event, channel, ts = _tracked(store, seed, slack)
    app = _app(store, slack, seed.published)
    response = app.dispatch(_signed(_click("event_done", event, channel, ts)))
    assert response.status == 200
    assert store.event(TEAM, event).state == "done"  # type: ignore[union-attr]
    assert {r.state for r in store.reminders(TEAM) if r.event == event} == {"cancelled"}
    [update] = slack.calls_for("chat.update")
    assert "marked done" in json.dumps(update.params["blocks"])
    assert all(b["type"] != "actions" for b in update.params["blocks"])


def test_not_relevant_and_snooze(store: RedisStore, slack: FakeSlack, seed: Seed) -> None:
    event, channel, ts = _tracked(store, seed, slack)
    now = datetime(2025, 4, 21, 7, 30, tzinfo=UTC)
    app = _app(store, slack, now)
    assert app.dispatch(_signed(_click("event_snooze_3d", event, channel, ts))).status == 200
    snoozed = store.reminder(TEAM, f"{event}.h")
    assert snoozed is not None and snoozed.state == "scheduled"
    assert snoozed.due == datetime(2025, 4, 24, 7, 0, tzinfo=UTC)  # 09:00 in the channel's zone
    assert app.dispatch(_signed(_click("event_not_relevant", event, channel, ts))).status == 200
    assert store.event(TEAM, event).state == "not_relevant"  # type: ignore[union-attr]


def test_a_bad_signature_changes_nothing(store: RedisStore, slack: FakeSlack, seed: Seed) -> None:
    event, channel, ts = _tracked(store, seed, slack)
    request = _signed(_click("event_done", event, channel, ts))
    request.headers["x-slack-signature"] = ["v0=" + "0" * 64]
    assert _app(store, slack, seed.published).dispatch(request).status == 401
    assert store.event(TEAM, event).state == "open"  # type: ignore[union-attr]
