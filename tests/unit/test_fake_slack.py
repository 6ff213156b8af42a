"""The fake Slack Web API, driven by slack_sdk's real WebClient over loopback HTTP."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.fakes.slack_api import FakeSlack

TOKEN = "xoxb-test-token"
CHANNEL = "C0NEWS"
REMINDER_METADATA: dict[str, Any] = {
    "event_type": "newsbot_reminder",
    "event_payload": {"reminder_id": "r1"},
}
# slack_sdk reads these itself (ignoring NO_PROXY); a set one would route loopback calls away.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(autouse=True)
def _without_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake_slack.base_url, timeout=5)


def _slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> tuple[int, str]:
    response = excinfo.value.response
    return response.status_code, response["error"]


def test_post_then_history_round_trips_metadata(fake_slack: FakeSlack, client: WebClient) -> None:
    assert fake_slack.base_url.startswith("http://127.0.0.1:")
    assert fake_slack.base_url.endswith("/api/")
    posted = client.chat_postMessage(
        channel=CHANNEL, text="Reminder: the vote is today", metadata=REMINDER_METADATA
    )
    assert posted["ok"] and posted["channel"] == CHANNEL
    assert posted["message"]["metadata"] == REMINDER_METADATA
    plain = client.chat_postMessage(channel=CHANNEL, text="plain")
    assert float(plain["ts"]) > float(posted["ts"])

    history = client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    newest, oldest = history["messages"]
    assert (newest["ts"], newest["text"]) == (plain["ts"], "plain")
    assert "metadata" not in newest and "thread_ts" not in newest
    assert oldest["ts"] == posted["ts"]
    assert oldest["metadata"] == REMINDER_METADATA
    assert history["has_more"] is False

    stored = fake_slack.posts(CHANNEL)[0]
    assert (stored.event_type, stored.event_payload) == ("newsbot_reminder", {"reminder_id": "r1"})
    assert stored.token == TOKEN and stored.thread_ts is None
    assert stored.received_at <= time.time() and stored.received_monotonic <= time.monotonic()
    # chat.* goes out as a JSON body; conversations.* as a form, so booleans become "1".
    history_call = fake_slack.calls_for("conversations.history")[0]
    assert history_call.params["include_all_metadata"] == "1"


def test_form_and_multipart_bodies_carry_json_encoded_fields(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    form_fields = {
        "channel": CHANNEL,
        "text": "form",
        "blocks": json.dumps(blocks),
        "metadata": json.dumps(REMINDER_METADATA),
    }
    client.api_call("chat.postMessage", params=form_fields)  # x-www-form-urlencoded
    client.api_call("chat.postMessage", data={**form_fields, "text": "multipart"})
    with pytest.raises(SlackApiError) as excinfo:  # a dict in a form is sent as its repr
        client.api_call("chat.postMessage", params={**form_fields, "metadata": REMINDER_METADATA})
    assert _slack_error(excinfo) == (200, "invalid_metadata_format")

    form_post, multipart_post = fake_slack.posts(CHANNEL)
    for post in (form_post, multipart_post):
        assert post.blocks == blocks and post.metadata == REMINDER_METADATA
    assert multipart_post.text == "multipart"
    assert fake_slack.calls[0].params["metadata"] == REMINDER_METADATA


def test_thread_replies_come_back_oldest_first(fake_slack: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")["ts"]
    first = client.chat_postMessage(channel=CHANNEL, text="first", thread_ts=parent)["ts"]
    second = client.chat_postMessage(channel=CHANNEL, text="second", thread_ts=first)["ts"]

    replies = client.conversations_replies(channel=CHANNEL, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["parent", "first", "second"]
    assert [m["thread_ts"] for m in replies] == [parent, parent, parent]
    assert replies[0]["reply_count"] == 2 and replies[0]["latest_reply"] == second

    since_first = client.conversations_replies(channel=CHANNEL, ts=parent, oldest=first)
    assert [m["text"] for m in since_first["messages"]] == ["parent", "second"]

    history = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["ts"] for m in history] == [second, first, parent]
    assert fake_slack.posts(CHANNEL)[2].is_reply

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_replies(channel=CHANNEL, ts="1.000000")
    assert _slack_error(excinfo) == (200, "thread_not_found")


def test_history_can_leave_thread_replies_out_like_real_slack() -> None:
    with FakeSlack(history_includes_replies=False, first_ts="1700000000.000100") as fake:
        client = WebClient(token=TOKEN, base_url=fake.base_url, timeout=5)
        parent = client.chat_postMessage(channel=CHANNEL, text="parent")["ts"]
        client.chat_postMessage(channel=CHANNEL, text="quiet", thread_ts=parent)
        client.chat_postMessage(
            channel=CHANNEL, text="loud", thread_ts=parent, reply_broadcast=True
        )
        history = client.conversations_history(channel=CHANNEL)["messages"]
    assert parent == "1700000000.000100"
    assert [m["text"] for m in history] == ["loud", "parent"]


def test_history_and_replies_paginate_with_next_cursor(client: WebClient) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="m0")["ts"]
    for index in range(1, 5):
        client.chat_postMessage(channel=CHANNEL, text=f"m{index}")
        client.chat_postMessage(channel=CHANNEL, text=f"r{index}", thread_ts=parent)
    client.chat_postMessage(channel="C0OTHER", text="elsewhere")

    pages: list[list[str]] = []
    cursor = None
    while True:
        page = client.conversations_history(channel=CHANNEL, limit=4, cursor=cursor)
        pages.append([m["text"] for m in page["messages"]])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == [["r4", "m4", "r3", "m3"], ["r2", "m2", "r1", "m1"], ["m0"]]

    iterated = [
        m["text"]
        for page in client.conversations_replies(channel=CHANNEL, ts=parent, limit=2)
        for m in page["messages"]
    ]
    assert iterated == ["m0", "r1", "r2", "r3", "r4"]

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel=CHANNEL, cursor="not-a-cursor")
    assert _slack_error(excinfo) == (200, "invalid_cursor")


def test_ratelimited_is_http_429_with_retry_after_when_no_handler_retries(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    fake_slack.fail_next("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="too fast")
    assert _slack_error(excinfo) == (429, "ratelimited")
    assert excinfo.value.response.headers["Retry-After"] == "7"

    client.chat_postMessage(channel=CHANNEL, text="later")  # the fault was used up
    assert [p.text for p in fake_slack.posts()] == ["later"]
    assert len(fake_slack.calls_for("chat.postMessage")) == 2
    assert fake_slack.pending_fault_count == 0


def test_rate_limit_retry_handler_waits_and_retries(fake_slack: FakeSlack) -> None:
    retrying_client = WebClient(
        token=TOKEN,
        base_url=fake_slack.base_url,
        timeout=5,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake_slack.fail_next("chat.postMessage", "ratelimited", retry_after=0)
    assert retrying_client.chat_postMessage(channel=CHANNEL, text="eventually")["ok"]
    assert len(fake_slack.calls_for("chat.postMessage")) == 2
    assert len(fake_slack.posts()) == 1


def test_server_error_is_http_500(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.fail_next("chat.postMessage", "server_error", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel=CHANNEL, text="boom")
        assert excinfo.value.response.status_code == 500
    assert client.chat_postMessage(channel=CHANNEL, text="recovered")["ok"]


def test_timeout_raises_and_the_post_still_lands(fake_slack: FakeSlack) -> None:
    impatient_client = WebClient(token=TOKEN, base_url=fake_slack.base_url, timeout=1)
    fake_slack.timeout_delay = 1.4
    fake_slack.fail_next("chat.postMessage", "timeout")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        impatient_client.chat_postMessage(channel=CHANNEL, text="slow")
    assert 0.9 < time.monotonic() - started < 1.4
    # Like real Slack, the message was accepted even though the client gave up.
    assert [p.text for p in fake_slack.wait_for_posts(1, timeout=3)] == ["slow"]


def test_slack_error_strings_channel_filters_and_failing_channels(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    fake_slack.fail_next("chat.postMessage", "channel_not_found", channel="C0GONE")
    fake_slack.fail_next("*", "not_in_channel", channel="C0OUT")
    assert client.chat_postMessage(channel=CHANNEL, text="unaffected")["ok"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GONE", text="x")
    assert _slack_error(excinfo) == (200, "channel_not_found")
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C0OUT")
    assert _slack_error(excinfo) == (200, "not_in_channel")

    fake_slack.fail_channel("C0OLD", "is_archived")
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C0OLD", text="x")
        assert _slack_error(excinfo) == (200, "is_archived")
    fake_slack.clear_channel_failure("C0OLD")
    assert client.chat_postMessage(channel="C0OLD", text="unarchived")["ok"]
    assert [p.text for p in fake_slack.posts()] == ["unaffected", "unarchived"]


def test_requests_without_a_token_are_not_authed(fake_slack: FakeSlack) -> None:
    anonymous_client = WebClient(base_url=fake_slack.base_url, timeout=5)
    with pytest.raises(SlackApiError) as excinfo:
        anonymous_client.chat_postMessage(channel=CHANNEL, text="who am I")
    assert _slack_error(excinfo) == (200, "not_authed")
    assert fake_slack.posts() == []

    form_with_token = urllib.request.Request(
        fake_slack.base_url + "auth.test", data=f"token={TOKEN}".encode(), method="POST"
    )
    with urllib.request.urlopen(form_with_token, timeout=5) as response:
        identity = json.load(response)
    assert identity["ok"] and (identity["user_id"], identity["team_id"]) == ("UBOT", "T1")
    assert identity["bot_id"] == "B1"


def test_unknown_methods_and_missing_arguments(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.reactions_add(channel=CHANNEL, name="eyes", timestamp="1.000000")
    assert _slack_error(excinfo) == (200, "unknown_method")
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json={"channel": CHANNEL})
    assert _slack_error(excinfo) == (200, "no_text")
    assert client.auth_test()["user_id"] == "UBOT"


def test_update_and_ephemeral(fake_slack: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="draft", metadata=REMINDER_METADATA)["ts"]
    updated = client.chat_update(channel=CHANNEL, ts=ts, text="final")
    assert (updated["ts"], updated["message"]["text"]) == (ts, "final")
    assert "edited" in updated["message"]
    [post] = fake_slack.posts()
    assert (post.text, post.metadata) == ("final", REMINDER_METADATA)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=CHANNEL, ts="1.000000", text="x")
    assert _slack_error(excinfo) == (200, "message_not_found")

    ephemeral = client.chat_postEphemeral(channel=CHANNEL, user="U0READER", text="only you")
    [recorded] = fake_slack.ephemerals(CHANNEL)
    assert (recorded.message_ts, recorded.user) == (ephemeral["message_ts"], "U0READER")
    history = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["text"] for m in history] == ["final"]


def test_latency_is_added_to_every_response(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.latency = 0.2
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2


def test_concurrent_posts_get_unique_increasing_ts(fake_slack: FakeSlack) -> None:
    def post_batch(worker: int) -> list[str]:
        worker_client = WebClient(token=TOKEN, base_url=fake_slack.base_url, timeout=5)
        return [
            worker_client.chat_postMessage(channel=f"C{worker}", text=f"{index}")["ts"]
            for index in range(40)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        returned = [ts for batch in pool.map(post_batch, range(8)) for ts in batch]
    stored = [post.ts for post in fake_slack.posts()]
    assert len(stored) == len(set(stored)) == 320
    assert sorted(returned) == sorted(stored)
    assert [float(ts) for ts in stored] == sorted(float(ts) for ts in stored)
    assert fake_slack.internal_errors == []


def test_reset_forgets_records_and_faults_but_keeps_the_workspace(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="before")["ts"]
    fake_slack.fail_next("chat.postMessage", "ratelimited")
    fake_slack.fail_channel(CHANNEL, "is_archived")
    fake_slack.latency = 5.0
    fake_slack.reset()
    assert fake_slack.calls == [] and fake_slack.posts() == []
    assert fake_slack.pending_fault_count == 0 and fake_slack.latency == 0.0
    assert client.chat_postMessage(channel=CHANNEL, text="after", thread_ts=parent)["ok"]
    [(method, params, received_at)] = fake_slack.calls
    assert (method, params["text"]) == ("chat.postMessage", "after")
    assert received_at <= time.time()
    replies = client.conversations_replies(channel=CHANNEL, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["before", "after"]

    fake_slack.reset(forget_messages=True)
    assert client.conversations_history(channel=CHANNEL)["messages"] == []


def test_random_faults_answer_a_share_with_429_or_500_some_after_storing(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    fake_slack.random_faults(0.3, seed=5, applied_share=0.5)
    answered = failed = 0
    for n in range(300):
        try:
            client.chat_postMessage(channel="C9", text=f"post {n}")
            answered += 1
        except SlackApiError as error:
            assert error.response.status_code in (429, 500)
            failed += 1
    counts = fake_slack.random_fault_counts
    assert failed == sum(counts.values()) and 50 < failed < 130
    assert counts["ratelimited"] > 0 and counts["server_error"] > 0
    # A 500 after storing: the message is there though the caller was told it failed.
    assert len(fake_slack.posts("C9")) == answered + counts["applied_server_error"] > answered
    fake_slack.random_faults(0)
    client.chat_postMessage(channel="C9", text="calm again")
