"""Security over real signed HTTP into `newsbot serve`: forged and replayed requests change
nothing, one workspace never reads or changes another's data, and the Slack secrets never
reach the log (the server runs at DEBUG, where Bolt, slack_sdk and urllib3 say the most)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from slack_sdk import WebClient

from bot.local_redis import LocalRedis
from bot.store import RedisStore
from bot.tracking import ArticleInput, TrackResult, track_article
from tests.fakes.slack_api import FakeSlack
from tests.signed_http import (
    CRASH_MARKS,
    FORM,
    JSON,
    ROOT,
    WebProcess,
    command_body,
    interaction_body,
    keyspace,
    settled_keyspace,
    signature,
)

SECRET = "sec-signing-secret-5f1e2d3c4b5a69788796a5b4"
BOT_TOKEN = "xoxb-1111111111-2222222222-SecBotTokenValue0123"
APP_TOKEN = "xapp-1-A0SECURE-3333333333-SecAppTokenValue4567"
T1, T2 = "T1", "T2"
SHARED = "CSHARED"  # the same channel id in both workspaces
ARTICLE = (
    "The city council will vote on the harbour budget next Tuesday, its chair said. "
    "A hearing on the appeal is expected later this month, lawyers said on Monday."
)


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="module")
def web(
    redis_server: LocalRedis, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebProcess]:
    log = tmp_path_factory.mktemp("security-web") / "web.log"
    process = WebProcess.for_slack(
        log, redis_url=redis_server.url, slack_url=slack.base_url, secret=SECRET,
        bot_token=BOT_TOKEN, log_level="DEBUG",
    )  # fmt: skip
    with process:
        yield process


@pytest.fixture
def raw(store: RedisStore, redis_server: LocalRedis) -> Iterator[redis.Redis]:
    """A bytes client on the private Redis, emptied for the test by `store`."""
    client = redis.Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        client.close()


def _track(store: RedisStore, team: str = T1) -> TrackResult:
    now = datetime.now(UTC)
    article = ArticleInput(team=team, channel=SHARED, thread_ts="1.0", title="Harbour budget vote",
                           text=ARTICLE, published=now, zone="UTC")  # fmt: skip
    result = track_article(store, article, now)
    assert result.events
    return result


def _click(team: str, action: str, event: str, message_ts: str) -> dict[str, Any]:
    return {
        "type": "block_actions", "team": {"id": team}, "user": {"id": "U9", "team_id": team},
        "channel": {"id": SHARED}, "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": SHARED},
        "message": {"ts": message_ts, "text": "alert", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "alert"}},
            {"type": "actions", "elements": []}]},
        "actions": [{"action_id": action, "value": event, "type": "button"}],
    }  # fmt: skip


def _mention(team: str, event_id: str) -> dict[str, Any]:
    return {
        "type": "event_callback", "team_id": team, "api_app_id": "A1", "event_id": event_id,
        "event_time": int(time.time()), "token": "legacy",
        "event": {"type": "app_mention", "user": "U1", "channel": SHARED,
                  "ts": "1700000100.000200", "thread_ts": "1700000000.000100",
                  "text": "<@UBOT> summarize please"},
    }  # fmt: skip


def _alert(slack: FakeSlack) -> str:
    client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
    return str(client.chat_postMessage(channel=SHARED, text="alert")["ts"])


# ---------------------------------------------------------------------------- forged requests

# How a request goes wrong: (secret it is signed with, timestamp offset in seconds, what is done
# to the headers after signing).
FORGERIES = {
    "bad signature": (SECRET, 0, "zero signature"),
    "missing signature": (SECRET, 0, "drop signature"),
    "missing signature and timestamp": (SECRET, 0, "drop both"),
    "signed with the wrong secret": ("not-the-signing-secret", 0, None),
    "six minutes old (replay)": (SECRET, -360, None),
    "six minutes ahead": (SECRET, 360, None),
    "old signature, fresh timestamp": (SECRET, -360, "fresh timestamp"),
    "signature of another body": (SECRET, 0, "other body"),
    "v1 scheme": (SECRET, 0, "v1"),
}


def _forged(body: str, forgery: str) -> dict[str, str]:
    secret, offset, tamper = FORGERIES[forgery]
    stamp = int(time.time()) + offset
    headers = {"X-Slack-Request-Timestamp": str(stamp),
               "X-Slack-Signature": signature(body.encode(), stamp, secret)}  # fmt: skip
    if tamper == "zero signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif tamper == "drop signature":
        del headers["X-Slack-Signature"]
    elif tamper == "drop both":
        headers.clear()
    elif tamper == "fresh timestamp":
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
    elif tamper == "other body":
        headers["X-Slack-Signature"] = signature(b"command=%2Fnews&text=help", stamp, secret)
    elif tamper == "v1":
        headers["X-Slack-Signature"] = "v1=" + headers["X-Slack-Signature"].removeprefix("v0=")
    return headers


@pytest.mark.parametrize("forgery", list(FORGERIES))
@pytest.mark.parametrize("kind", ["command", "event", "click"])
def test_forged_and_replayed_requests_are_refused_and_change_nothing(
    web: WebProcess, store: RedisStore, raw: redis.Redis, slack: FakeSlack, kind: str,
    forgery: str,
) -> None:  # fmt: skip
    """Each request would change something if it were signed: a setting, a queued summary,
    an event marked done."""
    event = _track(store).events[0]
    store.ensure_job_group()
    body, content_type = {
        "command": (command_body("settings tz Asia/Tokyo", team=T1, channel=SHARED), FORM),
        "event": (json.dumps(_mention(T1, f"EvForged{forgery}")), JSON),
        "click": (interaction_body(_click(T1, "event_done", event.id, _alert(slack))), FORM),
    }[kind]
    before, jobs = keyspace(raw), store.client.xlen("nb:jobs")
    status, reply = web.post(
        body, content_type, secret=SECRET, sign=False, headers=_forged(body, forgery)
    )
    assert status == 401, reply
    assert settled_keyspace(raw) == before
    assert store.client.xlen("nb:jobs") == jobs
    assert store.event(T1, event.id).state == "open"  # type: ignore[union-attr]
    assert store.channel_policy(T1, SHARED).zone == "UTC"


def test_the_same_requests_signed_are_accepted(
    web: WebProcess, store: RedisStore, slack: FakeSlack
) -> None:
    """The forgeries above are refused for their signature, not for what they ask."""
    event = _track(store).events[0]
    store.ensure_job_group()
    command = command_body("settings tz Asia/Tokyo", team=T1, channel=SHARED)
    assert web.post(command, FORM, secret=SECRET)[0] == 200
    assert web.post(json.dumps(_mention(T1, "EvSigned")), JSON, secret=SECRET)[0] == 200
    click = interaction_body(_click(T1, "event_done", event.id, _alert(slack)))
    assert web.post(click, FORM, secret=SECRET)[0] == 200
    deadline = time.monotonic() + 5
    while store.event(T1, event.id).state != "done" and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert store.event(T1, event.id).state == "done"  # type: ignore[union-attr]
    assert store.channel_policy(T1, SHARED).zone == "Asia/Tokyo"
    assert store.client.xlen("nb:jobs") == 1


# ---------------------------------------------------------------------------- workspaces


def _news(web: WebProcess, team: str, text: str) -> dict[str, Any]:
    status, reply = web.post(command_body(text, team=team, channel=SHARED), FORM, secret=SECRET)
    assert status == 200
    return dict(json.loads(reply))


def _team_keys(raw: redis.Redis, team: str) -> dict[bytes, bytes]:
    prefix = f"nb:{{{team}}}:".encode()
    return {k: v for k, v in keyspace(raw).items() if k.startswith(prefix)}


def test_listings_show_only_the_asking_workspace(web: WebProcess, store: RedisStore) -> None:
    _track(store)
    assert "Harbour budget vote" in json.dumps(_news(web, T1, "deadlines 40"))  # the data is there
    assert "Harbour budget vote" in json.dumps(_news(web, T1, "summary week"))
    for text in ("deadlines 40", "upcoming 365", "summary week", "summary today", "feeds list"):
        reply = json.dumps(_news(web, T2, text))
        assert "Harbour budget vote" not in reply and "harbour" not in reply.lower(), text


def test_settings_from_one_workspace_stay_in_it(
    web: WebProcess, store: RedisStore, raw: redis.Redis
) -> None:
    _track(store)
    before = _team_keys(raw, T1)
    for text in ("settings tz Asia/Tokyo", "settings quiet 22-07", "settings autotrack on",
                 "digest daily 08:30", "feeds remove 1", "digest off"):  # fmt: skip
        _news(web, T2, text)
    assert _team_keys(raw, T1) == before
    assert store.channel_policy(T1, SHARED).zone == "UTC"
    assert store.channel_policy(T2, SHARED).zone == "Asia/Tokyo"


@pytest.mark.parametrize(
    "action",
    ["event_done", "event_not_relevant", "event_snooze_1d", "event_snooze_3d", "event_ignore",
     "event_track"],
)  # fmt: skip
def test_buttons_from_another_workspace_do_not_touch_the_event(
    web: WebProcess, store: RedisStore, raw: redis.Redis, slack: FakeSlack, action: str
) -> None:
    result = _track(store)
    event = result.events[0]
    if action == "event_track":
        store.set_event_state(T1, event.id, "not_relevant")  # Track would bring it back
    state = store.event(T1, event.id)
    reminders = sorted(store.reminders(T1), key=lambda r: r.id)
    before = _team_keys(raw, T1)
    click = interaction_body(_click(T2, action, event.id, _alert(slack)))
    assert web.post(click, FORM, secret=SECRET)[0] == 200
    settled_keyspace(raw)
    assert store.event(T1, event.id) == state
    assert sorted(store.reminders(T1), key=lambda r: r.id) == reminders
    assert _team_keys(raw, T1) == before
    output = web.new_output()
    assert not any(mark in output for mark in CRASH_MARKS), output[-3000:]


def test_app_home_from_another_workspace_shows_none_of_its_deadlines(
    web: WebProcess, store: RedisStore, slack: FakeSlack
) -> None:
    _track(store)
    slack.memberships["U7"] = [SHARED]
    seen = len(slack.published_views)

    def home(team: str, event_id: str) -> str:
        body = {"type": "event_callback", "team_id": team, "api_app_id": "A1",
                "event_id": event_id, "event_time": int(time.time()), "token": "legacy",
                "event": {"type": "app_home_opened", "user": "U7", "channel": "D1",
                          "tab": "home"}}  # fmt: skip
        assert web.post(json.dumps(body), JSON, secret=SECRET)[0] == 200
        deadline = time.monotonic() + 5
        while len(slack.published_views) == seen and time.monotonic() < deadline:
            time.sleep(0.05)
        return json.dumps(slack.published_views[-1])

    assert "harbour budget" not in home(T2, "EvHomeT2").lower()
    seen = len(slack.published_views)
    assert "harbour budget" in home(T1, "EvHomeT1").lower()  # and the same user in T1 sees it


# ---------------------------------------------------------------------------- secrets


def test_secrets_never_reach_the_log_or_slack_call_parameters(
    web: WebProcess, store: RedisStore, slack: FakeSlack
) -> None:
    """Runs last: by now the DEBUG log holds every request of this module. Adds a few more
    that make the libraries talk: Slack API calls that succeed and fail, refused requests,
    unreadable bodies."""
    event = _track(store).events[0]
    store.ensure_job_group()
    text = "track " + ARTICLE
    for body, content_type in [
        (command_body("help", team=T1, channel=SHARED), FORM),
        (command_body(text, team=T1, channel=SHARED), FORM),
        (json.dumps(_mention(T1, "EvSecrets")), JSON),
        (interaction_body(_click(T1, "event_snooze_1d", event.id, _alert(slack))), FORM),
        # chat.update of a message Slack does not have: the API error is logged.
        (interaction_body(_click(T1, "event_done", event.id, "1.000001")), FORM),
        ("{not json", JSON),
        (interaction_body({"type": "block_actions", "actions": [{"action_id": "event_done"}]}), FORM),
    ]:  # fmt: skip
        web.post(body, content_type, secret=SECRET)
        web.post(body, content_type, secret="wrong-secret")
    time.sleep(0.5)  # listeners that run after the answer
    output = web.log.read_text(errors="replace")
    assert "slack_sdk" in output or "Sending a request" in output  # the DEBUG lines are there
    for secret in (BOT_TOKEN, SECRET, APP_TOKEN):
        assert secret not in output
    for call in slack.calls:
        recorded = json.dumps(call.params, default=str)
        assert BOT_TOKEN not in recorded and SECRET not in recorded


def test_socket_mode_start_up_failure_does_not_log_the_app_token(
    redis_server: LocalRedis, slack: FakeSlack
) -> None:
    """With SLACK_APP_TOKEN the web side uses Socket Mode: it asks apps.connections.open (the
    fake Slack, which does not know it) for a WebSocket URL, so it never connects anywhere,
    fails, and must say so without the token."""
    env = WebProcess.for_slack(
        Path(os.devnull), redis_url=redis_server.url, slack_url=slack.base_url, secret=SECRET,
        bot_token=BOT_TOKEN, log_level="DEBUG", SLACK_APP_TOKEN=APP_TOKEN,
    ).env  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
    assert done.returncode == 4, output
    assert "newsbot: error: Socket Mode could not connect: Slack answered" in output
    assert "Traceback" not in output
    for secret in (BOT_TOKEN, SECRET, APP_TOKEN):
        assert secret not in output
