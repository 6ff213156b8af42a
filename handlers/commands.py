"""`/news`: parse, answer quickly, hand slow work to the workers through the job stream."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from slack_bolt import Ack, App

from bot.alerts import AlertPolicy, QuietHours
from bot.blocks import channel_summary_message, clip, deadlines_message, section
from bot.commands import (
    USAGE,
    AddFeed,
    CommandError,
    Deadlines,
    Help,
    ListFeeds,
    RemoveFeed,
    SetAutotrack,
    SetDigest,
    SetQuiet,
    SetZone,
    Summary,
    TrackText,
    TrackUrl,
    parse,
)
from bot.digests import WEEKDAYS, DigestSchedule
from bot.feeds import feed_id
from bot.fetcher import url_refusal
from bot.ingest_store import IngestStore
from bot.jobs import add_feed_job, ingest_url_job, track_text_job
from handlers.deps import HandlerDeps
from handlers.payload import string_at


def register(app: App, deps: HandlerDeps) -> None:
    @app.command("/news")
    def news(ack: Ack, command: dict[str, Any]) -> None:
        ack(**answer(deps, command))


def answer(deps: HandlerDeps, command: dict[str, Any]) -> dict[str, Any]:
    """The acknowledgement for one `/news` request: an ephemeral reply, built from Redis only."""
    team, channel = string_at(command, "team_id"), string_at(command, "channel_id")
    user = string_at(command, "user_id")
    if not team or not channel:
        return _ephemeral("I can only answer `/news` in a channel of a workspace.")
    parsed = parse(string_at(command, "text"))
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
        # Scheme, credentials, a private IP literal: said at once; the worker checks the
        # resolved addresses again before it connects.
        refused = url_refusal(parsed.url, deps.fetch_allow_networks)
        if refused:
            return _ephemeral(f"I can't read that link: {refused}")
        deps.store.enqueue_job(ingest_url_job(team, channel, parsed.url, user=user))
        return _ephemeral(f"Reading {parsed.url} … I'll post what it announces in this channel.")
    if isinstance(parsed, SetAutotrack):
        IngestStore(deps.store).set_autotrack(team, channel, parsed.on)
        if parsed.on:
            return _ephemeral(
                "I'll read the links people share in this channel and answer in their thread "
                "when an article announces a deadline or a meeting. (Invite me to the channel "
                "if I'm not in it.)"
            )
        return _ephemeral("I'll leave shared links alone here; `/news track <url>` still works.")
    if isinstance(parsed, AddFeed):
        refused = url_refusal(parsed.url, deps.fetch_allow_networks)
        if refused:
            return _ephemeral(f"I can't follow that feed: {refused}")
        deps.store.enqueue_job(
            add_feed_job(
                team,
                channel,
                user,
                parsed.url,
                only=list(parsed.only),
                exclude=list(parsed.exclude),
            )
        )
        return _ephemeral(f"Checking {parsed.url} … I'll confirm here once I've read it.")
    if isinstance(parsed, ListFeeds):
        return _feeds_list(deps, team, channel)
    if isinstance(parsed, RemoveFeed):
        return _remove_feed(deps, team, channel, parsed.target)
    if isinstance(parsed, TrackText):
        deps.store.enqueue_job(track_text_job(team, channel, user, parsed.text))
        return _ephemeral("Reading the article… I'll post what it announces in this channel.")
    return _ephemeral(USAGE)


def _feeds_list(deps: HandlerDeps, team: str, channel: str) -> dict[str, Any]:
    ingest = IngestStore(deps.store)
    subscriptions = ingest.subscriptions(team, channel)
    if not subscriptions:
        return _ephemeral("This channel follows no feed. Add one: `/news feeds add <url>`.")
    lines = []
    for number, sub in enumerate(subscriptions, 1):
        state = ingest.poll_state(team, channel, sub.id)
        line = f"{number}. *{clip(sub.title, 80)}* — {sub.url}"
        if sub.filter.describe():
            line += f" ({sub.filter.describe()})"
        if state.failures:
            line += f" :warning: failing ({state.failures}×): {clip(state.last_error, 120)}"
        lines.append(line)
    text = clip("Feeds this channel follows:\n" + "\n".join(lines), 3000)
    return {"response_type": "ephemeral", "text": text, "blocks": [section(text)]}


def _remove_feed(deps: HandlerDeps, team: str, channel: str, target: str) -> dict[str, Any]:
    ingest = IngestStore(deps.store)
    subscriptions = ingest.subscriptions(team, channel)
    if target.isdigit():
        index = int(target) - 1
        chosen = subscriptions[index] if index < len(subscriptions) else None
    else:
        chosen = next((s for s in subscriptions if s.id == feed_id(target)), None)
    if chosen is None or not ingest.unsubscribe(team, channel, chosen.id):
        return _ephemeral(
            f"This channel doesn't follow `{clip(target, 200)}`; see `/news feeds list`."
        )
    return _ephemeral(f"Stopped following *{chosen.title}* in this channel.")


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}
