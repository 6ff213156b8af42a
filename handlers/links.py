"""Links people share in a channel that turned autotrack on: each is read into the channel and
answered in the message's thread when the article announces something."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App

from bot.ingest_store import IngestStore
from bot.jobs import ingest_url_job
from handlers.deps import HandlerDeps
from handlers.payload import string_at

MAX_LINKS_PER_MESSAGE = 3
# Slack sends links as <https://…> or <https://…|label>; user, channel and team mentions
# (<@U…>, <#C…>, <!here>) never start with a scheme.
_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>", re.IGNORECASE)
# Edits, joins, bot posts and the like are not someone sharing a link.
_IGNORED_SUBTYPES = frozenset({"message_changed", "message_deleted", "bot_message",
                               "channel_join", "channel_leave", "message_replied"})  # fmt: skip


def shared_links(text: str) -> list[str]:
    return list(dict.fromkeys(_LINK.findall(text or "")))[:MAX_LINKS_PER_MESSAGE]


def register(app: App, deps: HandlerDeps) -> None:
    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if string_at(event, "subtype") in _IGNORED_SUBTYPES or event.get("bot_id"):
            return
        links = shared_links(string_at(event, "text"))
        team, channel = string_at(body, "team_id"), string_at(event, "channel")
        event_id = string_at(body, "event_id")
        thread = string_at(event, "thread_ts") or string_at(event, "ts")
        if not (links and team and channel and event_id and thread):
            return
        if not IngestStore(deps.store).autotrack(team, channel):
            return
        if not deps.store.first_delivery(team, event_id):
            return  # Slack retried a delivery we already took
        for url in links:
            deps.store.enqueue_job(
                ingest_url_job(team, channel, url, announce="if_events", reply_to=thread)
            )
