"""When the bot comes back for an event: the alert plan of CONVENTIONS.md ("When alerts fire").

Pure: takes an event, the channel's zone and quiet hours, and the moment the event was stored;
returns the alerts to post and when, in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.model import DateWindow, Event

AlertKind = Literal["heads_up", "before_time", "follow_up"]

# Zone abbreviations news copy uses, to the IANA zone that observes them.
ZONE_ABBREVIATIONS = {
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "EASTERN": "America/New_York", "EASTERN TIME": "America/New_York",
    "CT": "America/Chicago", "CST": "America/Chicago", "CDT": "America/Chicago",
    "CENTRAL": "America/Chicago", "CENTRAL TIME": "America/Chicago",
    "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver",
    "MOUNTAIN": "America/Denver", "MOUNTAIN TIME": "America/Denver",
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "PACIFIC": "America/Los_Angeles", "PACIFIC TIME": "America/Los_Angeles",
    "GMT": "UTC", "UTC": "UTC", "BST": "Europe/London", "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon", "CET": "Europe/Paris", "CEST": "Europe/Paris",
    "EET": "Europe/Athens", "EEST": "Europe/Athens", "MSK": "Europe/Moscow",
    "IST": "Asia/Kolkata", "SGT": "Asia/Singapore", "HKT": "Asia/Hong_Kong",
    "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney", "ACST": "Australia/Adelaide", "AWST": "Australia/Perth",
    "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland", "NST": "America/St_Johns",
    "NDT": "America/St_Johns", "AST": "America/Halifax", "ADT": "America/Halifax",
    "HST": "Pacific/Honolulu", "AKST": "America/Anchorage", "AKDT": "America/Anchorage",
}  # fmt: skip


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which nothing is posted: from `start` to `end` (wrapping midnight)."""

    start: int = 20
    end: int = 8

    def contains(self, moment: time) -> bool:
        if self.start > self.end:
            return moment.hour >= self.start or moment.hour < self.end
        return self.start <= moment.hour < self.end


@dataclass(frozen=True)
class AlertPolicy:
    """A channel's alert settings."""

    zone: str = "UTC"
    quiet: QuietHours = QuietHours()
    heads_up_at: time = time(9, 0)
    before_time: timedelta = timedelta(hours=1)

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class PlannedAlert:
    kind: AlertKind
    due: datetime  # UTC
    late_ok: bool  # posted at once because its natural time had passed when it was planned


def event_zone(event: Event, article_zone: str) -> ZoneInfo:
    """The zone of the event's clock time: its written zone, else the article's."""
    name = (event.clock_zone or "").upper().replace("(", "").replace(")", "").strip()
    return ZoneInfo(ZONE_ABBREVIATIONS.get(name, article_zone))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def _out_of_quiet(moment: datetime, policy: AlertPolicy) -> datetime:
    """Move a local moment that falls in quiet hours to the end of them."""
    if not policy.quiet.contains(moment.time()):
        return moment
    day = moment.date()
    if moment.hour >= policy.quiet.start > policy.quiet.end:
        day += timedelta(days=1)
    return datetime.combine(day, time(policy.quiet.end, 0), tzinfo=moment.tzinfo)


def plan_alerts(
    event: Event,
    window: DateWindow,
    policy: AlertPolicy,
    now: datetime,
    article_zone: str = "UTC",
) -> list[PlannedAlert]:
    """Heads-up when the window opens, one hour before a known clock time, follow-up after it."""
    channel = ZoneInfo(policy.zone)
    local_now = now.astimezone(channel)
    plans: list[PlannedAlert] = []

    heads_up = _local(window.earliest, policy.heads_up_at, channel)
    late = heads_up <= local_now
    if late:
        heads_up = _out_of_quiet(local_now, policy)
    plans.append(PlannedAlert("heads_up", heads_up.astimezone(UTC), late))

    if event.clock_time is not None and window.earliest == window.latest:
        start = _local(window.earliest, event.clock_time, event_zone(event, article_zone))
        before = start - policy.before_time
        # The event itself is at that hour, so quiet hours do not hold this one back.
        if before > now:
            plans.append(PlannedAlert("before_time", before.astimezone(UTC), False))

    follow_up = _local(window.latest + timedelta(days=1), policy.heads_up_at, channel)
    follow_late = follow_up <= local_now
    if follow_late:
        follow_up = _out_of_quiet(local_now, policy)
    plans.append(PlannedAlert("follow_up", follow_up.astimezone(UTC), follow_late))
    return sorted(plans, key=lambda plan: plan.due)
