"""Scheduled channel digests: new articles since the last one, and the windows opening and
closing in the coming period. Exactly one digest per period however many workers run; a digest
missed while everything was down is posted late once, not once per missed period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import MAX_BLOCKS, SlackMessage, clip, day_label, section, window_phrase
from bot.dispatch import Clock
from bot.reminders import ArticleRecord, TrackedEvent
from bot.slack_client import find_by_metadata, metadata_of
from bot.store import RedisStore

log = structlog.get_logger(__name__)
DIGEST_EVENT_TYPE = "newsbot_digest"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class DigestSchedule:
    kind: Literal["daily", "weekly"]
    at: time
    weekday: int = 0  # weekly only; 0 = Monday
    since: datetime = datetime(1970, 1, 1, tzinfo=UTC)  # subscribed at: no digest before it

    def to_json(self) -> dict[str, Any]:
        return {"k": self.kind, "at": self.at.strftime("%H:%M"), "wd": self.weekday,
                "since": self.since.isoformat()}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DigestSchedule:
        hour, minute = (int(part) for part in data["at"].split(":"))
        return cls(data["k"], time(hour, minute), int(data.get("wd", 0)),
                   datetime.fromisoformat(data["since"]))  # fmt: skip

    @property
    def length(self) -> timedelta:
        return timedelta(days=1 if self.kind == "daily" else 7)

    def latest(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The most recent scheduled moment at or before `now`, in `zone`."""
        local = now.astimezone(zone)
        moment = datetime.combine(local.date(), self.at, tzinfo=zone)
        if self.kind == "weekly":
            moment -= timedelta(days=(moment.weekday() - self.weekday) % 7)
        while moment > local:
            moment -= self.length
        return moment


def _period_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest_message(
    schedule: DigestSchedule,
    articles: list[ArticleRecord],
    upcoming: list[tuple[TrackedEvent, ArticleRecord]],
    moment: datetime,
    late: bool,
) -> SlackMessage:
    period = "today" if schedule.kind == "daily" else "this week"
    title = (
        f"{'Daily' if schedule.kind == 'daily' else 'Weekly'} digest — {day_label(moment.date())}"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}}
    ]
    if late:
        blocks.append(section("_Posted late: the bot was not running at the scheduled time._"))
    if articles:
        lines = [f"• *{clip(a.title, 120)}* — {clip(a.lead, 220)}" for a in articles[:20]]
        blocks.append(section(f"*New articles ({len(articles)})*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*New articles*\nNone since the last digest."))
    end = moment.date() + schedule.length - timedelta(days=1)
    opening = [(e, a) for e, a in upcoming if moment.date() <= e.window.earliest <= end]
    closing = [(e, a) for e, a in upcoming if moment.date() <= e.window.latest <= end]
    for label, rows in ((f"Opening {period}", opening), (f"Closing {period}", closing)):
        if not rows:
            continue
        lines = [
            f"• *{window_phrase(e.window.earliest, e.window.latest)}* · {e.kind} · "
            f"{clip(e.what, 150)} ({clip(a.title, 60)})"
            for e, a in rows[:20]
        ]
        blocks.append(section(f"*{label}*\n" + "\n".join(lines)))
    return SlackMessage(text=title, blocks=blocks[:MAX_BLOCKS])


def post_due_digests(
    store: RedisStore, client: WebClient, clock: Clock, owner: str, default_zone: str = "UTC"
) -> int:
    """Post every digest whose latest period has not been posted. Returns how many posted."""
    posted = 0
    now = clock.now()
    for team in store.teams():
        for channel, raw in store.digests(team).items():
            schedule = DigestSchedule.from_json(raw)
            zone = ZoneInfo(store.channel_policy(team, channel, default_zone).zone)
            moment = schedule.latest(now, zone)
            if moment < schedule.since:
                continue
            period = _period_key(moment)
            state = store.claim_digest(team, channel, period, owner=owner, now=now)
            if state in ("done", "busy"):
                continue
            if state == "recover":
                found = _find_digest(client, channel, period)
                if found:
                    store.record_digest(team, channel, period, found)
                    continue
            articles = store.channel_articles(team, channel, moment - schedule.length)
            today: date = moment.date()
            upcoming = store.channel_events(team, channel, today, today + schedule.length)
            late = now - moment > timedelta(minutes=15)
            message = digest_message(schedule, articles, upcoming, moment, late)
            response = client.chat_postMessage(
                channel=channel, text=message.text, blocks=message.blocks,
                metadata={"event_type": DIGEST_EVENT_TYPE, "event_payload": {"period": period}},
            )  # fmt: skip
            store.record_digest(team, channel, period, str(response["ts"]))
            log.info("digest_posted", team=team, channel=channel, period=period, late=late)
            posted += 1
    return posted


def _find_digest(client: WebClient, channel: str, period: str) -> str | None:
    def is_this_digest(message: dict[str, Any]) -> bool:
        event_type, payload = metadata_of(message)
        return event_type == DIGEST_EVENT_TYPE and payload.get("period") == period

    try:
        return find_by_metadata(client, channel, "", is_this_digest)
    except SlackApiError:
        return None


def parse_weekday(word: str) -> int | None:
    word = word.lower()
    for index, name in enumerate(WEEKDAYS):
        if name.startswith(word[:3]) and len(word) >= 3:
            return index
    return None
