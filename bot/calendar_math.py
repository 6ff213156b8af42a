"""Calendar arithmetic on plain dates: weeks (Monday..Sunday), months, quarters, holidays."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from bot.model import DateWindow


def week_start(day: date) -> date:
    """Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_window(day: date, weeks_ahead: int = 0) -> DateWindow:
    """Monday..Sunday of the week `weeks_ahead` weeks after the one holding `day`."""
    monday = week_start(day) + timedelta(weeks=weeks_ahead)
    return DateWindow(monday, monday + timedelta(days=6))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_window(year: int, month: int) -> DateWindow:
    return DateWindow(date(year, month, 1), month_end(year, month))


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """(year, month) shifted by `months`, which may be negative."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def shift_months(day: date, months: int) -> date:
    """The same day of the month `months` later, clamped to that month's length."""
    year, month = add_months(day.year, day.month, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_part(year: int, month: int, part: str) -> DateWindow:
    """'early' = days 1-10, 'mid' = 11-20, 'late' = 21 to the end (CONVENTIONS.md)."""
    end = month_end(year, month)
    if part == "early":
        return DateWindow(date(year, month, 1), date(year, month, 10))
    if part == "mid":
        return DateWindow(date(year, month, 11), date(year, month, 20))
    return DateWindow(date(year, month, 21), end)


def year_part(year: int, part: str) -> DateWindow:
    """Thirds of a year: early = Jan-Apr, mid = May-Aug, late = Sep-Dec."""
    if part == "early":
        return DateWindow(date(year, 1, 1), date(year, 4, 30))
    if part == "mid":
        return DateWindow(date(year, 5, 1), date(year, 8, 31))
    return DateWindow(date(year, 9, 1), date(year, 12, 31))


def quarter_window(year: int, quarter: int) -> DateWindow:
    first = 3 * (quarter - 1) + 1
    return DateWindow(date(year, first, 1), month_end(year, first + 2))


def season_window(year: int, season: str) -> DateWindow:
    """Meteorological seasons; winter starts in December of `year`."""
    if season == "winter":
        return DateWindow(date(year, 12, 1), month_end(year + 1, 2))
    first = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9}[season]
    return DateWindow(date(year, first, 1), month_end(year, first + 2))


def next_weekday(after: date, weekday: int, *, include_today: bool = False) -> date:
    """First `weekday` (0 = Monday) strictly after `after`, or on it when `include_today`."""
    delta = (weekday - after.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return after + timedelta(days=delta)


def previous_weekday(before: date, weekday: int, *, include_today: bool = True) -> date:
    """Last `weekday` on or before `before` (strictly before unless `include_today`)."""
    delta = (before.weekday() - weekday) % 7
    if delta == 0 and not include_today:
        delta = 7
    return before - timedelta(days=delta)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The `nth` (1-based; -1 = last) `weekday` of a month."""
    if nth > 0:
        first = date(year, month, 1)
        return next_weekday(first, weekday, include_today=True) + timedelta(weeks=nth - 1)
    return previous_weekday(month_end(year, month), weekday)


def easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holiday(name: str, year: int) -> date | None:
    """The date of a common holiday in `year`, or None for an unknown name."""
    fixed = {
        "christmas": (12, 25),
        "christmas eve": (12, 24),
        "boxing day": (12, 26),
        "new year's eve": (12, 31),
        "new year's day": (1, 1),
        "valentine's day": (2, 14),
        "halloween": (10, 31),
        "independence day": (7, 4),
        "st. patrick's day": (3, 17),
        "veterans day": (11, 11),
    }
    if name in fixed:
        month, day = fixed[name]
        return date(year, month, day)
    thanksgiving = nth_weekday(year, 11, 3, 4)
    moving = {
        "thanksgiving": thanksgiving,
        "black friday": thanksgiving + timedelta(days=1),
        "cyber monday": thanksgiving + timedelta(days=4),
        "memorial day": nth_weekday(year, 5, 0, -1),
        "labor day": nth_weekday(year, 9, 0, 1),
        "martin luther king day": nth_weekday(year, 1, 0, 3),
        "presidents' day": nth_weekday(year, 2, 0, 3),
        "mother's day": nth_weekday(year, 5, 6, 2),
        "father's day": nth_weekday(year, 6, 6, 3),
        "easter": easter(year),
        "easter monday": easter(year) + timedelta(days=1),
        "good friday": easter(year) - timedelta(days=2),
    }
    return moving.get(name)
