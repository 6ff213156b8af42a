"""Jobs the web process queues and the workers run: reading a pasted article and posting it.

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
from bot.reminders import article_id, track
from bot.store import RedisStore
from bot.summary import summarize, title_of
from bot.tracking import ArticleInput, track_article

log = structlog.get_logger(__name__)
ARTICLE_EVENT_TYPE = "newsbot_article"


def track_text_job(team: str, channel: str, user: str, text: str) -> dict[str, str]:
    return {"type": "track_text", "team": team, "channel": channel, "user": user, "text": text}


def run_job(
    store: RedisStore, client: WebClient, job_id: str, job: dict[str, str], now: datetime
) -> str:
    """Carry out one job; returns what happened (for logs and tests)."""
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


def _earlier_post(client: WebClient, channel: str, job_id: str) -> str | None:
    try:
        response = client.conversations_history(
            channel=channel, limit=50, include_all_metadata=True
        )
    except SlackApiError:
        return None
    messages: list[dict[str, Any]] = response.get("messages") or []
    for message in messages:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == ARTICLE_EVENT_TYPE and payload.get("job_id") == job_id:
            return str(message["ts"])
    return None


def _tell(client: WebClient, channel: str, user: str, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as error:
        log.warning("ephemeral_failed", channel=channel, error=str(error.response.get("error")))
