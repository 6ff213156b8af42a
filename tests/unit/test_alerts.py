"""When alerts fire: heads-up, one hour before a clock time, follow-up; zones and quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.alerts import AlertPolicy, QuietHours, plan_alerts
from bot.model import DateWindow, Event


def _event(window: DateWindow, clock: time | None = None, zone: str | None = None) -> Event:
    return Event(
        kind="meeting", start=0, end=5, trigger="x", window=window, conditional=False,
        what="a meeting", sentence="x", confidence=0.9, clock_time=clock, clock_zone=zone,
    )  # fmt: skip


def _local(plan_due: datetime, zone: str) -> datetime:
    return plan_due.astimezone(ZoneInfo(zone))


def test_heads_up_at_nine_and_follow_up_the_day_after_the_window() -> None:
    window = DateWindow(date(2025, 4, 21), date(2025, 4, 22))
    stored = datetime(2025, 4, 18, 10, 0, tzinfo=UTC)
    plans = plan_alerts(_event(window), window, AlertPolicy(zone="Europe/Paris"), stored)
    assert [p.kind for p in plans] == ["heads_up", "follow_up"]
    heads_up, follow_up = (_local(p.due, "Europe/Paris") for p in plans)
    assert (heads_up.date(), heads_up.time()) == (date(2025, 4, 21), time(9, 0))
    assert (follow_up.date(), follow_up.time()) == (date(2025, 4, 23), time(9, 0))


def test_window_already_open_fires_at_once_but_not_in_quiet_hours() -> None:
    window = DateWindow(date(2025, 4, 18), date(2025, 4, 18))
    late_evening = datetime(2025, 4, 18, 21, 30, tzinfo=ZoneInfo("Europe/Paris"))
    policy = AlertPolicy(zone="Europe/Paris", quiet=QuietHours(20, 8))
    heads_up = plan_alerts(_event(window), window, policy, late_evening)[0]
    assert heads_up.kind == "heads_up" and heads_up.late_ok
    local = _local(heads_up.due, "Europe/Paris")
    assert (local.date(), local.time()) == (date(2025, 4, 19), time(8, 0))


def test_clock_time_in_another_zone_across_a_dst_change() -> None:
    # 10 a.m. ET on Monday 10 March 2025, the day after US clocks went forward; the channel
    # sits in London, which had not changed yet.
    window = DateWindow(date(2025, 3, 10), date(2025, 3, 10))
    event = _event(window, time(10, 0), "ET")
    stored = datetime(2025, 3, 6, 12, 0, tzinfo=UTC)
    plans = plan_alerts(event, window, AlertPolicy(zone="Europe/London"), stored, "UTC")
    before = next(p for p in plans if p.kind == "before_time")
    assert before.due == datetime(2025, 3, 10, 13, 0, tzinfo=UTC)  # 9 a.m. EDT = 13:00 UTC
    heads_up = next(p for p in plans if p.kind == "heads_up")
    assert heads_up.due == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # 09:00 GMT


def test_channel_zone_decides_the_local_hour() -> None:
    window = DateWindow(date(2025, 11, 3), date(2025, 11, 3))
    stored = datetime(2025, 10, 30, 12, 0, tzinfo=UTC)
    plans = plan_alerts(_event(window), window, AlertPolicy(zone="Asia/Tokyo"), stored)
    assert plans[0].due == datetime(2025, 11, 3, 0, 0, tzinfo=UTC)  # 09:00 JST
