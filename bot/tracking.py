"""Tracking an article: extract its events, plan their reminders, store everything once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.extraction import extract
from bot.model import Event
from bot.reminders import ArticleRecord, Reminder, TrackedEvent, article_id, schedule, track
from bot.store import RedisStore, SaveResult
from bot.summary import summarize


@dataclass(frozen=True)
class ArticleInput:
    """An article as it reaches the bot: the text, its dates and the thread it lives in."""

    team: str
    channel: str
    thread_ts: str
    title: str
    text: str
    published: datetime
    zone: str
    url: str | None = None


@dataclass(frozen=True)
class TrackResult:
    saved: SaveResult
    events: list[TrackedEvent]
    reminders: list[Reminder]


def track_article(
    store: RedisStore, article: ArticleInput, now: datetime, events: list[Event] | None = None
) -> TrackResult:
    """Store the article's tracked events and reminders. Storing it again changes nothing.

    Reminders are planned from the moment the article was first stored, so a second ingest
    plans the very same times; a narrower window from new text replaces the old reminders.
    """
    key = article_id(article.channel, article.text, article.url)
    existing = store.article(article.team, key)
    planned_from = existing.stored_at if existing is not None else now
    record = ArticleRecord(
        id=key,
        channel=article.channel,
        thread_ts=article.thread_ts,
        title=article.title,
        url=article.url,
        published=article.published,
        zone=article.zone,
        stored_at=planned_from,
        lead=next(iter(summarize(article.text, bullets=1)), ""),
    )
    if events is None:
        events = extract(article.text, article.published, article.zone)
    policy = store.channel_policy(article.team, article.channel)
    plans: list[tuple[TrackedEvent, list[Reminder]]] = []
    for tracked, source in track(events, key):
        plans.append((tracked, schedule(tracked, source, record, policy, planned_from)))
    saved = store.save_article(article.team, record, plans)
    return TrackResult(
        saved=saved,
        events=[t for t, _ in plans],
        reminders=[r for _, rs in plans for r in rs],
    )
