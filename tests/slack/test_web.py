"""`newsbot serve` as a real HTTP server: signed slash commands, the job stream into a worker,
signature and replay checks, and the health, readiness and metrics endpoints."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient

from bot.fetcher import Fetcher
from bot.jobs import run_job
from bot.local_redis import LocalRedis, free_port
from bot.store import RedisStore
from bot.tracking import ArticleInput, track_article
from tests.conftest import Seed
from tests.fakes.news_pages import FeedItem, news_page, rss
from tests.fakes.news_site import NewsSite
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "web-test-secret"
TEAM = "T1"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(
    redis_server: LocalRedis, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS"))}
    env.update(
        REDIS_URL=redis_server.url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url, LOG_LEVEL="WARNING",
        # Test-only: the local news site is on loopback, which production refuses.
        NEWSBOT_TEST_ALLOW_FETCH_NETWORKS="127.0.0.1/32",
    )  # fmt: skip
    log = tmp_path_factory.mktemp("web") / "web.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError("newsbot serve did not come up: " + log.read_text())
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        assert "Traceback" not in log.read_text()


def _post(
    base: str, body: str, *, stamp: int | None = None, secret: str = SECRET
) -> tuple[int, str]:
    stamp = int(time.time()) if stamp is None else stamp
    signature = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    request = urllib.request.Request(
        f"{base}/slack/events", data=body.encode(), method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": f"v0={signature.hexdigest()}",
        },
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def _news(
    base: str, text: str, channel: str = "C1", **signing: object
) -> tuple[int, dict[str, object]]:
    body = urlencode({
        "command": "/news", "text": text, "team_id": TEAM, "channel_id": channel,
        "user_id": "U1", "response_url": "http://127.0.0.1:9/unused", "trigger_id": "1.2.3",
        "api_app_id": "A1", "token": "legacy",
    })  # fmt: skip
    status, raw = _post(base, body, **signing)  # type: ignore[arg-type]
    return status, (json.loads(raw) if raw.startswith("{") else {"raw": raw})


def test_help_lists_every_subcommand(server: str) -> None:
    status, reply = _news(server, "help")
    assert status == 200 and reply["response_type"] == "ephemeral"
    for sub in ("track", "deadlines", "settings tz", "settings quiet", "feeds add", "help"):
        assert f"/news {sub}" in str(reply["text"])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Tell me what to do"),
        ("frobnicate now", "I don't know `frobnicate`"),
        ("deadlines many", "number of days"),
        ("settings tz Mars/Base", "not a time zone"),
        ("settings quiet late", "HH-HH"),
        ("track", "Give me a URL"),
        ("track too short", "too short"),
    ],
)
def test_bad_input_gets_a_friendly_ephemeral_error(server: str, text: str, says: str) -> None:
    status, reply = _news(server, text)
    assert status == 200
    assert reply["response_type"] == "ephemeral"
    assert says in str(reply["text"])


def test_settings_change_the_channel_policy(server: str, store: RedisStore) -> None:
    assert "Asia/Tokyo" in str(_news(server, "settings tz Asia/Tokyo", channel="CSET")[1]["text"])
    assert "22:00" in str(_news(server, "settings quiet 22-07", channel="CSET")[1]["text"])
    policy = store.channel_policy(TEAM, "CSET")
    assert (policy.zone, policy.quiet.start, policy.quiet.end) == ("Asia/Tokyo", 22, 7)


def test_deadlines_groups_upcoming_windows_by_day(server: str, store: RedisStore) -> None:
    published = datetime.now(UTC) - timedelta(hours=1)
    text = (
        "The finance committee will vote on the budget next Tuesday, its chair said. "
        "A hearing on the appeal is expected later this month, lawyers said on Monday."
    )
    track_article(store, ArticleInput(team=TEAM, channel="CDL", thread_ts="1.0",
                  title="Budget vote", text=text, published=published, zone="UTC"), published)  # fmt: skip
    status, reply = _news(server, "deadlines 40", channel="CDL")
    assert status == 200
    blocks = json.dumps(reply["blocks"])
    assert "Next 40 days" in blocks and "vote" in blocks and "Budget vote" in blocks


def test_track_pasted_text_goes_through_the_job_stream(
    server: str, store: RedisStore, slack: FakeSlack, seed: Seed
) -> None:
    store.ensure_job_group()
    status, reply = _news(server, "track " + seed.text, channel="CTRACK")
    assert status == 200 and "Reading the article" in str(reply["text"])
    [(job_id, job)] = store.read_jobs(
        "test-worker", count=10, block_ms=2000, reclaim_idle_ms=60_000
    )
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    assert run_job(store, client, job_id, job, datetime(2025, 4, 18, 10, tzinfo=UTC)) == "tracked"
    store.ack_job(job_id)
    [post] = slack.posts("CTRACK")
    assert post.blocks is not None and post.blocks[0]["type"] == "header"
    assert "London" in json.dumps(post.blocks)
    assert len([r for r in store.reminders(TEAM) if r.channel == "CTRACK"]) == 8
    # A second identical request is recognised, not posted again.
    _news(server, "track " + seed.text, channel="CTRACK")
    [(job_id, job)] = store.read_jobs(
        "test-worker", count=10, block_ms=2000, reclaim_idle_ms=60_000
    )
    assert run_job(store, client, job_id, job, datetime(2025, 4, 18, 10, tzinfo=UTC)) == "duplicate"
    assert len(slack.posts("CTRACK")) == 1


def test_forty_kilobytes_of_pasted_text_is_accepted(server: str) -> None:
    paragraph = "The council will vote on the new transit plan next Thursday, officials said. "
    text = paragraph * (40_000 // len(paragraph) + 1)
    status, reply = _news(server, "track " + text, channel="CBIG")
    assert status == 200 and "Reading the article" in str(reply["text"])


def test_bad_signature_and_replayed_requests_are_refused(server: str) -> None:
    assert _news(server, "help", secret="wrong")[0] == 401
    assert _news(server, "help", stamp=int(time.time()) - 6 * 60)[0] == 401


def test_unknown_paths_and_health(server: str) -> None:
    # /healthz: the process answers; /readyz: it can serve now (Redis answers). The 503s are in
    # tests/slack/test_health_metrics.py, against a Redis of their own.
    for probe in ("/healthz", "/readyz"):
        with urllib.request.urlopen(f"{server}{probe}", timeout=2) as response:
            assert response.read() == b"ok\n"
    with urllib.request.urlopen(f"{server}/metrics", timeout=5) as response:
        assert b"# TYPE newsbot_ack_seconds histogram" in response.read()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server}/nothing", timeout=2)
    assert missing.value.code == 404
    missing.value.close()


def test_a_command_whose_text_says_payload_is_still_a_command(
    server: str, store: RedisStore
) -> None:
    # Bolt alone took any form body containing "payload" for an interaction and answered 404.
    store.ensure_job_group()
    text = "track The rocket's payload, a weather satellite, is due to launch next Tuesday. " * 3
    status, reply = _news(server, text, channel="CPAYLOAD")
    assert status == 200 and "Reading the article" in str(reply["text"])
    [(job_id, job)] = _jobs(store)
    assert job["channel"] == "CPAYLOAD" and "payload" in job["text"]
    store.ack_job(job_id)
    status, reply = _news(server, "payload=oops", channel="CPAYLOAD")
    assert status == 200 and "payload" in str(reply["text"])


def _event(base: str, payload: dict[str, object], retry: int | None = None) -> int:
    body = json.dumps(payload)
    stamp = int(time.time())
    signature = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": f"v0={signature.hexdigest()}",
    }
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    request = urllib.request.Request(f"{base}/slack/events", data=body.encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def _jobs(store: RedisStore) -> list[tuple[str, dict[str, str]]]:
    return store.read_jobs("test-worker", count=50, block_ms=500, reclaim_idle_ms=60_000)


def test_mention_in_a_thread_queues_one_summary_even_when_slack_retries(
    server: str, store: RedisStore
) -> None:
    store.ensure_job_group()
    payload = {
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A1", "event_id": "Ev123",
        "event_time": int(time.time()), "token": "legacy",
        "event": {"type": "app_mention", "user": "U1", "channel": "CTHR", "ts": "1700000100.000200",
                  "thread_ts": "1700000000.000100", "text": "<@UBOT> summarize please"},
    }  # fmt: skip
    assert _event(server, payload) == 200
    assert _event(server, payload, retry=1) == 200
    time.sleep(0.5)  # the listener runs after the ack
    jobs = _jobs(store)
    assert [(j["type"], j["thread_ts"]) for _, j in jobs] == [
        ("summarize_thread", "1700000000.000100")
    ]


def test_message_shortcut_queues_a_summary(server: str, store: RedisStore) -> None:
    store.ensure_job_group()
    payload = {
        "type": "message_action", "callback_id": "summarize_thread", "trigger_id": "1.2",
        "team": {"id": TEAM}, "user": {"id": "U1"}, "channel": {"id": "CSHORT"},
        "message": {"ts": "1700000200.000100", "text": "hi"}, "token": "legacy",
        "api_app_id": "A1",
    }  # fmt: skip
    status, _ = _post(server, urlencode({"payload": json.dumps(payload)}))
    assert status == 200
    time.sleep(0.5)
    assert [j["channel"] for _, j in _jobs(store)] == ["CSHORT"]


def test_summary_of_a_600_message_thread_stays_within_block_kit_limits(
    store: RedisStore, slack: FakeSlack
) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    parent = str(client.chat_postMessage(channel="CLONG", text="Launch planning thread")["ts"])
    lines = [
        "We decided to ship the beta to partners next Tuesday.",
        "Can legal review the contract before then?",
        "The board will vote on the budget on the 28th.",
        "Marketing needs the final copy by Friday.",
        "I agree, the partner list looks right.",
        "Who owns the press release?",
    ]
    for i in range(600):
        client.chat_postMessage(
            channel="CLONG", thread_ts=parent, text=f"{lines[i % len(lines)]} (note {i})"
        )
    job = {"type": "summarize_thread", "team": TEAM, "channel": "CLONG", "thread_ts": parent,
           "user": "U1"}  # fmt: skip
    now = datetime.now(UTC)
    job_id = f"{int(time.time() * 1000)}-0"
    assert run_job(store, client, job_id, job, now) == "summarized"
    [summary] = [p for p in slack.posts("CLONG") if p.text.startswith("Thread summary")]
    assert summary.thread_ts == parent and summary.blocks is not None
    assert len(summary.blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in summary.blocks if b["type"] == "section")
    text = json.dumps(summary.blocks)
    assert "We decided to ship the beta" in text and "Who owns the press release?" in text
    assert "601 messages" in text
    track = next(
        b for b in summary.blocks if b.get("accessory", {}).get("action_id") == "event_track"
    )
    event_id = track["accessory"]["value"]
    assert store.event(TEAM, event_id).state == "not_relevant"  # type: ignore[union-attr]
    # Running the same job again (a worker crashed after posting) does not post twice.
    assert run_job(store, client, job_id, job, now) == "already_posted"


def test_app_home_shows_only_the_users_channels_next_week_first(
    server: str, store: RedisStore, slack: FakeSlack
) -> None:
    now = datetime.now(UTC)
    for channel, text in (
        ("CMINE", "The council will vote on the transit plan tomorrow, officials said."),
        ("CMINE", "The regulator will decide on the merger in five weeks, the agency said."),
        ("CSECRET", "The board will meet tomorrow to pick a new chief executive."),
    ):
        track_article(store, ArticleInput(team=TEAM, channel=channel, thread_ts="1.0",
                      title=f"Story {text[:20]}", text=text, published=now, zone="UTC"), now)  # fmt: skip
    slack.memberships["U7"] = ["CMINE"]
    payload = {
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A1", "event_id": "EvHome1",
        "event_time": int(time.time()), "token": "legacy",
        "event": {"type": "app_home_opened", "user": "U7", "channel": "D1", "tab": "home"},
    }  # fmt: skip
    assert _event(server, payload) == 200
    deadline = time.monotonic() + 5
    while not slack.published_views and time.monotonic() < deadline:
        time.sleep(0.1)
    [(user, view)] = slack.published_views
    text = json.dumps(view)
    assert user == "U7"
    assert "transit plan" in text and "merger" in text
    assert "chief executive" not in text  # a channel U7 is not in
    assert text.index("Next 7 days") < text.index("transit plan") < text.index("Later")


def test_summary_and_digest_subscription(server: str, store: RedisStore) -> None:
    now = datetime.now(UTC)
    track_article(store, ArticleInput(team=TEAM, channel="CSUM", thread_ts="1.0",
                  title="Port strike talks", text="Dockworkers will vote on the offer next week, "
                  "the union said, after talks ran late into the night.", published=now,
                  zone="UTC"), now)  # fmt: skip
    status, reply = _news(server, "summary week", channel="CSUM")
    assert status == 200 and "Port strike talks" in json.dumps(reply["blocks"])
    status, reply = _news(server, "digest weekly monday 09:00", channel="CSUM")
    assert "every Monday at 09:00" in str(reply["text"])
    schedule = store.digests(TEAM)["CSUM"]
    assert (schedule["k"], schedule["at"], schedule["wd"]) == ("weekly", "09:00", 0)
    assert "off" in str(_news(server, "digest off", channel="CSUM")[1]["text"])
    assert "CSUM" not in store.digests(TEAM)
    assert "digest daily" in str(_news(server, "digest sometimes", channel="CSUM")[1]["text"])


def test_ignore_then_track_buttons_over_http(
    server: str, store: RedisStore, slack: FakeSlack
) -> None:
    now = datetime.now(UTC)
    result = track_article(store, ArticleInput(team=TEAM, channel="CBTN", thread_ts="1.0",
                           title="Summit", text="Leaders will meet in Geneva next Thursday to "
                           "discuss the truce, diplomats said.", published=now, zone="UTC"), now)  # fmt: skip
    [event] = result.events

    def click(action: str) -> int:
        payload = {
            "type": "block_actions", "team": {"id": TEAM}, "user": {"id": "U1", "team_id": TEAM},
            "channel": {"id": "CBTN"}, "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2",
            "container": {"type": "message", "message_ts": "1.0", "channel_id": "CBTN"},
            "actions": [{"action_id": action, "value": event.id, "type": "button"}],
        }  # fmt: skip
        return _post(server, urlencode({"payload": json.dumps(payload)}))[0]

    assert click("event_ignore") == 200
    deadline = time.monotonic() + 5
    while store.event(TEAM, event.id).state == "open" and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert store.event(TEAM, event.id).state == "not_relevant"  # type: ignore[union-attr]
    assert {r.state for r in store.reminders(TEAM) if r.event == event.id} == {"cancelled"}
    assert click("event_track") == 200
    while store.event(TEAM, event.id).state != "open" and time.monotonic() < deadline + 5:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert {r.state for r in store.reminders(TEAM) if r.event == event.id} == {"scheduled"}


def _jobs(store: RedisStore) -> list[tuple[str, dict[str, str]]]:
    return store.read_jobs("test-worker", count=10, block_ms=500, reclaim_idle_ms=60_000)


def test_track_a_link_fetches_reads_and_posts_through_the_worker(
    server: str, store: RedisStore, slack: FakeSlack
) -> None:
    store.ensure_job_group()
    published = datetime.now(UTC) - timedelta(hours=2)
    body = [
        "The finance committee will vote on the transit budget next Tuesday, its chair said.",
        "The plan has divided the council for months, with members from outer districts "
        "arguing that the new lines favour the centre and do little for commuters elsewhere.",
        "Supporters say the budget finally funds maintenance that was put off for a decade.",
    ]
    with NewsSite() as site:
        url = site.url("/city/transit-vote")
        site.add("/city/transit-vote", news_page("Council to vote on transit budget", body, url,
                 published=published).encode())  # fmt: skip
        status, reply = _news(server, f"track <{url}>", channel="CURL")
        assert status == 200 and f"Reading {url}" in str(reply["text"])
        [(job_id, job)] = _jobs(store)
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        fetcher = Fetcher(allow_networks=("127.0.0.1/32",))
        assert run_job(store, client, job_id, job, datetime.now(UTC), fetcher=fetcher) == "tracked"
        store.ack_job(job_id)
    [post] = slack.posts("CURL")
    assert post.blocks is not None
    assert post.blocks[0]["text"]["text"] == "Council to vote on transit budget"
    assert "vote" in json.dumps(post.blocks) and url in json.dumps(post.blocks)


def test_a_link_to_a_private_address_is_refused_at_once(server: str, store: RedisStore) -> None:
    store.ensure_job_group()
    status, reply = _news(server, "track http://169.254.169.254/latest/meta-data/", channel="CX")
    assert status == 200 and "link-local" in str(reply["text"])
    status, reply = _news(server, "feeds add http://10.0.0.7/rss", channel="CX")
    assert status == 200 and "private" in str(reply["text"])
    assert _jobs(store) == []


def test_feeds_add_list_remove_through_slash_commands(
    server: str, store: RedisStore, slack: FakeSlack
) -> None:
    store.ensure_job_group()
    item_time = datetime.now(UTC) - timedelta(hours=1)
    with NewsSite() as site:
        feed = site.add(
            "/rss.xml",
            rss([FeedItem("A story", site.url("/a"), "g-a", item_time)]).encode(),
            content_type="application/rss+xml",
        )
        status, reply = _news(server, f"feeds add {feed} --not sports,weather", channel="CFEED")
        assert status == 200 and "Checking" in str(reply["text"])
        [(job_id, job)] = _jobs(store)
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        fetcher = Fetcher(allow_networks=("127.0.0.1/32",))
        assert (
            run_job(store, client, job_id, job, datetime.now(UTC), fetcher=fetcher) == "subscribed"
        )
        store.ack_job(job_id)
    assert "subscribed this channel" in slack.posts("CFEED")[0].text
    listed = str(_news(server, "feeds list", channel="CFEED")[1]["text"])
    assert feed in listed and "“sports”" in listed
    assert "Stopped following" in str(_news(server, "feeds remove 1", channel="CFEED")[1]["text"])
    assert "follows no feed" in str(_news(server, "feeds", channel="CFEED")[1]["text"])


def _message_event(base: str, event: dict[str, object], event_id: str) -> int:
    body = json.dumps({
        "token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
    })  # fmt: skip
    stamp = int(time.time())
    signature = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    request = urllib.request.Request(
        f"{base}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(stamp),
                 "X-Slack-Signature": f"v0={signature.hexdigest()}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


def test_links_shared_in_an_autotrack_channel_are_queued_once(
    server: str, store: RedisStore
) -> None:
    store.ensure_job_group()
    message = {"type": "message", "channel": "CAUTO", "user": "U2", "ts": "1700000000.000200",
               "text": "worth a read <https://news.example.org/a?utm_source=x|news.example.org/a>"}  # fmt: skip
    assert _message_event(server, message, "Ev1") == 200
    assert _jobs(store) == []  # autotrack is off by default
    assert "read the links" in str(
        _news(server, "settings autotrack on", channel="CAUTO")[1]["text"]
    )
    assert _message_event(server, message, "Ev2") == 200
    assert _message_event(server, message, "Ev2") == 200  # Slack's retry of the same delivery
    assert (
        _message_event(server, {**message, "bot_id": "B1", "ts": "1700000000.000300"}, "Ev3") == 200
    )
    jobs = _jobs(store)
    assert [(j["url"], j["reply_to"], j["announce"]) for _, j in jobs] == [
        ("https://news.example.org/a?utm_source=x", "1700000000.000200", "if_events")
    ]
