"""Finds time phrases in text and resolves each to a date window (CONVENTIONS.md).

A phrase is resolved twice, once as if it pointed forward and once as if it pointed back, because
the phrase alone rarely knows ("Thursday" in "will meet Thursday" vs "said Thursday"). The
extractor picks a reading from the sentence's grammar; phrases that can only point one way
("next week", "yesterday") carry one reading only.

Two grammars share the rules: the strict one reads news prose, where month and weekday names are
capitalised and "may", "march" or "sun" are ordinary words; the lenient one reads a standalone
expression typed by a person ("next tue at 3pm").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache

from bot.calendar_math import (
    add_months,
    holiday,
    month_end,
    month_part,
    month_window,
    next_weekday,
    previous_weekday,
    quarter_window,
    season_window,
    shift_months,
    week_start,
    week_window,
    year_part,
)
from bot.model import DateWindow


@dataclass(frozen=True)
class Reading:
    """The windows a phrase can mean: `future` if it points forward, `past` if it points back."""

    future: DateWindow | None
    past: DateWindow | None
    clock: time | None = None
    zone: str | None = None
    vague: bool = False
    deadline: bool = False  # "by Friday", "a 48-hour ultimatum": the window ends a deadline
    hedged: bool = False  # "as early as next week"


@dataclass(frozen=True)
class TimeMention:
    """A time phrase found in text, with its character span and readings."""

    start: int
    end: int
    text: str
    reading: Reading
    rule: str

    @property
    def direction(self) -> str | None:
        """'future' or 'past' when the phrase itself decides, else None."""
        if self.reading.past is None:
            return "future"
        if self.reading.future is None:
            return "past"
        return None


@dataclass(frozen=True)
class Anchor:
    """The reference moment: the article's publication time in its own zone."""

    moment: datetime
    lenient: bool

    @property
    def day(self) -> date:
        return self.moment.date()


def _one_day(day: date) -> DateWindow:
    return DateWindow(day, day)


def _window(first: date, last: date) -> DateWindow:
    return DateWindow(first, max(first, last))


WEEKDAY_NUMBERS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
MONTH_NUMBERS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty-eight": 48, "seventy-two": 72,
    "a couple of": 2, "a few": 3, "several": 5,
}  # fmt: skip
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3,
            "4th": 4, "final": 4, "last": 4}  # fmt: skip
ZONES = (
    r"ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|UTC|BST|CET|CEST|EET|EEST|WET|WEST|JST|"
    r"KST|HKT|SGT|AEST|AEDT|ACST|AWST|NZST|NZDT|IST|NDT|NST|AST|ADT|HST|AKST|AKDT|MSK|"
    r"Eastern(?:\s+Time)?|Pacific(?:\s+Time)?|Central(?:\s+Time)?|Mountain(?:\s+Time)?|"
    r"local\s+time|[A-Z][a-z]+\s+time"
)
HOLIDAY_NAMES = {
    "christmas": "christmas", "christmas day": "christmas", "xmas": "christmas",
    "christmas eve": "christmas eve", "boxing day": "boxing day",
    "new year's eve": "new year's eve", "new year's day": "new year's day",
    "new year's": "new year's day", "valentine's day": "valentine's day",
    "halloween": "halloween", "independence day": "independence day",
    "fourth of july": "independence day", "july 4th": "independence day",
    "st. patrick's day": "st. patrick's day", "st patrick's day": "st. patrick's day",
    "veterans day": "veterans day", "thanksgiving": "thanksgiving",
    "thanksgiving day": "thanksgiving", "black friday": "black friday",
    "cyber monday": "cyber monday", "memorial day": "memorial day", "labor day": "labor day",
    "martin luther king day": "martin luther king day", "mlk day": "martin luther king day",
    "martin luther king jr. day": "martin luther king day",
    "presidents' day": "presidents' day", "presidents day": "presidents' day",
    "mother's day": "mother's day", "father's day": "father's day", "easter": "easter",
    "easter sunday": "easter", "easter monday": "easter monday", "good friday": "good friday",
}  # fmt: skip


def _number(text: str) -> int | None:
    text = re.sub(r"\s+", " ", text.lower().strip())
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.get(text)


def _month(text: str) -> int:
    return MONTH_NUMBERS[text.lower().rstrip(".")[:3]]


def _weekday(text: str) -> int:
    return WEEKDAY_NUMBERS[text.lower().rstrip(".")]


def _norm(text: str | None) -> str:
    return re.sub(r"[\s-]+", " ", (text or "").lower()).strip()


@dataclass(frozen=True)
class Grammar:
    """Regex pieces of one grammar (strict news prose or lenient typed expressions)."""

    weekday: str
    month: str
    holiday: str
    lenient: bool


def _grammar(*, lenient: bool) -> Grammar:
    full_days = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    full_months = (
        "January|February|March|April|May|June|July|August|September|October|November|December"
    )
    holidays = (
        r"Christmas(?:\s+(?:Eve|Day))?|New\s+Year's(?:\s+(?:Eve|Day))?|Thanksgiving(?:\s+Day)?|"
        r"Easter(?:\s+(?:Sunday|Monday))?|Good\s+Friday|Black\s+Friday|Cyber\s+Monday|"
        r"Halloween|Labor\s+Day|Memorial\s+Day|Independence\s+Day|Valentine's\s+Day|"
        r"Boxing\s+Day|Veterans\s+Day|Mother's\s+Day|Father's\s+Day|Presidents'?\s+Day|"
        r"St\.?\s+Patrick's\s+Day|Martin\s+Luther\s+King(?:\s+Jr\.?)?\s+Day|MLK\s+Day|"
        r"Fourth\s+of\s+July"
    )
    if lenient:
        weekday = rf"(?:{full_days}|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b\.?"
        month = rf"(?:{full_months}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?"
        return Grammar(weekday, month, rf"(?:{holidays}|xmas)\b", lenient=True)
    weekday = rf"(?-i:{full_days})\b"
    month = rf"(?-i:(?:{full_months})\b|(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.)"
    # "Good Friday Agreement", "Easter Rising", "Black Friday" the company: names, not dates.
    holiday_names = rf"(?-i:(?:{holidays})\b)(?!\s+(?-i:Agreement|Accord|Rising|Island|Group)|\s+(?:recess|break|holidays|season|party|tree|market|card|shopping|sales))"
    return Grammar(weekday, month, holiday_names, lenient=False)


Handler = Callable[[re.Match[str], Anchor], Reading | None]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    handler: Handler


# ---------------------------------------------------------------- rule handlers


def _relative_day(match: re.Match[str], anchor: Anchor) -> Reading | None:
    phrase = _norm(match.group(0))
    day = anchor.day
    if phrase.startswith("later"):
        return Reading(_one_day(day), None)
    if "day after tomorrow" in phrase:
        return Reading(_one_day(day + timedelta(days=2)), None)
    if "day before yesterday" in phrase:
        return Reading(None, _one_day(day - timedelta(days=2)))
    if phrase.startswith("tomorrow"):
        return Reading(_one_day(day + timedelta(days=1)), None)
    if phrase in ("yesterday", "last night") or phrase.startswith("yesterday"):
        return Reading(None, _one_day(day - timedelta(days=1)))
    if phrase in ("now", "right now", "just now"):
        return Reading(_one_day(day), _one_day(day)) if anchor.lenient else None
    return Reading(_one_day(day), _one_day(day))


def _weekday_phrase(match: re.Match[str], anchor: Anchor) -> Reading | None:
    day = anchor.day
    weekday = _weekday(match.group("wd"))
    mod = _norm(match.group("mod"))
    week = _norm(match.group("week"))
    if week in ("of next week", "next week"):
        return Reading(_one_day(week_start(day) + timedelta(days=7 + weekday)), None)
    if week == "of this week":
        target = week_start(day) + timedelta(days=weekday)
        return Reading(_one_day(target), _one_day(target))
    if week in ("of last week", "last week", "from last week"):
        return Reading(None, _one_day(week_start(day) - timedelta(days=7 - weekday)))
    if week == "after next":
        return Reading(_one_day(next_weekday(day, weekday) + timedelta(days=7)), None)
    following = next_weekday(day, weekday)
    if mod in ("later", "later on", "this"):
        today_or_next = next_weekday(day, weekday, include_today=True)
        if mod.startswith("later"):
            return Reading(_one_day(today_or_next), None)
        return Reading(_one_day(today_or_next), _one_day(previous_weekday(day, weekday)))
    if mod in ("next", "coming", "this coming"):
        return Reading(_one_day(following), None)
    if mod in ("last", "past", "previous", "this past"):
        return Reading(None, _one_day(previous_weekday(day, weekday, include_today=False)))
    return Reading(_one_day(following), _one_day(previous_weekday(day, weekday)))


def _year_for(month: int, dom: int, anchor: Anchor, *, future: bool) -> date | None:
    """Next occurrence on or after the anchor day (future) or last on or before it (past)."""
    for year in (
        (anchor.day.year, anchor.day.year + 1) if future else (anchor.day.year, anchor.day.year - 1)
    ):
        try:
            candidate = date(year, month, dom)
        except ValueError:
            continue
        if (future and candidate >= anchor.day) or (not future and candidate <= anchor.day):
            return candidate
    return None


def _dated(
    month: int, first_day: int, last_day: int | None, year: int | None, anchor: Anchor
) -> Reading | None:
    last = last_day if last_day is not None else first_day
    if not (1 <= first_day <= 31 and 1 <= last <= 31) or last < first_day:
        return None
    try:
        if year is not None:
            window = DateWindow(date(year, month, first_day), date(year, month, last))
            return Reading(window, window)
        readings: list[DateWindow | None] = []
        for future in (True, False):
            start = _year_for(month, first_day, anchor, future=future)
            readings.append(
                None if start is None else DateWindow(start, date(start.year, month, last))
            )
    except ValueError:
        return None
    return Reading(readings[0], readings[1])


def _year_of(text: str | None) -> int | None:
    return int(text) if text else None


def _month_day(match: re.Match[str], anchor: Anchor) -> Reading | None:
    day2 = match.group("day2")
    return _dated(
        _month(match.group("month")),
        int(match.group("day")),
        int(day2) if day2 else None,
        _year_of(match.group("year")),
        anchor,
    )


def _numeric_date(match: re.Match[str], anchor: Anchor) -> Reading | None:
    if match.group("iso"):
        iso_year, iso_month, iso_day = (int(part) for part in match.group("iso").split("-"))
        return _dated(iso_month, iso_day, None, iso_year, anchor)
    year_text = match.group("y")
    if year_text is None and not anchor.lenient:
        return None  # "9/11" in prose is a name, not a date
    year = None if year_text is None else int(year_text)
    if year is not None and year < 100:
        year += 2000
    month, dom = int(match.group("m")), int(match.group("d"))
    if not 1 <= month <= 12:
        return None
    return _dated(month, dom, None, year, anchor)


def _ordinal_day(match: re.Match[str], anchor: Anchor) -> Reading | None:
    dom = int(match.group("day"))
    month_text = match.group("rel")
    day = anchor.day
    if month_text:
        year, month = add_months(day.year, day.month, 1 if "next" in month_text else 0)
        return _dated(month, dom, None, year, anchor)
    if not 1 <= dom <= 31:
        return None
    year, month = (day.year, day.month) if dom >= day.day else add_months(day.year, day.month, 1)
    past_year, past_month = (
        (day.year, day.month) if dom <= day.day else add_months(day.year, day.month, -1)
    )
    try:
        future = _one_day(date(year, month, dom))
        past = _one_day(date(past_year, past_month, dom))
    except ValueError:
        return None
    return Reading(future, past)


def _month_only(match: re.Match[str], anchor: Anchor) -> Reading | None:
    if re.match(r"\s+(?:the\s+)?[0-3]?\d(?!\d)", match.string[match.end() :]):
        return None  # "Oct. 9": the day-and-month rule reads it
    month = _month(match.group("month"))
    pre = _norm(match.group("pre"))
    part = _norm(match.group("part"))
    year = _year_of(match.group("year"))
    if not pre and not part and year is None and not anchor.lenient:
        return None  # a bare month name in prose is too often something else
    day = anchor.day
    since = pre == "since"

    def window_for(y: int) -> DateWindow:
        if part in ("early", "beginning of", "the beginning of", "the start of", "start of"):
            return month_part(y, month, "early")
        if part in ("mid", "the middle of", "middle of"):
            return month_part(y, month, "mid")
        if part in ("late", "the end of", "end of"):
            return month_part(y, month, "late")
        return month_window(y, month)

    if year is not None:
        window = window_for(year)
        return Reading(None if since else window, window)
    if pre == "next":
        return Reading(window_for(day.year if month > day.month else day.year + 1), None)
    if pre == "last":
        return Reading(None, window_for(day.year if month < day.month else day.year - 1))
    future = window_for(day.year if month >= day.month else day.year + 1)
    if future.latest < day:
        future = window_for(day.year + 1)
    elif future.earliest < day:
        future = DateWindow(day, future.latest)
    past = window_for(day.year if month <= day.month else day.year - 1)
    if past.earliest > day:
        past = window_for(day.year - 1)
    return Reading(None if since else future, past)


def _year_only(match: re.Match[str], anchor: Anchor) -> Reading | None:
    year = int(match.group("year"))
    pre = _norm(match.group("pre"))
    if not pre and not anchor.lenient:
        return None
    if pre in ("early", "mid", "late"):
        window = year_part(year, pre)
    elif pre in ("the end of", "end of"):
        window = DateWindow(date(year, 12, 1), date(year, 12, 31))
    else:
        window = DateWindow(date(year, 1, 1), date(year, 12, 31))
    return Reading(None if pre == "since" else window, window)


def _quarter(quarter: int, year: int | None, rel: str, anchor: Anchor) -> Reading | None:
    day = anchor.day
    if rel == "next":
        year = day.year + 1
    elif rel in ("last", "previous"):
        year = day.year - 1
    elif rel in ("this", "the"):
        year = day.year
    if year is not None:
        window = quarter_window(year, quarter)
        return Reading(window, window)
    future = quarter_window(day.year, quarter)
    if future.latest < day:
        future = quarter_window(day.year + 1, quarter)
    past = quarter_window(day.year, quarter)
    if past.earliest > day:
        past = quarter_window(day.year - 1, quarter)
    return Reading(future, past)


def _half_year(first_half: bool, year: int | None, rel: str, anchor: Anchor) -> Reading | None:
    if year is None:
        year = anchor.day.year + (1 if rel == "next" else -1 if rel == "last" else 0)
    window = (
        DateWindow(date(year, 1, 1), date(year, 6, 30))
        if first_half
        else DateWindow(date(year, 7, 1), date(year, 12, 31))
    )
    return Reading(window, window)


def _season(match: re.Match[str], anchor: Anchor) -> Reading | None:
    season = match.group("season").lower()
    mod = _norm(match.group("mod"))
    year = _year_of(match.group("year"))
    day = anchor.day
    if year is not None:
        window = season_window(year, season)
        return Reading(window, window)
    if not mod and not anchor.lenient:
        return None  # "spring" and "fall" alone are ordinary words
    # The season we are in (winter spans two years), then the next and previous ones.
    current_year = day.year - 1 if day.month <= 2 and season == "winter" else day.year
    this = season_window(current_year, season)
    if this.latest < day:
        upcoming = season_window(current_year + 1, season)
        previous = this
    elif this.earliest > day:
        upcoming = this
        previous = season_window(current_year - 1, season)
    else:
        upcoming = DateWindow(day, this.latest)
        previous = DateWindow(this.earliest, day)
    if mod == "next":
        following = upcoming if upcoming.earliest > day else season_window(current_year + 1, season)
        return Reading(following, None)
    if mod == "last":
        return Reading(
            None, previous if previous.latest < day else season_window(current_year - 1, season)
        )
    if mod.startswith("later"):
        return Reading(upcoming, None)
    return Reading(upcoming, previous)


def _holiday(match: re.Match[str], anchor: Anchor) -> Reading | None:
    name = HOLIDAY_NAMES.get(re.sub(r"\s+", " ", match.group("name").lower()))
    if name is None:
        return None
    year = _year_of(match.group("year"))
    day = anchor.day
    if year is not None:
        fixed = holiday(name, year)
        return None if fixed is None else Reading(_one_day(fixed), _one_day(fixed))
    this_year = holiday(name, day.year)
    if this_year is None:
        return None
    next_one = this_year if this_year >= day else holiday(name, day.year + 1)
    last_one = this_year if this_year <= day else holiday(name, day.year - 1)
    mod = _norm(match.group("mod"))
    future = None if next_one is None or mod == "last" else _one_day(next_one)
    past = None if last_one is None or mod == "next" else _one_day(last_one)
    return Reading(future, past)


def _week_phrase(match: re.Match[str], anchor: Anchor) -> Reading | None:
    mod = _norm(match.group("mod"))
    weekend = match.group("unit").lower().endswith("end")
    day = anchor.day
    this = week_window(day)
    following = week_window(day, 1)
    previous = week_window(day, -1)

    def weekend_of(week: DateWindow) -> DateWindow:
        return DateWindow(week.latest - timedelta(days=1), week.latest)

    def end_of(week: DateWindow) -> DateWindow:
        return _window(max(week.earliest + timedelta(days=4), day), week.latest)

    if weekend:
        if mod in ("this", "this coming", "the", "over the", "coming"):
            upcoming = weekend_of(this)
            future = DateWindow(max(upcoming.earliest, day), upcoming.latest)
            past = weekend_of(previous) if day.weekday() < 5 else DateWindow(upcoming.earliest, day)
            return Reading(future, None if mod in ("this coming", "coming") else past)
        if mod == "next":
            return Reading(weekend_of(following), None)
        if mod in ("last", "past", "previous"):
            return Reading(None, weekend_of(previous))
        return None
    table: dict[str, tuple[DateWindow | None, DateWindow | None]] = {
        "this": (_window(day, this.latest), DateWindow(this.earliest, day)),
        "current": (_window(day, this.latest), DateWindow(this.earliest, day)),
        "later this": (_window(day + timedelta(days=1), this.latest) if day.weekday() < 6
                       else _one_day(day), None),
        "earlier this": (None, DateWindow(this.earliest, day)),
        "early this": (_window(day, this.earliest + timedelta(days=1)), None)
        if day.weekday() <= 1 else (None, DateWindow(this.earliest, this.earliest + timedelta(days=1))),
        "next": (following, None),
        "coming": (following, None),
        "the coming": (following, None),
        "early next": (DateWindow(following.earliest, following.earliest + timedelta(days=1)), None),
        "the beginning of next": (DateWindow(following.earliest, following.earliest + timedelta(days=1)), None),
        "the start of next": (DateWindow(following.earliest, following.earliest + timedelta(days=1)), None),
        "mid next": (DateWindow(following.earliest + timedelta(days=2), following.earliest + timedelta(days=3)), None),
        "late next": (DateWindow(following.earliest + timedelta(days=3), following.latest), None),
        "later next": (DateWindow(following.earliest + timedelta(days=3), following.latest), None),
        "the end of next": (DateWindow(following.earliest + timedelta(days=4), following.latest), None),
        "end of next": (DateWindow(following.earliest + timedelta(days=4), following.latest), None),
        "the end of this": (end_of(this), None),
        "end of this": (end_of(this), None),
        "the end of the": (end_of(this), None),
        "end of the": (end_of(this), None),
        "the following": (week_window(day, 2), None),
        "last": (None, previous),
        "past": (None, previous),
        "previous": (None, previous),
        "the previous": (None, previous),
        "the end of last": (None, DateWindow(previous.earliest + timedelta(days=4), previous.latest)),
        "the beginning of this": (_window(day, this.earliest + timedelta(days=2)), DateWindow(this.earliest, this.earliest + timedelta(days=2))),
    }  # fmt: skip
    readings = table.get(mod)
    return None if readings is None else Reading(*readings)


def _in_the_week(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """'early in the week' (said Wednesday or later: next week), 'later in the week'."""
    part = _norm(match.group("part"))
    day = anchor.day
    if part == "early":
        week = week_window(day, 1 if day.weekday() >= 2 else 0)
        return Reading(_window(max(week.earliest, day), week.earliest + timedelta(days=1)), None)
    this = week_window(day)
    if day.weekday() >= 5:
        nxt = week_window(day, 1)
        return Reading(DateWindow(nxt.earliest + timedelta(days=3), nxt.latest), None)
    return Reading(
        _window(max(day + timedelta(days=1), this.earliest + timedelta(days=3)), this.latest), None
    )


def _month_phrase(match: re.Match[str], anchor: Anchor) -> Reading | None:
    mod = _norm(match.group("mod"))
    day = anchor.day
    this = month_window(day.year, day.month)
    ny, nm = add_months(day.year, day.month, 1)
    py, pm = add_months(day.year, day.month, -1)
    following = month_window(ny, nm)
    previous = month_window(py, pm)
    late_this = month_part(day.year, day.month, "late")
    table: dict[str, tuple[DateWindow | None, DateWindow | None]] = {
        "this": (_window(day, this.latest), DateWindow(this.earliest, day)),
        "later this": (_window(day + timedelta(days=1), this.latest), None),
        "earlier this": (None, DateWindow(this.earliest, day)),
        "next": (following, None),
        "the coming": (following, None),
        "early next": (month_part(ny, nm, "early"), None),
        "the beginning of next": (month_part(ny, nm, "early"), None),
        "the start of next": (month_part(ny, nm, "early"), None),
        "mid next": (month_part(ny, nm, "mid"), None),
        "late next": (month_part(ny, nm, "late"), None),
        "later next": (month_part(ny, nm, "late"), None),
        "the end of next": (month_part(ny, nm, "late"), None),
        "end of next": (month_part(ny, nm, "late"), None),
        "the end of this": (_window(max(late_this.earliest, day), late_this.latest), None),
        "end of this": (_window(max(late_this.earliest, day), late_this.latest), None),
        "the end of the": (_window(max(late_this.earliest, day), late_this.latest), None),
        "end of the": (_window(max(late_this.earliest, day), late_this.latest), None),
        "the following": (following, None),
        "last": (None, previous),
        "past": (None, previous),
        "previous": (None, previous),
        "early this": (_window(day, this.earliest + timedelta(days=9)), DateWindow(this.earliest, min(day, this.earliest + timedelta(days=9))))
        if day.day <= 10 else (None, DateWindow(this.earliest, this.earliest + timedelta(days=9))),
        "mid this": (month_part(day.year, day.month, "mid"), month_part(day.year, day.month, "mid")),
        "late this": (_window(max(late_this.earliest, day), late_this.latest), None),
    }  # fmt: skip
    readings = table.get(mod)
    return None if readings is None else Reading(*readings)


def _year_phrase(match: re.Match[str], anchor: Anchor) -> Reading | None:
    mod = _norm(match.group("mod"))
    day = anchor.day
    y = day.year
    this = DateWindow(date(y, 1, 1), date(y, 12, 31))
    december = (
        DateWindow(max(date(y, 12, 1), day), date(y, 12, 31))
        if day.month == 12
        else DateWindow(date(y, 12, 1), date(y, 12, 31))
    )
    table: dict[str, tuple[DateWindow | None, DateWindow | None]] = {
        "this": (_window(day, this.latest), DateWindow(this.earliest, day)),
        "current": (_window(day, this.latest), DateWindow(this.earliest, day)),
        "later this": (_window(day + timedelta(days=1), this.latest), None),
        "earlier this": (None, DateWindow(this.earliest, day)),
        "next": (DateWindow(date(y + 1, 1, 1), date(y + 1, 12, 31)), None),
        "the coming": (DateWindow(date(y + 1, 1, 1), date(y + 1, 12, 31)), None),
        "early next": (year_part(y + 1, "early"), None),
        "mid next": (year_part(y + 1, "mid"), None),
        "late next": (year_part(y + 1, "late"), None),
        "the end of next": (DateWindow(date(y + 1, 12, 1), date(y + 1, 12, 31)), None),
        "end of next": (DateWindow(date(y + 1, 12, 1), date(y + 1, 12, 31)), None),
        "the end of this": (december, None),
        "end of this": (december, None),
        "the end of the": (december, None),
        "end of the": (december, None),
        "end of": (december, None),
        "the following": (DateWindow(date(y + 1, 1, 1), date(y + 1, 12, 31)), None),
        "last": (None, DateWindow(date(y - 1, 1, 1), date(y - 1, 12, 31))),
        "past": (None, DateWindow(date(y - 1, 1, 1), date(y - 1, 12, 31))),
        "previous": (None, DateWindow(date(y - 1, 1, 1), date(y - 1, 12, 31))),
        "early this": (year_part(y, "early"), year_part(y, "early")),
        "the beginning of the": (DateWindow(date(y, 1, 1), date(y, 3, 31)), DateWindow(date(y, 1, 1), date(y, 3, 31))),
        "the beginning of this": (DateWindow(date(y, 1, 1), date(y, 3, 31)), DateWindow(date(y, 1, 1), date(y, 3, 31))),
        "beginning of": (DateWindow(date(y, 1, 1), date(y, 3, 31)), DateWindow(date(y, 1, 1), date(y, 3, 31))),
        "late this": (year_part(y, "late"), year_part(y, "late")),
    }  # fmt: skip
    readings = table.get(mod)
    return None if readings is None else Reading(*readings)


def _unit_delta(moment: datetime, count: int, unit: str) -> date:
    unit = unit.lower().rstrip("s")
    if unit == "hour":
        return (moment + timedelta(hours=count)).date()
    if unit == "minute":
        return (moment + timedelta(minutes=count)).date()
    if unit == "day":
        return moment.date() + timedelta(days=count)
    if unit == "week":
        return moment.date() + timedelta(weeks=count)
    if unit == "month":
        return shift_months(moment.date(), count)
    return shift_months(moment.date(), 12 * count)


def _vague(match: re.Match[str], anchor: Anchor) -> Reading | None:
    phrase = _norm(match.group(0))
    day = anchor.day
    spans = {"hours": 1, "days": 7, "weeks": 28, "months": 90}
    unit = next((u for u in spans if u in phrase), None)
    if phrase.startswith("within"):
        length = spans[unit or "days"]
        return Reading(
            DateWindow(day, day + timedelta(days=length)),
            DateWindow(day - timedelta(days=length), day),
            vague=True,
        )
    if unit is not None:
        first = day if unit == "hours" else day + timedelta(days=1)
        return Reading(DateWindow(first, day + timedelta(days=spans[unit])), None, vague=True)
    # soon, shortly, in the near future
    return Reading(
        DateWindow(day + timedelta(days=1), day + timedelta(days=30)),
        DateWindow(day - timedelta(days=30), day),
        vague=True,
    )


def _within_count(match: re.Match[str], anchor: Anchor) -> Reading | None:
    count = _number(match.group("n"))
    if count is None:
        return None
    end = _unit_delta(anchor.moment, count, match.group("unit"))
    back = anchor.day - (end - anchor.day)
    return Reading(_window(anchor.day, end), _window(back, anchor.day))


def _in_count(match: re.Match[str], anchor: Anchor) -> Reading | None:
    count = _number(match.group("n"))
    if count is None:
        return None
    return Reading(_one_day(_unit_delta(anchor.moment, count, match.group("unit"))), None)


def _ago_count(match: re.Match[str], anchor: Anchor) -> Reading | None:
    count = _number(match.group("n"))
    if count is None:
        return None
    return Reading(None, _one_day(_unit_delta(anchor.moment, -count, match.group("unit"))))


def _next_count(match: re.Match[str], anchor: Anchor) -> Reading | None:
    count = _number(match.group("n"))
    if count is None:
        return None
    unit = match.group("unit").lower().rstrip("s")
    day = anchor.day
    if _norm(match.group("dir")) in ("last", "past", "previous"):
        return Reading(None, _window(_unit_delta(anchor.moment, -count, unit), day))
    if unit in ("hour", "minute"):
        return Reading(_window(day, _unit_delta(anchor.moment, count, unit)), None)
    if unit == "month":
        first_y, first_m = add_months(day.year, day.month, 1)
        last_y, last_m = add_months(day.year, day.month, count)
        return Reading(DateWindow(date(first_y, first_m, 1), month_end(last_y, last_m)), None)
    return Reading(
        DateWindow(day + timedelta(days=1), _unit_delta(anchor.moment, count, unit)), None
    )


def _ultimatum(match: re.Match[str], anchor: Anchor) -> Reading | None:
    count = _number(match.group("n"))
    if count is None:
        return None
    end = _unit_delta(anchor.moment, count, match.group("unit"))
    return Reading(_one_day(end), None, deadline=True)


def _clock(match: re.Match[str], anchor: Anchor) -> Reading | None:
    word = (match.group("word") or "").lower()
    if word in ("noon", "midday"):
        clock = time(12, 0)
    elif word == "midnight":
        clock = time(0, 0)
    else:
        hour = int(match.group("h") or match.group("h24"))
        minute = int(match.group("m") or match.group("m24") or 0)
        ampm = (match.group("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23:
            return None
        clock = time(hour, minute)
    day = anchor.day
    if anchor.lenient and (clock < anchor.moment.time().replace(tzinfo=None) or word == "midnight"):
        day += timedelta(days=1)
    zone = match.group("zone")
    return Reading(_one_day(day), _one_day(anchor.day), clock=clock, zone=zone)


# ---------------------------------------------------------------- the grammar


@cache
def _rules(*, lenient: bool) -> tuple[Rule, ...]:
    g = _grammar(lenient=lenient)
    num = (
        r"(?:\d{1,3}|a\s+couple\s+of|a\s+few|several|an?|one|two|three|four|five|six|seven|"
        r"eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty|forty-eight|seventy-two)"
    )
    day = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b"
    day2 = r"(?:\s*(?:-|–|to|through|and|until|till)\s*(?:the\s+)?(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\b)?"
    year = r"(?P<year>(?:19|20)\d\d)\b"
    part_of_day = r"(?:\s+(?:morning|afternoon|evening|night))?"
    specs: list[tuple[str, str, Handler]] = [
        (
            "relative_day",
            r"\b(?:later\s+(?:today|tonight|this\s+(?:morning|afternoon|evening))|"
            r"(?:the\s+)?day\s+after\s+tomorrow|(?:the\s+)?day\s+before\s+yesterday|"
            r"tomorrow" + part_of_day + r"|yesterday" + part_of_day + r"|last\s+night|"
            r"today|tonight|this\s+(?:morning|afternoon|evening)"
            + (r"|(?:right\s+|just\s+)?now" if lenient else "")
            + r")\b",
            _relative_day,
        ),
        (
            "weekday",
            r"\b(?:(?P<mod>this\s+coming|this\s+past|next|this|last|past|previous|coming|"
            r"later\s+on|later|early|late)\s+)?(?:on\s+)?(?P<wd>"
            + g.weekday
            + r")"
            + part_of_day
            + r"(?:\s+(?P<week>of\s+(?:next|this|last)\s+week|after\s+next|from\s+last\s+week"
            + (r"|next\s+week|last\s+week" if lenient else "")
            + r"))?",
            _weekday_phrase,
        ),
        (
            "month_day",
            r"\b(?:"
            + g.weekday
            + r",?\s+)?(?P<month>"
            + g.month
            + r")\s+(?:the\s+)?"
            + day
            + day2
            + r"(?:,?\s+"
            + year
            + r")?",
            _month_day,
        ),
        (
            "day_month",
            r"\b(?:"
            + g.weekday
            + r",?\s+)?(?:the\s+)?"
            + day
            + day2
            + r"\s+(?:of\s+)?(?P<month>"
            + g.month
            + r")(?:,?\s+"
            + year
            + r")?",
            _month_day,
        ),
        (
            "numeric_date",
            r"\b(?:(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)|(?P<m>[01]?\d)/(?P<d>[0-3]?\d)"
            r"(?:/(?P<y>(?:19|20)?\d\d))?)\b",
            _numeric_date,
        ),
        (
            "ordinal_day",
            r"\b(?:on\s+)?the\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b"
            r"(?:\s+of\s+(?P<rel>this|next|the\s+(?:next|current|coming))\s+month)?"
            + ("" if lenient else _ORDINAL_NOT_A_DATE),
            _ordinal_day,
        ),
        (
            "month",
            r"\b(?:(?P<pre>in|by|until|till|before|since|during|through|from|of|next|last|"
            r"this|for|as\s+early\s+as|as\s+late\s+as|as\s+soon\s+as|around|after)\s+)?(?:(?P<part>early|mid|late|the\s+end\s+of|end\s+of|"
            r"the\s+beginning\s+of|beginning\s+of|the\s+start\s+of|start\s+of|"
            r"the\s+middle\s+of|middle\s+of)[\s-]*)?(?P<month>" + g.month + r")"
            r"(?:,?\s+(?:of\s+)?" + year + r")?",
            _month_only,
        ),
        (
            "year",
            r"\b(?:(?P<pre>in|by|until|till|before|during|through|since|from|early|late|mid|"
            r"the\s+end\s+of|end\s+of)[\s-]+)"
            + ("?" if lenient else "")
            + year
            + r"(?![-/]\d|\s*(?:%|percent|million|billion|people|votes|[-–]))",
            _year_only,
        ),
        (
            "quarter",
            r"\b(?:(?:the\s+)?(?P<q>first|second|third|fourth|final|last|1st|2nd|3rd|4th)"
            r"[\s-]+(?:quarter|qtr)(?:\s+of\s+(?:(?P<rel>this|next|last|the)\s+year|"
            + year
            + r"))?(?:\s+(?P<year2>(?:19|20)\d\d))?"
            r"|\bQ(?P<q2>[1-4])(?:\s+(?P<year3>(?:19|20)\d\d))?)\b",
            _quarter_adapter,
        ),
        (
            "half_year",
            r"\b(?:the\s+)?(?:(?P<half>first|second)\s+half|(?P<h>H[12]))(?:\s+of)?\s+"
            r"(?:(?P<rel>this|next|last|the)\s+year|" + year + r")",
            _half_adapter,
        ),
        (
            "season",
            r"\b(?:(?P<mod>later\s+this|this|next|last|in\s+the|by|until|this\s+coming|"
            r"early|late|over\s+the)\s+)?(?P<season>spring|summer|autumn|fall|winter)"
            r"(?:\s+(?:of\s+)?" + year + r")?\b",
            _season,
        ),
        (
            "holiday",
            r"(?:\b(?P<mod>next|last|this)\s+)?(?P<name>" + g.holiday + r")"
            r"(?:,?\s+" + year + r")?",
            _holiday,
        ),
        (
            "week",
            r"\b(?P<mod>this\s+coming|the\s+following|the\s+previous|the\s+coming|"
            r"(?:the\s+)?(?:end|beginning|start)\s+of\s+(?:this|the|next|last)|"
            r"(?:later|earlier|early|late)\s+(?:this|next)|mid[-\s]?next|over\s+the|"
            r"this|next|last|past|previous|current|coming|the)\s+(?P<unit>weekend|week)\b",
            _week_phrase,
        ),
        (
            "in_the_week",
            r"\b(?P<part>early|later|late)\s+in\s+the\s+week\b",
            _in_the_week,
        ),
        (
            "month_rel",
            r"\b(?P<mod>the\s+following|the\s+coming|"
            r"(?:the\s+)?(?:end|beginning|start)\s+of\s+(?:this|the|next)|"
            r"(?:later|earlier|early|late|mid)[-\s]+(?:this|next)|this|next|last|past|previous)"
            r"\s+month\b",
            _month_phrase,
        ),
        (
            "year_rel",
            r"\b(?P<mod>the\s+following|the\s+coming|"
            r"(?:the\s+)?(?:end|beginning)\s+of\s+(?:this|the|next)|(?:the\s+)?end\s+of|"
            r"(?:later|earlier|early|late|mid)[-\s]+(?:this|next)|this|next|last|past|previous|"
            r"current)\s+year\b",
            _year_phrase,
        ),
        (
            "vague",
            r"\b(?:(?:in|over|during)\s+(?:the\s+)?(?:coming|next\s+(?:few|couple\s+of|several))"
            r"\s+(?:hours|days|weeks|months)|in\s+the\s+(?:hours|days|weeks|months)\s+ahead|"
            r"(?:in\s+)?a\s+matter\s+of\s+(?:hours|days|weeks|months)|"
            r"within\s+(?:the\s+next\s+few\s+|a\s+few\s+)?(?:hours|days|weeks|months)|"
            r"in\s+the\s+(?:near|not[-\s]too[-\s]distant)\s+future|"
            r"(?<!as\s)soon(?!\s+(?:after|afterwards?|thereafter|as|enough|-to-be))|"
            r"shortly(?!\s+(?:after|afterwards?|before|thereafter))|"
            r"before\s+long|imminently|any\s+day\s+now)\b",
            _vague,
        ),
        (
            "within_count",
            r"\bwithin\s+(?:the\s+next\s+)?(?P<n>" + num + r")\s+(?P<unit>hours?|days?|weeks?|"
            r"months?|years?)\b",
            _within_count,
        ),
        (
            "in_count",
            r"\b(?:in|after)\s+(?P<n>" + num + r")\s+(?P<unit>minutes?|hours?|days?|weeks?|"
            r"months?|years?)(?:'?\s+time)?(?:\s+from\s+(?:now|today))?\b",
            _in_count_guarded,
        ),
        (
            "from_now",
            r"\b(?P<n>" + num + r")\s+(?P<unit>minutes?|hours?|days?|weeks?|months?|years?)\s+"
            r"(?:from\s+(?:now|today)|hence)\b",
            _in_count,
        ),
        (
            "ago",
            r"\b(?P<n>"
            + num
            + r")\s+(?P<unit>minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b",
            _ago_count,
        ),
        (
            "next_count",
            r"\b(?:the\s+)?(?P<dir>next|coming|upcoming|last|past|previous)\s+(?P<n>"
            + num
            + r")\s+(?P<unit>hours?|days?|weeks?|months?)\b",
            _next_count,
        ),
        (
            "ultimatum",
            r"\b(?P<n>\d{1,3}|twenty-four|forty-eight|seventy-two|" + num + r")[-\s]"
            r"(?P<unit>hour|day|week)\s+(?:deadline|ultimatum|countdown)\b",
            _ultimatum,
        ),
        (
            "clock",
            r"\b(?:(?P<h>[01]?\d)(?::(?P<m>[0-5]\d))?\s*(?P<ampm>a\.\s?m\.|p\.\s?m\.|a\.m\b|p\.m\b|"
            r"am\b|pm\b)|(?P<h24>[01]?\d|2[0-3])[:h](?P<m24>[0-5]\d)\b|(?P<word>noon|midday|midnight)\b)"
            r"(?:\s*\(?(?P<zone>" + ZONES + r")\)?(?![A-Za-z]))?",
            _clock,
        ),
    ]
    if lenient:
        from bot.temporal_typed import typed_rules  # imported here: it imports this module

        specs += typed_rules()
    flags = re.IGNORECASE
    return tuple(
        Rule(name, re.compile(pattern, flags), handler) for name, pattern, handler in specs
    )


def _quarter_adapter(match: re.Match[str], anchor: Anchor) -> Reading | None:
    ordinal = match.group("q")
    if not anchor.lenient and ordinal and match.string[match.end("q")] == "-":
        return None  # "third-quarter results": a reporting period, not a date ahead
    quarter = ORDINALS.get((ordinal or "").lower()) or int(match.group("q2") or 0)
    if not quarter:
        return None
    year = _year_of(match.group("year") or match.group("year2") or match.group("year3"))
    return _quarter(quarter, year, _norm(match.group("rel")), anchor)


def _half_adapter(match: re.Match[str], anchor: Anchor) -> Reading | None:
    half = match.group("half") or (match.group("h") or "")[-1:]
    first = half.lower() in ("first", "1")
    return _half_year(first, _year_of(match.group("year")), _norm(match.group("rel")), anchor)


_DURATION_CONTEXT = re.compile(
    r"(?:\w+est|first|highest|lowest|biggest|largest|worst|best|fastest|slowest|most|least|time|"
    r"once|only|twice|strongest|weakest|sharpest|steepest)\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)


def _in_count_guarded(match: re.Match[str], anchor: Anchor) -> Reading | None:
    # "the first increase in three years" is a duration looking back, not a date ahead.
    before = match.string[max(0, match.start() - 40) : match.start()]
    if _DURATION_CONTEXT.search(before):
        return None
    if not anchor.lenient and match.group("unit").lower().startswith("minute"):
        return None  # "won in 59 minutes": news gives race times, not appointments, in minutes
    return _in_count(match, anchor)


# ---------------------------------------------------------------- scanning and combining

_MODIFIER = re.compile(
    r"\b(?P<mod>no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|at\s+the\s+latest\s+by|"
    r"as\s+soon\s+as|as\s+early\s+as|as\s+late\s+as|by|before|until|till|through|since|"
    r"from|starting|beginning|between)\s+$",
    re.IGNORECASE,
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|through|thru|until|till|and)\s*$", re.IGNORECASE)
_OR_JOIN = re.compile(r"^\s*,?\s*or\s+(?:(?:as\s+late\s+as|possibly|perhaps)\s+)?$", re.IGNORECASE)
_CLOCK_BEFORE_DATE = re.compile(r"^\s*,?\s*(?:on\s+)?$", re.IGNORECASE)
_DATE_BEFORE_CLOCK = re.compile(r"^\s*,?\s*(?:at|by|before|from)?\s*$", re.IGNORECASE)
_POINT_RULES = frozenset(
    {"weekday", "month_day", "day_month", "numeric_date", "ordinal_day", "holiday", "relative_day"}
)


_ORDINAL_NOT_A_DATE = (
    r"(?![-–]|\s+(?-i:[A-Z])|\s+(?:of\s+[A-Za-z]|century|centuries|anniversary|time|times|round|"
    r"floor|amendment|place|day|year|edition|birthday|straight|consecutive|annual|minute|hole|"
    r"inning|seed|district|grade|street|avenue|overall|largest|biggest|week|month|season|"
    r"game|match|meeting|session|term|generation|percentile|position|attempt|\w+est\b))"
)
_CAPITALISED_AFTER = re.compile(r"\s+(?-i:([A-Z][a-z]+))")
_HABITUAL_BEFORE = re.compile(r"\b(?:every|each)\s+$", re.IGNORECASE)
_THE_NAME_BEFORE = re.compile(r"(?-i:\bthe\s+[A-Z][a-z]+\s+)$")
_DATE_WORDS = frozenset(
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Morning",
        "Afternoon",
        "Evening",
        "Night",
    ]
)


def _weekday_is_a_name(text: str, start: int, end: int) -> bool:
    """'Tuesday Ventures', 'the Friday Group', 'the Millbrook Wednesday': names, not days."""
    after = _CAPITALISED_AFTER.match(text, end)
    if after is not None and after.group(1) not in _DATE_WORDS:
        return True
    before = text[max(0, start - 40) : start]
    return (
        _THE_NAME_BEFORE.search(before) is not None or _HABITUAL_BEFORE.search(before) is not None
    )


def _typed_reading(
    rule: str, match: re.Match[str], anchor: Anchor, reading: Reading | None
) -> Reading | None:
    """Lenient mode only: a typed expression may mean a phrase differently ("this week" is the
    whole week); bot.temporal_typed decides."""
    from bot.temporal_typed import typed_reading  # imported here: it imports this module

    return typed_reading(rule, match, anchor, reading)


def _scan(text: str, anchor: Anchor) -> list[TimeMention]:
    """All atomic phrases, leftmost-longest without overlaps."""
    found: list[TimeMention] = []
    for rule in _rules(lenient=anchor.lenient):
        for match in rule.pattern.finditer(text):
            if match.end() == match.start():
                continue
            if (
                rule.name == "weekday"
                and not anchor.lenient
                and _weekday_is_a_name(text, match.start("wd"), match.end("wd"))
            ):
                continue
            reading = rule.handler(match, anchor)
            if anchor.lenient:
                reading = _typed_reading(rule.name, match, anchor, reading)
            if reading is None or (reading.future is None and reading.past is None):
                continue
            found.append(
                TimeMention(match.start(), match.end(), match.group(0), reading, rule.name)
            )
    priority = {rule.name: index for index, rule in enumerate(_rules(lenient=anchor.lenient))}
    chosen: list[TimeMention] = []
    for mention in sorted(found, key=lambda m: (-(m.end - m.start), priority[m.rule], m.start)):
        if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)


def _merge(
    text: str, first: TimeMention, second: TimeMention, reading: Reading, rule: str
) -> TimeMention:
    return TimeMention(first.start, second.end, text[first.start : second.end], reading, rule)


def _union(a: DateWindow | None, b: DateWindow | None) -> DateWindow | None:
    if a is None or b is None:
        return a or b
    return a.union(b)


def _span(a: DateWindow | None, b: DateWindow | None) -> DateWindow | None:
    if a is None or b is None or b.latest < a.earliest:
        return None
    return DateWindow(a.earliest, b.latest)


def _combine_pair(text: str, left: TimeMention, right: TimeMention) -> TimeMention | None:
    gap = text[left.end : right.start]
    lr, rr = left.reading, right.reading
    if left.rule == "clock" and right.rule in _POINT_RULES and _CLOCK_BEFORE_DATE.match(gap):
        return _merge(text, left, right, replace(rr, clock=lr.clock, zone=lr.zone), right.rule)
    if left.rule in _POINT_RULES and right.rule == "clock" and _DATE_BEFORE_CLOCK.match(gap):
        return _merge(text, left, right, replace(lr, clock=rr.clock, zone=rr.zone), left.rule)
    if _OR_JOIN.match(gap) and right.rule != "clock" and left.rule != "clock":
        reading = Reading(
            _union(lr.future, rr.future),
            _union(lr.past, rr.past) if lr.past and rr.past else None,
            vague=lr.vague or rr.vague,
            hedged=lr.hedged or rr.hedged,
        )
        return _merge(text, left, right, reading, "union")
    dash = gap.strip() in ("-", "–", "—", ",")
    if dash and right.rule == "holiday" and lr.future is not None and lr.future == rr.future:
        # "midnight Monday — Labor Day": the holiday names the same day again
        return _merge(text, left, right, lr, left.rule)
    if (
        _RANGE_JOIN.match(gap)
        and left.rule in _POINT_RULES
        and right.rule in _POINT_RULES
        and not (dash and left.rule != right.rule)  # "Monday — Labor Day" is apposition
    ):
        future_right = rr.future
        if (
            left.rule == right.rule == "weekday"
            and lr.future is not None
            and rr.future is not None
            and rr.future.latest < lr.future.earliest
        ):
            future_right = DateWindow(
                rr.future.earliest + timedelta(days=7), rr.future.latest + timedelta(days=7)
            )
        future = _span(lr.future, future_right)
        past = _span(lr.past, rr.past)
        if future is None and past is None:
            return None
        return _merge(
            text, left, right, Reading(future, past, clock=lr.clock, zone=lr.zone), "range"
        )
    return None


def _apply_modifier(text: str, mention: TimeMention, anchor: Anchor) -> TimeMention:
    match = _MODIFIER.search(text, max(0, mention.start - 40), mention.start)
    if match is None:
        return mention
    mod = _norm(match.group("mod"))
    reading = mention.reading
    day = anchor.day
    if mod in (
        "by",
        "before",
        "no later than",
        "not later than",
        "on or before",
        "at the latest by",
    ):
        future = None
        if reading.future is not None and reading.future.latest >= day:
            future = DateWindow(min(day, reading.future.earliest), reading.future.latest)
        reading = replace(reading, future=future, deadline=True)
    elif mod == "since":
        reading = replace(reading, future=None)
    elif mod in ("as early as", "as soon as"):
        reading = replace(reading, hedged=True)
    elif mod == "between":
        return mention  # "between X and Y" is built by the range join; the word adds nothing
    return TimeMention(
        match.start("mod"),
        mention.end,
        text[match.start("mod") : mention.end],
        reading,
        mention.rule,
    )


def find_mentions(text: str, moment: datetime, *, lenient: bool = False) -> list[TimeMention]:
    """Every time phrase in `text`, resolved against `moment` (aware, in the article's zone)."""
    anchor = Anchor(moment, lenient)
    mentions = _scan(text, anchor)
    combined: list[TimeMention] = []
    for mention in mentions:
        if combined:
            joined = _combine_pair(text, combined[-1], mention)
            if joined is not None:
                combined[-1] = joined
                continue
        combined.append(mention)
    return [_apply_modifier(text, mention, anchor) for mention in combined]


def _iter_windows(mention: TimeMention) -> Iterator[DateWindow]:
    if mention.reading.future is not None:
        yield mention.reading.future
    if mention.reading.past is not None:
        yield mention.reading.past


def resolve_expression(text: str, ref: datetime) -> DateWindow | None:
    """Resolve a standalone time expression ("next tuesday at 5pm") to a day window.

    Forward readings win, as a person typing a time usually means the next one; the longest
    phrase found stands for the whole text.
    """
    mentions = find_mentions(text, ref, lenient=True)
    if not mentions:
        return None
    best = max(mentions, key=lambda m: m.end - m.start)
    return next(_iter_windows(best), None)
