"""Tracked events and their reminders: identities, stored shapes and scheduling. Pure.

An article posted in a channel thread yields tracked events (one per event, however many
mentions refine it) and each tracked event yields reminders (heads-up, one hour before, follow-up)
by the channel's alert policy. Identities are derived from content, so storing the same article
twice changes nothing and a refined window replaces the reminders of the same event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal, cast

from bot.alerts import AlertKind, AlertPolicy, plan_alerts
from bot.dedup import event_terms
from bot.model import DateWindow, Event, EventKind

ReminderState = Literal["scheduled", "inflight", "posted", "failed", "skipped", "cancelled"]
EventState = Literal["open", "done", "not_relevant"]
KIND_CODES: dict[AlertKind, str] = {"heads_up": "h", "before_time": "b", "follow_up": "f"}


def article_id(channel: str, text: str, url: str | None = None) -> str:
    """Same channel and same URL (or, without one, same text): same article, so an updated
    story at its URL updates the events it announced."""
    identity = url.strip() if url else text.strip()
    digest = hashlib.sha256(f"{channel}\x00{identity}".encode()).hexdigest()
    return digest[:16]


def event_id(article: str, root_index: int) -> str:
    return f"{article}.{root_index}"


def reminder_id(event: str, kind: AlertKind) -> str:
    return f"{event}.{KIND_CODES[kind]}"


@dataclass(frozen=True)
class ArticleRecord:
    """An article as stored: where it was posted and what anchors its dates."""

    id: str
    channel: str
    thread_ts: str
    title: str
    url: str | None
    published: datetime
    zone: str
    stored_at: datetime
    lead: str = ""  # one extractive sentence for digests

    def to_json(self) -> dict[str, Any]:
        return {
            "s": self.stored_at.isoformat(),
            "l": self.lead,
            "c": self.channel,
            "t": self.thread_ts,
            "h": self.title,
            "u": self.url or "",
            "p": self.published.isoformat(),
            "z": self.zone,
        }

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> ArticleRecord:
        return cls(
            id=key,
            channel=data["c"],
            thread_ts=data["t"],
            title=data["h"],
            url=data["u"] or None,
            published=datetime.fromisoformat(data["p"]),
            zone=data["z"],
            stored_at=datetime.fromisoformat(data["s"]),
            lead=data.get("l", ""),
        )


@dataclass(frozen=True)
class TrackedEvent:
    """One event the bot follows, with the narrowest window its mentions gave."""

    id: str
    article: str
    kind: str
    what: str
    trigger: str
    window: DateWindow
    conditional: bool
    clock: str | None
    zone: str | None
    state: EventState = "open"
    # What the event is about (bot.dedup.event_terms), to recognise it in another outlet's
    # report, and the articles of those other reports.
    terms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "a": self.article,
            "k": self.kind,
            "w": self.what,
            "g": self.trigger,
            "e": self.window.earliest.isoformat(),
            "l": self.window.latest.isoformat(),
            "n": int(self.conditional),
            "s": self.state,
        }
        if self.clock:
            data["ck"] = self.clock
            data["cz"] = self.zone or ""
        if self.terms:
            data["tm"] = list(self.terms)
        if self.sources:
            data["sr"] = list(self.sources)
        return data

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> TrackedEvent:
        return cls(
            id=key,
            article=data["a"],
            kind=data["k"],
            what=data["w"],
            trigger=data["g"],
            window=DateWindow(date.fromisoformat(data["e"]), date.fromisoformat(data["l"])),
            conditional=bool(data["n"]),
            clock=data.get("ck"),
            zone=data.get("cz") or None,
            state=data.get("s", "open"),
            terms=tuple(data.get("tm", ())),
            sources=tuple(data.get("sr", ())),
        )


@dataclass(frozen=True)
class Reminder:
    """A post the bot owes a thread at a moment. `due` is UTC."""

    id: str
    event: str
    channel: str
    thread_ts: str
    kind: AlertKind
    due: datetime
    state: ReminderState = "scheduled"
    attempts: int = 0
    late: bool = False
    reason: str = ""
    posted_ts: str = ""
    # Which scheduling this is: a snooze starts a new one, so a post of the earlier one (same
    # reminder id) is not taken for it.
    generation: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "e": self.event,
            "c": self.channel,
            "t": self.thread_ts,
            "k": KIND_CODES[self.kind],
            "d": int(self.due.timestamp()),
            "g": self.generation or int(self.due.timestamp()),
            "s": self.state,
            "a": self.attempts,
        }
        if self.late:
            data["l"] = 1
        if self.reason:
            data["w"] = self.reason
        if self.posted_ts:
            data["p"] = self.posted_ts
        return data

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> Reminder:
        kinds = {code: kind for kind, code in KIND_CODES.items()}
        return cls(
            id=key,
            event=data["e"],
            channel=data["c"],
            thread_ts=data["t"],
            kind=kinds[data["k"]],
            due=datetime.fromtimestamp(int(data["d"]), UTC),
            state=data["s"],
            attempts=int(data.get("a", 0)),
            late=bool(data.get("l", 0)),
            reason=data.get("w", ""),
            posted_ts=data.get("p", ""),
            generation=int(data.get("g", data["d"])),
        )


def track(events: list[Event], article: str) -> list[tuple[TrackedEvent, Event]]:
    """One tracked event per chain of refining mentions; the narrowest window wins."""
    roots: dict[int, tuple[Event, DateWindow]] = {}
    for index, event in enumerate(events):
        root = event.refines if event.refines is not None else index
        if root not in roots:
            roots[root] = (event, event.window)
            continue
        first, window = roots[root]
        narrower = event.window if event.window.days < window.days else window
        # A refinement that adds a clock time to the same day keeps that time.
        keep = event if event.clock_time is not None and first.clock_time is None else first
        roots[root] = (keep, narrower)
    tracked: list[tuple[TrackedEvent, Event]] = []
    for root, (event, window) in sorted(roots.items()):
        first = events[root]
        tracked.append(
            (
                TrackedEvent(
                    id=event_id(article, root),
                    article=article,
                    kind=first.kind,
                    what=first.what,
                    trigger=first.trigger,
                    window=window,
                    conditional=first.conditional,
                    clock=event.clock_time.strftime("%H:%M") if event.clock_time else None,
                    zone=event.clock_zone,
                    terms=event_terms(
                        first.sentence,
                        first.what,
                        first.people,
                        first.organisations,
                        first.places,
                    ),
                ),
                event,
            )
        )
    return tracked


def as_source(tracked: TrackedEvent) -> Event:
    """The stored event as the alert planner reads it (kind, window, clock), for rescheduling
    an event whose mentions are no longer at hand, such as one narrowed by another report."""
    clock = time.fromisoformat(tracked.clock) if tracked.clock else None
    return Event(
        kind=cast(EventKind, tracked.kind), start=0, end=0, trigger=tracked.trigger,
        window=tracked.window, conditional=tracked.conditional, what=tracked.what, sentence="",
        confidence=1.0, clock_time=clock, clock_zone=tracked.zone,
    )  # fmt: skip


def schedule(
    tracked: TrackedEvent,
    source: Event,
    article: ArticleRecord,
    policy: AlertPolicy,
    now: datetime,
) -> list[Reminder]:
    """The reminders of one tracked event, planned from `now` by the channel's policy."""
    plans = plan_alerts(source, tracked.window, policy, now, article.zone)
    return [
        Reminder(
            id=reminder_id(tracked.id, plan.kind),
            event=tracked.id,
            channel=article.channel,
            thread_ts=article.thread_ts,
            kind=plan.kind,
            due=plan.due,
        )
        for plan in plans
    ]
