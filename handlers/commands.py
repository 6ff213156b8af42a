"""`/news`: parse, answer quickly, hand slow work to the workers through the job stream."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from slack_bolt import Ack, App

from bot.alerts import AlertPolicy, QuietHours
from bot.blocks import channel_summary_message, deadlines_message
from bot.commands import (
    USAGE,
    CommandError,
    Deadlines,
    Help,
    SetDigest,
    SetQuiet,
    SetZone,
    Summary,
    TrackText,
    TrackUrl,
    parse,
)
from bot.digests import WEEKDAYS, DigestSchedule
from bot.jobs import track_text_job
from handlers.deps import HandlerDeps


def register(app: App, deps: HandlerDeps) -> None:
    @app.command("/news")
    def news(ack: Ack, command: dict[str, Any]) -> None:
        ack(**answer(deps, command))


def answer(deps: HandlerDeps, command: dict[str, Any]) -> dict[str, Any]:
    """The acknowledgement for one `/news` request: an ephemeral reply, built from Redis only."""
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    user = command.get("user_id", "")
    parsed = parse(str(command.get("text", "")))
    if isinstance(parsed, CommandError):
        return {"response_type": "ephemeral", "text": parsed.message}
    if isinstance(parsed, Help):
        return {"response_type": "ephemeral", "text": USAGE}
    policy = deps.store.channel_policy(team, channel, deps.default_zone)
    if isinstance(parsed, SetZone):
        deps.store.set_channel_policy(team, channel, AlertPolicy(parsed.zone, policy.quiet))
        return _ephemeral(f"This channel's alerts now follow {parsed.zone}.")
    if isinstance(parsed, SetQuiet):
        quiet = QuietHours(parsed.start, parsed.end)
        deps.store.set_channel_policy(team, channel, AlertPolicy(policy.zone, quiet))
        return _ephemeral(
            f"No alerts between {parsed.start:02d}:00 and {parsed.end:02d}:00 ({policy.zone})."
        )
    if isinstance(parsed, Deadlines):
        today = deps.clock.now().astimezone(policy.zone_info).date()
        rows = deps.store.channel_events(team, channel, today, today + timedelta(days=parsed.days))
        message = deadlines_message([(e, a, "") for e, a in rows], parsed.days, policy.zone)
        return {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}
    if isinstance(parsed, Summary):
        now = deps.clock.now()
        articles = deps.store.channel_articles(team, channel, now - timedelta(days=parsed.days))
        today = now.astimezone(policy.zone_info).date()
        upcoming = deps.store.channel_events(team, channel, today, today + timedelta(days=30))
        message = channel_summary_message(articles, upcoming, parsed.days)
        return {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}
    if isinstance(parsed, SetDigest):
        if parsed.kind == "off":
            deps.store.set_digest(team, channel, None)
            return _ephemeral("Digest turned off for this channel.")
        schedule = DigestSchedule(
            "daily" if parsed.kind == "daily" else "weekly",
            time(parsed.hour, parsed.minute),
            parsed.weekday,
            deps.clock.now(),
        )
        deps.store.set_digest(team, channel, schedule.to_json())
        when = f"{parsed.hour:02d}:{parsed.minute:02d} ({policy.zone})"
        day = "every day" if parsed.kind == "daily" else f"every {WEEKDAYS[parsed.weekday].title()}"
        return _ephemeral(f"I'll post a digest here {day} at {when}.")
    if isinstance(parsed, TrackUrl):
        return _ephemeral(
            "Reading articles from a link is not available yet: paste the article's text "
            "with `/news track <text>`."
        )
    if isinstance(parsed, TrackText):
        deps.store.enqueue_job(track_text_job(team, channel, user, parsed.text))
        return _ephemeral("Reading the article… I'll post what it announces in this channel.")
    return _ephemeral(USAGE)


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}
