"""Thread summaries on request: mention the bot in a thread, or the "Summarize thread" shortcut."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.jobs import summarize_thread_job
from handlers.deps import HandlerDeps

SHORTCUT_ID = "summarize_thread"
_ASKS_FOR_SUMMARY = re.compile(r"\b(?:summari[sz]e|summary|tl;?dr|recap)\b", re.IGNORECASE)


def register(app: App, deps: HandlerDeps) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        team = body.get("team_id", "")
        if not deps.store.first_delivery(team, str(body.get("event_id", ""))):
            return  # Slack retried a delivery we already took
        channel, user = event.get("channel", ""), event.get("user", "")
        if not _ASKS_FOR_SUMMARY.search(event.get("text", "")):
            client.chat_postEphemeral(
                channel=channel, user=user,
                text="Mention me with “summarize” inside a thread and I'll sum it up.",
            )  # fmt: skip
            return
        thread = event.get("thread_ts") or event.get("ts", "")
        deps.store.enqueue_job(summarize_thread_job(team, channel, thread, user))

    @app.shortcut(SHORTCUT_ID)
    def on_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team = (body.get("team") or {}).get("id", "")
        channel = (body.get("channel") or {}).get("id", "")
        message = body.get("message") or {}
        thread = message.get("thread_ts") or message.get("ts", "")
        user = (body.get("user") or {}).get("id", "")
        deps.store.enqueue_job(summarize_thread_job(team, channel, thread, user))
        client.chat_postEphemeral(
            channel=channel, user=user, text="Summarizing the thread… I'll post it there."
        )
