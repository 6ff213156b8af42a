"""Property tests for window arithmetic: every phrase resolves to a well-formed window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.calendar_math import easter, month_part, next_weekday, previous_weekday, week_window
from bot.temporal import find_mentions

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
PHRASES = [
    "in the coming days", "within days", "soon", "this week", "the end of this week",
    "this weekend", "next week", "early next week", "early in the week", "the following week",
    "later this month", "later this year", "next month", "Friday", "by Friday",
    "Tuesday of next week", "June 16", "on the 15th", "in the fourth quarter", "late March",
    "end of this week or early next week", "within 48 hours", "tomorrow", "today",
]  # fmt: skip


@given(days)
def test_week_window_is_monday_to_sunday_around_the_day(day: date) -> None:
    window = week_window(day)
    assert window.earliest.weekday() == 0
    assert window.latest.weekday() == 6
    assert window.earliest <= day <= window.latest


@given(days, st.integers(min_value=0, max_value=6))
def test_next_and_previous_weekday(day: date, weekday: int) -> None:
    after = next_weekday(day, weekday)
    before = previous_weekday(day, weekday)
    assert after.weekday() == weekday == before.weekday()
    assert 1 <= (after - day).days <= 7
    assert 0 <= (day - before).days <= 6


@given(st.integers(min_value=1990, max_value=2090), st.integers(min_value=1, max_value=12))
def test_month_parts_cover_the_month(year: int, month: int) -> None:
    early, mid, late = (month_part(year, month, p) for p in ("early", "mid", "late"))
    assert early.earliest.day == 1
    assert early.latest + timedelta(days=1) == mid.earliest
    assert mid.latest + timedelta(days=1) == late.earliest
    assert (late.latest + timedelta(days=1)).day == 1


@given(st.integers(min_value=1990, max_value=2090))
def test_easter_is_a_spring_sunday(year: int) -> None:
    sunday = easter(year)
    assert sunday.weekday() == 6
    assert date(year, 3, 22) <= sunday <= date(year, 4, 25)


@given(days, st.sampled_from(PHRASES))
def test_forward_windows_never_end_before_publication(day: date, phrase: str) -> None:
    moment = datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Paris"))
    [mention] = find_mentions(phrase, moment)
    window = mention.reading.future
    assert window is not None
    assert window.earliest <= window.latest
    assert window.latest >= day
    assert (window.latest - day).days <= 366
