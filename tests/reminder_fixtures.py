"""Builders for stored articles, events and reminders used by the dispatch tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.model import DateWindow
from bot.reminders import ArticleRecord, Reminder, TrackedEvent
from bot.store import RedisStore


def store_due_reminders(
    store: RedisStore,
    team: str,
    count: int,
    channels: int,
    due: datetime,
    *,
    thread_for: Callable[[str], str] | None = None,
    first: int = 0,
) -> list[Reminder]:
    """`count` heads-up reminders spread over `channels` channels, each with its event and
    its channel's article stored, all due at `due`. `thread_for(channel)` gives the ts of the
    article's thread (a real parent message in the fake Slack). Numbering starts at `first`,
    so several calls with other due times add distinct reminders to the same channels."""
    threads: dict[str, str] = {}

    def thread(channel: str) -> str:
        if channel not in threads:
            threads[channel] = thread_for(channel) if thread_for else "1700000000.000100"
        return threads[channel]

    window = DateWindow(due.date(), due.date())
    by_channel: dict[str, list[TrackedEvent]] = {}
    reminders: list[Reminder] = []
    for i in range(first, first + count):
        channel = f"C{i % channels:04d}"
        article = f"art{channel}"
        event = TrackedEvent(
            id=f"{article}.{i}", article=article, kind="meeting", what=f"meeting number {i}",
            trigger="today", window=window, conditional=False, clock=None, zone=None,
        )  # fmt: skip
        by_channel.setdefault(channel, []).append(event)
        reminders.append(
            Reminder(
                id=f"{event.id}.h",
                event=event.id,
                channel=channel,
                thread_ts=thread(channel),
                kind="heads_up",
                due=due,
            )
        )
    for channel, events in by_channel.items():
        record = ArticleRecord(
            id=f"art{channel}", channel=channel, thread_ts=thread(channel),
            title=f"Story in {channel}", url="https://news.example/story", published=due,
            zone="UTC", stored_at=due,
        )  # fmt: skip
        store.save_article(team, record, [(event, []) for event in events])
    store.add_reminders(team, reminders)
    return reminders
