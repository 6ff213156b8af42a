"""Jobs the web process queues and the workers run: reading a pasted article, summarizing a
thread, and posting the result.

A job is at-least-once (a crashed worker's job is reclaimed), so the post carries the job id in
its message metadata and a rerun looks for it before posting again; storing is idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import article_message
from bot.errors import BadInput
from bot.extraction import extract
from bot.reminders import ArticleRecord, article_id, schedule, track
from bot.slack_client import MAX_PAGES, find_by_metadata, metadata_of
from bot.store import RedisStore
from bot.summary import summarize, title_of
from bot.thread_summary import ThreadMessage, summarize_thread, summary_message
from bot.tracking import ArticleInput, track_article

log = structlog.get_logger(__name__)
ARTICLE_EVENT_TYPE = "newsbot_article"


def track_text_job(team: str, channel: str, user: str, text: str) -> dict[str, str]:
    return {"type": "track_text", "team": team, "channel": channel, "user": user, "text": text}


def summarize_thread_job(team: str, channel: str, thread_ts: str, user: str) -> dict[str, str]:
    return {
        "type": "summarize_thread", "team": team, "channel": channel, "thread_ts": thread_ts,
        "user": user,
    }  # fmt: skip


def run_job(
    store: RedisStore, client: WebClient, job_id: str, job: dict[str, str], now: datetime
) -> str:
    """Carry out one job; returns what happened (for logs and tests)."""
    if job.get("type") == "summarize_thread":
        return _summarize_thread(store, client, job_id, job, now)
    if job.get("type") != "track_text":
        log.warning("job_unknown_type", job=job_id, type=job.get("type"))
        return "unknown"
    team, channel, user, text = job["team"], job["channel"], job["user"], job["text"]
    zone = store.channel_policy(team, channel).zone
    key = article_id(channel, text)
    if store.article(team, key) is not None and _earlier_post(client, channel, job_id) is None:
        _tell(client, channel, user, "I'm already tracking that article in this channel.")
        return "duplicate"
    try:
        events = extract(text, now, zone)
    except BadInput as error:
        _tell(client, channel, user, f"I couldn't read that: {error}.")
        return "refused"
    tracked = [event for event, _ in track(events, key)]
    ts = _earlier_post(client, channel, job_id)
    if ts is None:
        message = article_message(
            title_of(text), summarize(text), tracked,
            date_note="Pasted text has no date of its own: relative dates are read from today.",
        )  # fmt: skip
        response = client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False,
            metadata={"event_type": ARTICLE_EVENT_TYPE,
                      "event_payload": {"job_id": job_id, "article_id": key}},
        )  # fmt: skip
        ts = str(response["ts"])
    article = ArticleInput(
        team=team, channel=channel, thread_ts=ts, title=title_of(text), text=text,
        published=now, zone=zone,
    )  # fmt: skip
    result = track_article(store, article, now, events=events)
    log.info("article_tracked", team=team, channel=channel, events=len(result.events))
    return "tracked"


def read_thread(client: WebClient, channel: str, thread_ts: str) -> list[ThreadMessage]:
    """Every message of a thread, page after page, without the bot's own alerts and summaries."""
    messages: list[ThreadMessage] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        response = client.conversations_replies(
            channel=channel, ts=thread_ts, limit=200, cursor=cursor, include_all_metadata=True
        )
        page: list[dict[str, Any]] = response.get("messages") or []
        messages += [
            ThreadMessage(str(m.get("user", "")), str(m.get("text", "")), str(m["ts"]))
            for m in page
            if m.get("text") and not _ours(m)
        ]
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return messages


def _ours(message: dict[str, Any]) -> bool:
    return metadata_of(message)[0].startswith("newsbot_")


def _summarize_thread(
    store: RedisStore, client: WebClient, job_id: str, job: dict[str, str], now: datetime
) -> str:
    team, channel, thread_ts, user = job["team"], job["channel"], job["thread_ts"], job["user"]
    if _earlier_post(client, channel, job_id, thread_ts) is not None:
        return "already_posted"
    try:
        messages = read_thread(client, channel, thread_ts)
    except SlackApiError as error:
        _tell(
            client, channel, user, f"I couldn't read that thread ({error.response.get('error')})."
        )
        return "unreadable"
    policy = store.channel_policy(team, channel)
    summary = summarize_thread(messages, policy.zone)
    # Deadlines found in a thread are stored but not followed until someone presses Track.
    key = article_id(channel, f"thread:{thread_ts}")
    tracked = track([d.event for d in summary.deadlines], key)
    if tracked:
        record = ArticleRecord(
            id=key, channel=channel, thread_ts=thread_ts, title="Slack thread", url=None,
            published=now, zone=policy.zone, stored_at=now,
        )  # fmt: skip
        plans = [(t, schedule(t, src, record, policy, now)) for t, src in tracked]
        store.save_article(team, record, plans)
        for event, _ in tracked:
            stored = store.event(team, event.id)
            if stored is not None and stored.state == "open":
                store.set_event_state(team, event.id, "not_relevant")
    message = summary_message(summary, [t.id for t, _ in tracked])
    client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks,
        metadata={"event_type": ARTICLE_EVENT_TYPE, "event_payload": {"job_id": job_id}},
    )  # fmt: skip
    return "summarized"


def _earlier_post(
    client: WebClient, channel: str, job_id: str, thread_ts: str | None = None
) -> str | None:
    """The ts of a post this job already made (a rerun after a crash must not post twice)."""
    # A stream id starts with its creation time in ms: only later posts can be this job's.
    oldest = f"{int(job_id.split('-', 1)[0]) / 1000 - 60:.6f}" if job_id[:1].isdigit() else "0"

    def made_by_this_job(message: dict[str, Any]) -> bool:
        event_type, payload = metadata_of(message)
        return event_type == ARTICLE_EVENT_TYPE and payload.get("job_id") == job_id

    try:
        return find_by_metadata(client, channel, thread_ts or "", made_by_this_job, oldest)
    except SlackApiError:
        return None


def _tell(client: WebClient, channel: str, user: str, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as error:
        log.warning("ephemeral_failed", channel=channel, error=str(error.response.get("error")))
