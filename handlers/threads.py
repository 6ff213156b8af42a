"""Thread summaries on request: mention the bot in a thread, or the "Summarize thread" shortcut."""

from __future__ import annotations

import re
from typing import Any

import structlog
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.jobs import summarize_thread_job
from handlers.deps import HandlerDeps
from handlers.payload import string_at

log = structlog.get_logger(__name__)
SHORTCUT_ID = "summarize_thread"
_ASKS_FOR_SUMMARY = re.compile(r"\b(?:summari[sz]e|summary|tl;?dr|recap)\b", re.IGNORECASE)


def register(app: App, deps: HandlerDeps) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        team, event_id = string_at(body, "team_id"), string_at(body, "event_id")
        channel, user = string_at(event, "channel"), string_at(event, "user")
        thread = string_at(event, "thread_ts") or string_at(event, "ts")
        if not (team and event_id and channel and user and thread):
            log.warning("malformed_event_ignored", type="app_mention")
            return
        if not deps.store.first_delivery(team, event_id):
            return  # Slack retried a delivery we already took
        if not _ASKS_FOR_SUMMARY.search(string_at(event, "text")):
            client.chat_postEphemeral(
                channel=channel, user=user,
                text="Mention me with “summarize” inside a thread and I'll sum it up.",
            )  # fmt: skip
            return
        deps.store.enqueue_job(summarize_thread_job(team, channel, thread, user))

    @app.shortcut(SHORTCUT_ID)
    def on_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team, channel = string_at(body, "team", "id"), string_at(body, "channel", "id")
        message = body.get("message")
        thread = string_at(message, "thread_ts") or string_at(message, "ts")
        user = string_at(body, "user", "id")
        if not (team and channel and thread and user):
            log.warning("malformed_shortcut_ignored", callback_id=SHORTCUT_ID)
            return
        deps.store.enqueue_job(summarize_thread_job(team, channel, thread, user))
        client.chat_postEphemeral(
            channel=channel, user=user, text="Summarizing the thread… I'll post it there."
        )
