"""What the alert buttons do to a tracked event: done, not relevant, snooze."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.store import RedisStore


@dataclass(frozen=True)
class ActionOutcome:
    """What changed, in a line the alert message shows instead of its buttons."""

    changed: bool
    note: str


def mark_event(store: RedisStore, team: str, event: str, state: str, user: str) -> ActionOutcome:
    if store.event(team, event) is None:
        return ActionOutcome(False, "This event is no longer tracked.")
    cancelled = store.set_event_state(team, event, "done" if state == "done" else "not_relevant")
    label = "marked done" if state == "done" else "marked not relevant"
    more = f"; {cancelled} upcoming reminder(s) cancelled" if cancelled else ""
    return ActionOutcome(True, f"<@{user}> {label}{more}.")


def snooze(
    store: RedisStore, team: str, event: str, *, days: int, user: str, now: datetime, zone: str
) -> ActionOutcome:
    """Come back `days` later at the channel's morning hour."""
    local = ZoneInfo(zone)
    target_day = now.astimezone(local).date() + timedelta(days=days)
    until = datetime.combine(target_day, time(9, 0), tzinfo=local)
    if store.snooze_event(team, event, until) == 0:
        return ActionOutcome(False, "Nothing left to snooze for this event.")
    return ActionOutcome(True, f"<@{user}> snoozed this until {until:%a %d %b %H:%M %Z}.")


def reopen(store: RedisStore, team: str, event: str, user: str, now: datetime) -> ActionOutcome:
    stored = store.event(team, event)
    if stored is None:
        return ActionOutcome(False, "This event is no longer tracked.")
    if stored.state == "open":
        return ActionOutcome(False, "Already tracked: I'll come back when its window opens.")
    revived = store.reopen_event(team, event, now)
    return ActionOutcome(True, f"<@{user}> tracks this again ({revived} reminder(s) back on).")
