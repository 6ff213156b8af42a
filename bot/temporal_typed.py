"""Lenient-only grammar for standalone time expressions that a person types.

bot.temporal reads news prose strictly and a typed expression ("next tue at 3pm") leniently. This
module holds what only the lenient grammar reads, and where a typed expression is ambiguous it
follows Duckling's English conventions, the de-facto reference for typed expressions:

- clock times in every spelling ("half past three pm", "11h45", "at 1030", "tonight at 8"),
  resolved to the next such time, a time zone moving the day where it must;
- durations ("in 1/4h", "a fortnight hence", "two years ago") and counted spans ("last 2 weeks",
  "upcoming two days");
- ordinal and counted dates ("the 2nd last week of October 2018", "two sundays from now");
- parts of periods ("BOM", "end of the year") and whole periods ("this week" is Monday..Sunday);
- ranges ("July 13 thru 15", "from 3:30 to 6 PM", "18th Dec for 10 days") and more holidays.

bot.temporal appends `typed_rules()` to its lenient rules and passes every lenient match through
`typed_reading()`: when a typed rule reads the very same text in full, its reading wins, so a phrase
that the shared rules also know ("this week", "next wednesday") gets its typed meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

from bot.calendar_math import (
    add_months,
    easter,
    holiday,
    month_end,
    month_part,
    month_window,
    next_weekday,
    previous_weekday,
    quarter_window,
    shift_months,
    week_start,
    week_window,
)
from bot.model import DateWindow
from bot.temporal import ZONES, Anchor, Handler, Reading, find_mentions

# ---------------------------------------------------------------- words and numbers

_UNIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEEN_WORDS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ORDINAL_UNITS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
)  # fmt: skip
_ORDINAL_TEENS = (
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth",
)  # fmt: skip


def _cardinal_table() -> dict[str, int]:
    table = {word: value for value, word in enumerate(_UNIT_WORDS)}
    table.update({word: 10 + value for value, word in enumerate(_TEEN_WORDS)})
    for tens_index, tens in enumerate(_TENS_WORDS):
        table[tens] = 20 + 10 * tens_index
        for unit_index, unit in enumerate(_UNIT_WORDS[1:], start=1):
            table[f"{tens} {unit}"] = 20 + 10 * tens_index + unit_index
    return table


def _ordinal_table() -> dict[str, int]:
    table = {word: value for value, word in enumerate(_ORDINAL_UNITS, start=1)}
    table.update({word: 10 + value for value, word in enumerate(_ORDINAL_TEENS)})
    table.update({"twentieth": 20, "thirtieth": 30, "last": -1})
    for tens, base in (("twenty", 20), ("thirty", 30)):
        for value, word in enumerate(_ORDINAL_UNITS, start=1):
            table[f"{tens} {word}"] = base + value
    return table


CARDINALS = _cardinal_table()
ORDINAL_WORDS = _ordinal_table()

_UNIT_ALTS = "|".join(_UNIT_WORDS[1:])
CARDINAL_WORD = (
    rf"(?:(?:{'|'.join(_TENS_WORDS)})(?:[\s-]+(?:{_UNIT_ALTS}))?|{'|'.join(_TEEN_WORDS)}|"
    rf"{_UNIT_ALTS}|zero)\b"
)
ORDINAL_WORD = (
    rf"(?:(?:twenty|thirty)[\s-]+(?:{'|'.join(_ORDINAL_UNITS)})|{'|'.join(_ORDINAL_TEENS)}|"
    rf"twentieth|thirtieth|{'|'.join(_ORDINAL_UNITS)})\b"
)
ORDINAL = rf"(?:\d{{1,2}}(?:st|nd|rd|th)\b|{ORDINAL_WORD})"
COUNT = (
    rf"(?:\d{{1,3}}(?!\d)|{CARDINAL_WORD}|an?\s+couple\s+of|a\s+couple|couple\s+of|couple|"
    r"a\s+pair\s+of|pair\s+of|a\s+few|few|several|an?\b)"
)
WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?)\b\.?"
)
WEEKDAYS_PLURAL = r"(?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)\b"
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
YEAR = r"(?:1[89]|20)\d\d(?!\d)"


def _norm(text: str | None) -> str:
    return re.sub(r"[\s-]+", " ", (text or "").lower()).strip()


def count_value(text: str) -> int | None:
    """A count written in digits or words ("3", "twenty-one", "a couple of", "a few")."""
    text = _norm(text)
    if text.isdigit():
        return int(text)
    if text in CARDINALS:
        return CARDINALS[text]
    text = re.sub(r"^an? ", "", text).removesuffix(" of")
    if text in ("", "a", "an"):
        return 1
    return {"couple": 2, "pair": 2, "few": 3, "several": 5}.get(text)


def ordinal_value(text: str) -> int | None:
    """1 for "first" or "1st", -1 for "last"."""
    text = _norm(text)
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", text)
    if digits:
        return int(digits.group(1))
    return ORDINAL_WORDS.get(text)


def weekday_index(text: str) -> int:
    """0 for Monday."""
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(text.lower()[:3])


def month_index(text: str) -> int:
    """1 for January."""
    months = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    return months.index(text.lower()[:3]) + 1


def _one_day(day: date) -> DateWindow:
    return DateWindow(day, day)


def _future(window: DateWindow | None) -> Reading | None:
    return None if window is None else Reading(window, None)


def _both(window: DateWindow | None) -> Reading | None:
    return None if window is None else Reading(window, window)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _strip_group_names(pattern: str) -> str:
    """The same pattern without named groups, to embed it twice in one expression."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


@lru_cache(maxsize=4096)
def _inner_reading(text: str, moment: datetime) -> Reading | None:
    """The reading of a part of an expression ("october 6th" in "the week of october 6th"),
    or None when the lenient grammar does not read that part as one phrase."""
    mentions = find_mentions(text, moment, lenient=True)
    if len(mentions) != 1 or text[: mentions[0].start].strip() or text[mentions[0].end :].strip():
        return None
    return mentions[0].reading


def _inner_window(text: str, anchor: Anchor) -> DateWindow | None:
    reading = _inner_reading(text.strip(), anchor.moment)
    if reading is None:
        return None
    return reading.future or reading.past


# ---------------------------------------------------------------- clock times

# Minutes east of UTC of the zone abbreviations a typed clock time may carry.
ZONE_OFFSETS = {
    "gmt": 0, "utc": 0, "z": 0, "wet": 0, "bst": 60, "cet": 60, "cest": 120, "eet": 120,
    "eest": 180, "msk": 180, "ist": 330, "sgt": 480, "hkt": 480, "awst": 480, "jst": 540,
    "kst": 540, "acst": 570, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780, "nst": -210,
    "ndt": -150, "ast": -240, "adt": -180, "est": -300, "edt": -240, "et": -300, "cst": -360,
    "cdt": -300, "ct": -360, "mst": -420, "mdt": -360, "mt": -420, "pst": -480, "pdt": -420,
    "pt": -480, "akst": -540, "akdt": -480, "hst": -600,
}  # fmt: skip
_HOUR_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
_MINUTE_WORD = rf"(?:oh[\s-]+(?:{_UNIT_ALTS})\b|{CARDINAL_WORD})"
_HOUR_TOKEN = rf"(?:\d{{1,2}}(?!\d)(?:\s*h\b)?|{_HOUR_WORD}|noon|midnight|midday)"
_PART_OF_DAY = r"(?:morning|afternoon|evening|night)"
CLOCK = (
    r"(?:(?P<lead>tonight|tonite|today|this\s+(?:morning|afternoon|evening)|"
    r"(?:(?:early|late)\s+)?(?:in\s+the\s+)?" + _PART_OF_DAY + r")\s*,?\s*(?:at|@)\s*"
    r"|(?P<prefix>at|@|around|about|approx(?:imately|\.)?|for)\s*)?"
    r"(?:(?P<rel_minutes>(?:a\s+)?quarter|half|\d{1,2}(?!\d)|" + _MINUTE_WORD + r")"
    r"(?:\s+min(?:ute)?s?)?\s+(?P<rel_dir>past|after|to|till|before|of)\s+"
    r"(?P<rel_hour>" + _HOUR_TOKEN + r")"
    r"|half\s+(?P<half_hour>" + _HOUR_TOKEN + r")"
    r"|(?P<h>[01]?\d|2[0-4])\s*(?P<sep>:|h|\.)\s*(?P<m>[0-5]\d)(?::[0-5]\d)?(?!\d)"
    r"|(?P<compact>\d{3,4})(?!\d)"
    r"|(?P<spaced_h>[01]?\d|2[0-3])\s+(?P<spaced_m>[0-5]\d)(?!\d)"
    r"|(?P<hour>[01]?\d|2[0-4])(?!\d)(?P<h_suffix>\s*h\b)?"
    r"|(?P<word_hour>" + _HOUR_WORD + r")(?:[\s-]+(?P<word_minute>" + _MINUTE_WORD + r"))?"
    r"|(?P<named>noon|midnight|midday|mid\s*day)\b)"
    r"(?![.\-/]\d)"
    r"(?P<ish>\s*ish\b)?"
    r"(?P<oclock>\s*o\s*'?\s*clock\b)?"
    r"(?:\s*(?P<meridiem>[ap]\.?\s?m\b\.?)|(?P<letter>[ap])\b\.?"
    r"|\s+in\s+the\s+(?P<meridiem_words>am|pm)\b)?"
    r"(?:\s+(?:in\s+the\s+|in\s+|at\s+)(?P<part>" + _PART_OF_DAY + r"))?"
    r"(?:\s*\(?(?P<zone>" + ZONES + r")\)?(?![a-z]))?"
)
CLOCK_PLAIN = _strip_group_names(CLOCK)
_CLOCK_RE = re.compile(CLOCK, re.IGNORECASE)
_EVENING_PARTS = ("afternoon", "evening", "night", "tonight", "tonite")


@dataclass(frozen=True)
class ClockTime:
    """A clock time as typed: the minutes after midnight it may mean, and its zone."""

    candidates: tuple[int, ...]
    zone_offset: int | None
    zone: str | None
    meridiem: str | None
    part: str | None

    def first_day(self, anchor: Anchor) -> date:
        """Day of the next such time. As Duckling does, a time in the current hour still counts
        as today ("4:23am" said at 4:30 is today), and "tonight at 12" is the coming midnight."""
        ref_offset = anchor.moment.utcoffset()
        ref_minutes = 0 if ref_offset is None else int(ref_offset.total_seconds()) // 60
        shift = 0 if self.zone_offset is None else ref_minutes - self.zone_offset
        hour_start = anchor.moment.hour * 60
        for day_index in range(3):
            for minutes in sorted(self.candidates):
                local = day_index * 1440 + minutes + shift
                if local >= hour_start:
                    return anchor.day + timedelta(days=local // 1440)
        return anchor.day

    @property
    def clock(self) -> time:
        minutes = min(self.candidates) % 1440
        return time(minutes // 60, minutes % 60)


def _hour_token_value(text: str) -> tuple[int, bool] | None:
    """(hour, fixed) of an hour word or number: "noon" and "15h" are fixed, "3" is not."""
    text = _norm(text)
    if text in ("noon", "midday"):
        return 12, True
    if text == "midnight":
        return 0, True
    digits = re.fullmatch(r"(\d{1,2})\s*(h?)", text)
    if digits:
        hour = int(digits.group(1))
        return (
            (hour, bool(digits.group(2)) or hour > 12 or text.startswith("0"))
            if hour <= 24
            else None
        )
    value = CARDINALS.get(text)
    return None if value is None else (value, False)


def _minute_value(text: str) -> int | None:
    text = _norm(text).removeprefix("oh ")
    if text in ("quarter", "a quarter"):
        return 15
    if text == "half":
        return 30
    value = int(text) if text.isdigit() else CARDINALS.get(text)
    return value if value is not None and value < 60 else None


def _hour_candidates(
    hour: int, fixed: bool, meridiem: str | None, part: str | None, *, led: bool = False
) -> list[int]:
    """Hours of the day (24 = the coming midnight) that a typed hour may mean. `led` is set when
    the part of the day comes first ("this evening at 12")."""
    if meridiem is not None:
        if hour > 12:
            return [hour] if meridiem == "pm" else []
        return [hour % 12 + (12 if meridiem == "pm" else 0)]
    if part == "morning":
        return [hour % 12 if hour <= 12 else hour]
    if part in _EVENING_PARTS:
        # "tonight at 2" is 2 pm and "this afternoon at 12" the coming midnight (Duckling), but
        # "12:15 in the afternoon" is a quarter past noon.
        if hour == 12 and part == "afternoon" and not led:
            return [12]
        return [hour + 12 if hour <= 12 else hour]
    if fixed or hour == 0 or hour > 12:
        return [hour]
    return [hour % 12, hour % 12 + 12]


def parse_clock(text: str, *, need_marker: bool = True) -> ClockTime | None:
    """Read a typed clock time. Without a marker (a colon, "am", "at", "o'clock"...) a bare
    number is not a time; `need_marker=False` accepts one where the context says it is ("from 3
    to 4 pm")."""
    match = _CLOCK_RE.fullmatch(text.strip())
    return None if match is None else clock_from_match(match, need_marker=need_marker)


@dataclass(frozen=True)
class _Dial:
    """The hour and minutes a clock phrase names, before am/pm, parts of the day and zones."""

    hour: int
    minutes: int  # added to the hour; negative for "a quarter to noon"
    fixed: bool  # a 24-hour reading: "15h", "08:00", "noon"
    marked: bool  # the numbers alone say it is a time: "3:30", "half past three", "15h"


def _dial(group: Callable[[str], str | None], prefix: str, marked: bool) -> _Dial | None:
    """Read the hour and minutes; `marked` says whether the words around them mark a time."""
    if group("rel_hour"):
        token = _hour_token_value(group("rel_hour") or "")
        minutes = _minute_value(group("rel_minutes") or "")
        if token is None or minutes is None:
            return None
        sign = 1 if _norm(group("rel_dir")) in ("past", "after") else -1
        return _Dial(token[0], sign * minutes, token[1], True)
    if group("half_hour"):
        token = _hour_token_value(group("half_hour") or "")
        return None if token is None else _Dial(token[0], 30, token[1], True)
    if group("h"):
        hour_text = group("h") or ""
        hour = int(hour_text)
        fixed = hour > 12 or hour_text.startswith("0") or _norm(group("sep")) == "h"
        return _Dial(hour, int(group("m") or 0), fixed, True)
    if group("compact"):
        digits = group("compact") or ""
        hour, minutes = int(digits[:-2]), int(digits[-2:])
        fixed = hour > 12 or digits.startswith("0")
        return None if minutes >= 60 else _Dial(hour, minutes, fixed, marked)
    if group("spaced_h"):
        hour = int(group("spaced_h") or 0)
        return _Dial(hour, int(group("spaced_m") or 0), hour > 12, prefix in ("at", "@"))
    if group("hour"):
        hour_text = group("hour") or ""
        hour = int(hour_text)
        suffixed = bool(group("h_suffix"))
        fixed = suffixed or hour > 12 or hour_text.startswith("0")
        return _Dial(hour, 0, fixed, marked or suffixed or bool(group("letter")))
    if group("word_hour"):
        hour = CARDINALS[_norm(group("word_hour"))]
        word_minutes = _minute_value(group("word_minute") or "zero")
        return None if word_minutes is None else _Dial(hour, word_minutes, False, marked)
    named = _norm(group("named")).replace(" ", "")
    return _Dial(0 if named == "midnight" else 12, 0, True, True)


def clock_from_match(match: re.Match[str], *, need_marker: bool = True) -> ClockTime | None:
    group = match.group
    prefix = _norm(group("prefix"))
    meridiem_text = group("meridiem") or group("letter") or group("meridiem_words") or ""
    meridiem = {"a": "am", "p": "pm"}.get(meridiem_text.lower()[:1])
    lead = _norm(group("lead"))
    part = _norm(group("part")) or next(
        (word for word in ("morning", *_EVENING_PARTS) if word in lead), None
    )
    marked = bool(
        group("lead") or (prefix and prefix != "for") or group("oclock") or group("meridiem")
        or group("meridiem_words") or group("part") or group("zone")
    )  # fmt: skip
    if group("letter") and not (group("m") or prefix in ("at", "@")):
        return None  # "4a" alone is not a time (Duckling's negative corpus)
    if group("sep") == "." and meridiem is None:
        return None  # "7.30pm" is a time, "7.30" may be a price or a version
    dial = _dial(group, prefix, marked)
    if dial is None or (need_marker and not dial.marked):
        return None
    if dial.hour > 24 or (dial.hour == 24 and dial.minutes > 0):
        return None
    hours = _hour_candidates(dial.hour, dial.fixed, meridiem, part, led=bool(group("lead")))
    if not hours:
        return None
    zone = group("zone")
    return ClockTime(
        tuple(hour * 60 + dial.minutes for hour in hours),
        ZONE_OFFSETS.get(_norm(zone)) if zone else None,
        zone,
        meridiem,
        part,
    )


def _clock_reading(clock: ClockTime, anchor: Anchor) -> Reading:
    day = clock.first_day(anchor)
    return Reading(_one_day(day), _one_day(anchor.day), clock=clock.clock, zone=clock.zone)


def _typed_clock(match: re.Match[str], anchor: Anchor) -> Reading | None:
    clock = clock_from_match(match)
    return None if clock is None else _clock_reading(clock, anchor)


def _clock_range(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "from 3:30 to 6 PM", "15h GMT - 18h GMT", "later than 9:30 but before 11:00 on Thursday"."""
    start = parse_clock(match.group("start"), need_marker=False)
    end = parse_clock(match.group("end"), need_marker=False)
    if start is None or end is None:
        return None
    if not (parse_clock(match.group("start")) or parse_clock(match.group("end"))):
        return None  # "from 13 to 15 July" is a range of days
    if not match.group("start").strip()[:1].isdigit() and parse_clock(match.group(0)):
        return None  # "ten to eight in the morning" is one time, 7:50
    if start.meridiem is None and start.part is None and (end.meridiem or end.part):
        # "3:30 to 6 PM": the end's half of the day applies to the start too.
        hours = [minutes // 60 for minutes in start.candidates]
        hour = min(hours)
        shifted = _hour_candidates(hour, False, end.meridiem, end.part)
        start = ClockTime(
            tuple(h * 60 + min(start.candidates) % 60 for h in shifted),
            start.zone_offset, start.zone, end.meridiem, end.part,
        )  # fmt: skip
    if match.group("date"):
        window = _inner_window(match.group("date"), anchor)
        return _future(window)
    first = start.first_day(anchor)
    return Reading(_one_day(first), None, clock=start.clock, zone=start.zone)


# ---------------------------------------------------------------- durations

_DURATION_UNIT = (
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|weeks?|wks?|fortnights?|"
    r"months?|quarters?|qtrs?|years?|yrs?|''|\"|')(?![a-z])"
)
DURATION = (
    r"(?P<amount>\d+(?:\.\d+)?(?:\s+and\s+(?:an?\s+)?half)?|\d+\s*/\s*\d+|"
    r"(?:a\s+|one\s+)?quarter\s+of\s+an?|(?:three|3)[\s-]+quarters?\s+of\s+an?|"
    r"half\s+(?:of\s+)?an?|" + CARDINAL_WORD + r"(?:\s+and\s+(?:an?\s+)?half)?|"
    r"an?\s+couple(?:\s+of)?|couple(?:\s+of)?|an?\s+pair\s+of|pair\s+of|an?\s+few|few|"
    r"several|an?)"
    r"(?:\s+more)?(?:(?<=\d)\s*|\s+)" + _DURATION_UNIT + r"(?P<and_half>\s+and\s+a\s+half)?"
)
DURATION_PLAIN = _strip_group_names(DURATION)
_DURATION_RE = re.compile(DURATION, re.IGNORECASE)
_UNIT_NAMES = (
    ("second", ("s", "sec", "second", '"', "''")), ("minute", ("min", "minute", "'")),
    ("hour", ("h", "hr", "hour")), ("day", ("day",)), ("week", ("week", "wk")),
    ("fortnight", ("fortnight",)), ("month", ("month",)), ("quarter", ("quarter", "qtr")),
    ("year", ("year", "yr")),
)  # fmt: skip
_SHORT_UNITS = ("second", "minute", "hour")


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: str  # second, minute, hour, day, week, fortnight, month, quarter, year

    def after(self, moment: datetime, sign: int = 1) -> datetime:
        """`moment` moved by the duration; months and years keep the day of the month."""
        amount = sign * self.amount
        days_per_unit = {"day": 1, "week": 7, "fortnight": 14}
        seconds_per_unit = {"second": 1, "minute": 60, "hour": 3600}
        if self.unit in seconds_per_unit:
            return moment + timedelta(seconds=amount * seconds_per_unit[self.unit])
        if self.unit in days_per_unit:
            return moment + timedelta(days=amount * days_per_unit[self.unit])
        months = amount * {"month": 1, "quarter": 3, "year": 12}[self.unit]
        if months != int(months):
            return moment + timedelta(days=months * 30.4)
        shifted = shift_months(moment.date(), int(months))
        return moment.replace(year=shifted.year, month=shifted.month, day=shifted.day)


def _amount_value(text: str) -> float | None:
    text = _norm(text)
    half = re.fullmatch(r"(.+?) and (?:an? )?half", text)
    if half:
        whole = _amount_value(half.group(1))
        return None if whole is None else whole + 0.5
    fraction = re.fullmatch(r"(\d+) ?/ ?(\d+)", text)
    if fraction:
        denominator = int(fraction.group(2))
        return None if denominator == 0 else int(fraction.group(1)) / denominator
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    if "quarter" in text:
        return 0.75 if text.startswith(("three", "3")) else 0.25
    if text.startswith("half"):
        return 0.5
    count = count_value(text)
    return None if count is None else float(count)


def duration_from_match(match: re.Match[str]) -> Duration | None:
    amount = _amount_value(match.group("amount"))
    unit_text = match.group("unit").lower()
    unit_key = unit_text if unit_text in ("'", '"', "''", "s", "h") else unit_text.rstrip("s")
    unit = next((name for name, spellings in _UNIT_NAMES if unit_key in spellings), None)
    if amount is None or unit is None:
        return None
    if match.group("and_half"):
        amount += 0.5
    return Duration(amount, unit)


def parse_duration(text: str) -> Duration | None:
    match = _DURATION_RE.fullmatch(text.strip())
    return None if match is None else duration_from_match(match)


def _duration_window(
    duration: Duration, anchor: Anchor, *, sign: int, month_grain: bool, clocked: bool
) -> DateWindow:
    """The day(s) `duration` away from now. Duckling gives "in 2 years" and "two years ago" the
    grain of a month, so they cover that whole month, or its first day when a clock time is
    attached ("in 4 years at 5pm")."""
    moved = duration.after(anchor.moment, sign).date()
    if month_grain and duration.unit == "year" and duration.amount == int(duration.amount):
        first = moved.replace(day=1)
        return _one_day(first) if clocked else month_window(first.year, first.month)
    return _one_day(moved)


def _duration_phrase(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "in 2.5 hours", "a fortnight hence", "two years ago", "at 7 in 3 years"."""
    groups = match.groupdict()
    duration = parse_duration(groups["duration"] or groups["duration2"] or "")
    if duration is None:
        return None
    direction = _norm(groups["direction"] or groups["direction2"])
    clocked = bool(groups["clock_before"] or groups["clock_after"])
    past = direction in ("ago", "back", "before now", "earlier")
    # "3 years from today" is a day; "in 3 years" and "3 years hence" are a month (Duckling).
    month_grain = direction not in ("from today", "from now", "from right now")
    window = _duration_window(
        duration, anchor, sign=-1 if past else 1, month_grain=month_grain, clocked=clocked
    )
    return Reading(None, window) if past else Reading(window, None)


def _bare_minutes(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "in 15": a typed count of minutes."""
    minutes = int(match.group("minutes"))
    return Reading(_one_day((anchor.moment + timedelta(minutes=minutes)).date()), None)


def _within(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "within 2 weeks": from now up to, not including, the day two weeks ahead."""
    duration = parse_duration(match.group("duration"))
    if duration is None:
        return None
    end = duration.after(anchor.moment)
    if duration.unit not in _SHORT_UNITS:
        end -= timedelta(days=1)
    last = max(end.date(), anchor.day)
    return Reading(DateWindow(anchor.day, last), None)


def _counted_weekday(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "two sundays from now", "2 thursdays ago"."""
    count = count_value(match.group("n"))
    if count is None or count < 1:
        return None
    weekday = weekday_index(match.group("wd"))
    if _norm(match.group("direction")) in ("ago", "back", "before"):
        day = previous_weekday(anchor.day, weekday, include_today=False)
        return Reading(None, _one_day(day - timedelta(weeks=count - 1)))
    day = next_weekday(anchor.day, weekday)
    return Reading(_one_day(day + timedelta(weeks=count - 1)), None)


# ---------------------------------------------------------------- counted spans


def _unit_of(text: str) -> str:
    text = text.lower().rstrip("s")
    return {"qtr": "quarter", "yr": "year", "min": "minute", "sec": "second"}.get(text, text)


def _period(unit: str, day: date, offset: int) -> DateWindow:
    """The whole week, month, quarter or year `offset` periods from the one holding `day`."""
    if unit == "day":
        return _one_day(day + timedelta(days=offset))
    if unit == "week":
        return week_window(day, offset)
    if unit == "month":
        year, month = add_months(day.year, day.month, offset)
        return month_window(year, month)
    if unit == "quarter":
        year, month = add_months(day.year, 3 * ((day.month - 1) // 3) + 1, 3 * offset)
        return quarter_window(year, (month - 1) // 3 + 1)
    year = day.year + offset
    return DateWindow(date(year, 1, 1), date(year, 12, 31))


def _counted_span(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "last 2 weeks" (the two whole weeks before this one), "next 3 days", "upcoming two weeks"
    (the week two weeks ahead: Duckling reads "upcoming N" as the Nth one), "next few days"."""
    groups = match.groupdict()
    direction = _norm(groups.get("dir") or groups.get("dir2"))
    count = count_value(groups.get("n") or groups.get("n2") or "")
    unit = _unit_of(groups.get("unit") or groups.get("unit2") or "")
    if count is None or count < 1:
        return None
    day = anchor.day
    if unit in _SHORT_UNITS:
        duration = Duration(count, unit)
        if direction in ("last", "past", "previous"):
            return Reading(None, DateWindow(duration.after(anchor.moment, -1).date(), day))
        return Reading(DateWindow(day, duration.after(anchor.moment).date()), None)
    if direction == "upcoming":
        return Reading(_period(unit, day, count), None)
    if direction in ("last", "past", "previous"):
        first, last = _period(unit, day, -count), _period(unit, day, -1)
        return Reading(None, DateWindow(first.earliest, last.latest))
    first, last = _period(unit, day, 1), _period(unit, day, count)
    return Reading(DateWindow(first.earliest, last.latest), None)


# ---------------------------------------------------------------- whole and relative periods


def _weekend(week: DateWindow) -> DateWindow:
    """Duckling's weekend: Friday evening to Monday, so Friday..Sunday as days."""
    return DateWindow(week.earliest + timedelta(days=4), week.latest)


_NEXT_WORDS = ("next", "coming", "upcoming", "following", "this coming", "the following")
_LAST_WORDS = ("last", "past", "previous", "this past", "the previous")


def _relative_offset(word: str) -> int:
    if word in _NEXT_WORDS or word == "around next":
        return 1
    if word in _LAST_WORDS:
        return -1
    return 0


def _relative_period(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "this week" (Monday..Sunday), "the following week", "next qtr", "last yr",
    "this week-end" (Friday..Sunday)."""
    offset = _relative_offset(_norm(match.group("rel")))
    unit_text = _norm(match.group("unit")).replace(" ", "")
    if unit_text.rstrip("s") in ("weekend", "week-end", "wkend"):
        window = _weekend(week_window(anchor.day, offset))
    else:
        window = _period(_unit_of(unit_text), anchor.day, offset)
    return Reading(None, window) if offset < 0 else Reading(window, None if offset else window)


def _next_weekday(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "next wednesday" is Wednesday of next week, as in Duckling; "last week's sunday"."""
    groups = match.groupdict()
    weekday = weekday_index(groups["wd"] or groups["wd2"] or "")
    offset = _relative_offset(_norm(groups["rel"] or groups["rel2"]))
    day = week_start(anchor.day) + timedelta(weeks=offset, days=weekday)
    return Reading(None, _one_day(day)) if offset < 0 else Reading(_one_day(day), None)


def _month_after(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "March after next", "March in a year"."""
    month = month_index(match.group("month"))
    upcoming = anchor.day.year if month > anchor.day.month else anchor.day.year + 1
    if match.group("n"):
        count = count_value(match.group("n"))
        if count is None:
            return None
        upcoming = (anchor.day.year if month >= anchor.day.month else anchor.day.year + 1) + count
    else:
        upcoming += 1
    return Reading(month_window(upcoming, month), None)


def _period_part_window(part: str, unit: str, anchor: Anchor, offset: int) -> DateWindow:
    """Duckling's parts: a week begins Monday..Wednesday and ends Friday..Sunday; a month
    begins on days 1-10 and ends on days 21 to the last; a year begins in January..March and
    ends in September..December."""
    day = anchor.day
    if unit == "week":
        week = week_window(day, offset)
        if part == "beginning":
            return DateWindow(week.earliest, week.earliest + timedelta(days=2))
        return DateWindow(week.earliest + timedelta(days=4), week.latest)
    if unit == "month":
        year, month = add_months(day.year, day.month, offset)
        return month_part(year, month, "early" if part == "beginning" else "late")
    year = int(unit) if unit.isdigit() else day.year + offset
    if part == "beginning":
        return DateWindow(date(year, 1, 1), date(year, 3, 31))
    return DateWindow(date(year, 9, 1), date(year, 12, 31))


def _period_part(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "beginning of this week", "at the end of 2012", "EOM", "BOY", "end of the year"."""
    abbreviation = _norm(match.group("abbr"))
    unit = _norm(match.group("unit"))
    if abbreviation in ("eod", "cob") or unit == "day" or not (abbreviation or unit):
        return Reading(_one_day(anchor.day), None)  # end of (the) day, close of business
    if abbreviation:
        part = "beginning" if abbreviation.startswith("b") else "end"
        unit = {"w": "week", "m": "month", "y": "year"}[abbreviation[-1]]
        return Reading(_period_part_window(part, unit, anchor, 0), None)
    part = "beginning" if _norm(match.group("part")) in ("beginning", "start") else "end"
    offset = _relative_offset(_norm(match.group("rel")))
    window = _period_part_window(part, unit, anchor, offset)
    return Reading(None, window) if offset < 0 else Reading(window, window)


def _rest_of_week(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """Duckling ends "all week" and "the rest of the week" on Saturday."""
    saturday = week_start(anchor.day) + timedelta(days=5)
    first = week_start(anchor.day) if _norm(match.group(0)).startswith("all") else anchor.day
    return Reading(DateWindow(first, max(first, saturday)), None)


# ---------------------------------------------------------------- ordinal and weekday dates


def _month_year(month: int, year_text: str | None, anchor: Anchor) -> int:
    """The year of a month named without one: this year unless the month is over."""
    if year_text:
        return int(year_text)
    return anchor.day.year if month >= anchor.day.month else anchor.day.year + 1


def _next_date(month: int, day_of_month: int, anchor: Anchor) -> date | None:
    for year in (anchor.day.year, anchor.day.year + 1, anchor.day.year + 4):
        candidate = _safe_date(year, month, day_of_month)
        if candidate is not None and candidate >= anchor.day:
            return candidate
    return None


def _ordinal_date(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "the first of march", "march third 2015", "third day of october", "the ides of march"."""
    groups = match.groupdict()
    month = month_index(groups.get("month") or groups.get("month2") or groups["ides"] or "")
    if groups.get("ides"):
        day_of_month: int | None = 15 if month in (3, 5, 7, 10) else 13
    else:
        day_of_month = ordinal_value(groups.get("ord") or groups.get("ord2") or "")
    if day_of_month is None or day_of_month < 1:
        return None
    year_text = groups.get("year") or groups.get("year2")
    if year_text:
        return _both(_safe_one_day(int(year_text), month, day_of_month))
    found = _next_date(month, day_of_month, anchor)
    return None if found is None else Reading(_one_day(found), None)


def _safe_one_day(year: int, month: int, day_of_month: int) -> DateWindow | None:
    found = _safe_date(year, month, day_of_month)
    return None if found is None else _one_day(found)


def _day_of_relative_month(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "20th of the next month", "20 of this month", "20th of the previous month"."""
    day_of_month = ordinal_value(match.group("dom")) or count_value(match.group("dom"))
    if day_of_month is None or day_of_month < 1:
        return None
    offset = _relative_offset(_norm(match.group("rel")))
    year, month = add_months(anchor.day.year, anchor.day.month, offset)
    return _both(_safe_one_day(year, month, day_of_month))


def _day_of_month_alone(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "on the first": the next first of a month."""
    day_of_month = ordinal_value(match.group("ord"))
    if day_of_month is None or day_of_month < 1:
        return None
    year, month = anchor.day.year, anchor.day.month
    for _ in range(3):
        found = _safe_date(year, month, day_of_month)
        if found is not None and found >= anchor.day:
            return Reading(_one_day(found), None)
        year, month = add_months(year, month, 1)
    return None


def _weekday_date(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "Fri, Jul 18" is the July 18 of this year or the next that falls on a Friday, as Duckling
    reads it ("Sunday, Feb 10" said on Feb 12, 2013 is that past Sunday); "Thu 15th" is the next
    15th within a year that is a Thursday. A weekday that fits neither is taken for a slip, and
    the date alone counts."""
    groups = match.groupdict()
    weekday = weekday_index(groups["wd"] or "")
    day_of_month = int(groups["dom"] or 0)
    if groups.get("month"):
        month = month_index(groups["month"] or "")
        if groups.get("year"):
            return _both(_safe_one_day(int(groups["year"] or 0), month, day_of_month))
        for year in (anchor.day.year, anchor.day.year + 1):
            found = _safe_date(year, month, day_of_month)
            if found is not None and found.weekday() == weekday:
                return Reading(_one_day(found), None)
        return _future(_maybe_one_day(_next_date(month, day_of_month, anchor)))
    year, month = anchor.day.year, anchor.day.month
    first_fit: date | None = None
    for _ in range(13):
        found = _safe_date(year, month, day_of_month)
        if found is not None and found >= anchor.day:
            if found.weekday() == weekday:
                return Reading(_one_day(found), None)
            first_fit = first_fit or found
        year, month = add_months(year, month, 1)
    return _future(_maybe_one_day(first_fit))


def _maybe_one_day(day: date | None) -> DateWindow | None:
    return None if day is None else _one_day(day)


def _nth_week_start(first: date, last: date, nth: int) -> date | None:
    """Monday of the `nth` whole Monday..Sunday week inside first..last (-1 = the last one)."""
    if nth > 0:
        monday = next_weekday(first, 0, include_today=True) + timedelta(weeks=nth - 1)
    else:
        monday = previous_weekday(last, 6) - timedelta(days=6) + timedelta(weeks=nth + 1)
    if monday < first or monday + timedelta(days=6) > last:
        return None
    return monday


def _nth_in_period(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "first tuesday of october", "the 5th last day of May", "2nd last week of October 2018",
    "third last week of 2018", "last weekend of October", "first Monday of last month"."""
    groups = match.groupdict()
    nth = ordinal_value(groups.get("ord") or "last")
    if nth is None:
        return None
    if groups.get("from_end"):
        nth = -nth
    day = anchor.day
    if groups.get("month"):
        month = month_index(groups["month"] or "")
        year = _month_year(month, groups.get("year"), anchor)
        first, last = date(year, month, 1), month_end(year, month)
    elif groups.get("year_only"):
        year = int(groups["year_only"] or 0)
        first, last = date(year, 1, 1), date(year, 12, 31)
    else:
        offset = _relative_offset(_norm(groups.get("rel")))
        unit = _norm(groups.get("rel_unit") or groups.get("the_unit"))
        period = _period(unit, day, offset)
        first, last = period.earliest, period.latest
    what = _norm(groups["what"]).replace(" ", "")
    if what == "day":
        found = first + timedelta(days=nth - 1) if nth > 0 else last + timedelta(days=nth + 1)
        window = _one_day(found) if first <= found <= last else None
    elif what == "week":
        monday = _nth_week_start(first, last, nth)
        window = None if monday is None else DateWindow(monday, monday + timedelta(days=6))
    elif what in ("weekend", "week-end", "wkend"):
        friday = _nth_weekday_in(first, last, 4, nth)
        window = None if friday is None else DateWindow(friday, friday + timedelta(days=2))
    else:
        found_day = _nth_weekday_in(first, last, weekday_index(what), nth)
        window = None if found_day is None else _one_day(found_day)
    return _both(window)


def _nth_weekday_in(first: date, last: date, weekday: int, nth: int) -> date | None:
    if nth > 0:
        found = next_weekday(first, weekday, include_today=True) + timedelta(weeks=nth - 1)
    else:
        found = previous_weekday(last, weekday) - timedelta(weeks=-nth - 1)
    return found if first <= found <= last else None


def _week_of(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "the week of october 6th". Duckling's week of a Sunday is the week after it."""
    window = _inner_window(match.group("inner"), anchor)
    if window is None:
        return None
    return _both(week_window(window.earliest + timedelta(days=1)))


def _weekday_after(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "third tuesday after christmas 2014", "three days after Easter"."""
    window = _inner_window(match.group("inner"), anchor)
    if window is None:
        return None
    base = window.earliest
    if match.group("wd"):
        nth = ordinal_value(match.group("ord"))
        if nth is None or nth < 1:
            return None
        found = next_weekday(base, weekday_index(match.group("wd"))) + timedelta(weeks=nth - 1)
    else:
        count = count_value(match.group("n"))
        if count is None:
            return None
        days = count * (7 if _unit_of(match.group("unit")) == "week" else 1)
        found = base + timedelta(days=-days if _norm(match.group("dir")) == "before" else days)
    return _both(_one_day(found))


def _closest(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "the closest Monday to Oct 5th", "the second closest xmas to today"."""
    target = _inner_window(match.group("target"), anchor)
    nth = ordinal_value(match.group("ord") or "first")
    if target is None or nth is None or nth < 1:
        return None
    center = target.earliest
    what = match.group("what")
    if re.fullmatch(WEEKDAY, what.strip(), re.IGNORECASE):
        weekday = weekday_index(what.strip())
        candidates = [
            center + timedelta(days=delta)
            for delta in range(-7 * (nth + 1), 7 * (nth + 1))
            if (center + timedelta(days=delta)).weekday() == weekday
        ]
    else:
        resolver = _holiday_resolver(what)
        if resolver is None:
            return None
        candidates = [
            window.earliest
            for year in range(center.year - nth - 1, center.year + nth + 2)
            if (window := resolver(year)) is not None
        ]
    ranked = sorted(candidates, key=lambda day: (abs((day - center).days), day))
    return None if len(ranked) < nth else _both(_one_day(ranked[nth - 1]))


# ---------------------------------------------------------------- numeric and compact dates


def _numeric(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "2015-3-3", "2014-10", "2/2013", "14april 2015", "14th April 15", "18q4", "in 14 a.d."."""
    groups = match.groupdict()
    year_text = groups.get("year") or groups.get("year_slash") or groups.get("year_last") or ""
    year = int(year_text) if year_text else anchor.day.year
    if len(year_text) == 2 and not groups.get("ad"):
        year += 2000  # "14th April 15", "18q4"
    if groups.get("quarter"):
        return _both(quarter_window(year, int(groups["quarter"] or 1)))
    if groups.get("ad"):
        return _both(DateWindow(date(year, 1, 1), date(year, 12, 31))) if year >= 1 else None
    month_text = groups.get("month") or groups.get("month_slash") or groups.get("month_first") or ""
    month = int(month_text) if month_text.isdigit() else month_index(month_text)
    if not 1 <= month <= 12:
        return None
    if groups.get("dom"):
        return _both(_safe_one_day(year, month, int(groups["dom"] or 0)))
    return _both(month_window(year, month))


def _iso_range(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "2015-03-28 17:00:00/2015-03-29 21:00:00"."""
    try:
        first = date.fromisoformat(match.group("first"))
        last = date.fromisoformat(match.group("last"))
    except ValueError:
        return None
    return _both(DateWindow(first, last)) if first <= last else None


def _day_range(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "July 13 thru 15"."""
    month = month_index(match.group("month"))
    first_day, last_day = int(match.group("d1")), int(match.group("d2"))
    if last_day < first_day:
        return None
    if match.group("year"):
        year = int(match.group("year"))
    else:
        start = _next_date(month, first_day, anchor)
        if start is None:
            return None
        year = start.year
    first, last = _safe_date(year, month, first_day), _safe_date(year, month, last_day)
    if first is None or last is None:
        return None
    return Reading(DateWindow(first, last), None)


def _lasting(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "18th Dec for 10 days", "for 10 days from 18th Dec", "16h for 30 mins"."""
    window = _inner_window(match.group("start") or match.group("start2"), anchor)
    duration = parse_duration(match.group("duration") or match.group("duration2"))
    if window is None or duration is None:
        return None
    start = datetime.combine(window.earliest, time())
    end = duration.after(start).date()
    return Reading(DateWindow(window.earliest, max(window.earliest, end)), None)


# ---------------------------------------------------------------- seasons


# Duckling's seasons are astronomical. A named season runs to the day the next one starts; "this
# season" stops two days before it.
_SEASON_STARTS = ((3, 20, "spring"), (6, 21, "summer"), (9, 23, "fall"), (12, 21, "winter"))


def _season_starts(year: int) -> list[tuple[date, str]]:
    return [
        (date(y, month, day), name)
        for y in (year - 1, year, year + 1, year + 2)
        for month, day, name in _SEASON_STARTS
    ]


def _season(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "this summer", "this winter", "next season", "last season"."""
    day = anchor.day
    starts = _season_starts(day.year)
    current = max(index for index, (start, _) in enumerate(starts) if start <= day)
    offset = _relative_offset(_norm(match.group("rel")))
    name = _norm(match.group("name")).replace("autumn", "fall")
    if name.startswith("season"):
        index = current + offset
        window = DateWindow(starts[index][0], starts[index + 1][0] - timedelta(days=2))
    else:
        matching = [index for index, (_, season) in enumerate(starts) if season == name]
        if match.group("year"):
            year = int(match.group("year"))
            index = next(i for i in matching if starts[i][0].year == year)
        else:
            index = next(i for i in matching if starts[i + 1][0] > day)
            index += 4 * offset
        if not 0 <= index < len(starts) - 1:
            return None
        window = DateWindow(starts[index][0], starts[index + 1][0])
    return Reading(None, window) if offset < 0 else Reading(window, window)


# ---------------------------------------------------------------- holidays

HolidayResolver = Callable[[int], DateWindow | None]


def _fixed(month: int, day_of_month: int) -> HolidayResolver:
    return lambda year: _one_day(date(year, month, day_of_month))


def _from_easter(days: int) -> HolidayResolver:
    return lambda year: _one_day(easter(year) + timedelta(days=days))


def orthodox_easter(year: int) -> date:
    """Orthodox Easter Sunday: the Julian computus, moved to the Gregorian calendar."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day_of_month = divmod(d + e + 114, 31)
    julian_gap = year // 100 - year // 400 - 2
    return date(year, month, day_of_month + 1) + timedelta(days=julian_gap)


def _from_orthodox_easter(days: int) -> HolidayResolver:
    return lambda year: _one_day(orthodox_easter(year) + timedelta(days=days))


def _bosses_day(year: int) -> DateWindow:
    """October 16, or the nearest weekday when it falls on a weekend."""
    day = date(year, 10, 16)
    return _one_day(day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0)))


def _kings_day(year: int) -> DateWindow:
    """Koningsdag: April 27, or the 26th when the 27th is a Sunday."""
    day = date(year, 4, 27)
    return _one_day(day - timedelta(days=1) if day.weekday() == 6 else day)


def _named(name: str) -> HolidayResolver:
    def resolve(year: int) -> DateWindow | None:
        found = holiday(name, year)
        return None if found is None else _one_day(found)

    return resolve


def _lent(year: int) -> DateWindow:
    return DateWindow(easter(year) - timedelta(days=46), easter(year) - timedelta(days=1))


def _great_lent(year: int) -> DateWindow:
    sunday = orthodox_easter(year)
    return DateWindow(sunday - timedelta(days=48), sunday - timedelta(days=9))


_HOLIDAYS: tuple[tuple[str, HolidayResolver], ...] = (
    (r"(?:christmas|x-?mas)\s+eve", _fixed(12, 24)),
    (r"(?:christmas|x-?mas)(?:\s+day)?", _fixed(12, 25)),
    (r"boxing\s+day", _fixed(12, 26)),
    (r"new\s+year(?:'?s)?\s+eve", _fixed(12, 31)),
    (r"new\s+year(?:'?s)?(?:\s+day)?", _fixed(1, 1)),
    (r"valentine(?:'?s)?(?:\s+day)?", _fixed(2, 14)),
    (r"halloween", _fixed(10, 31)),
    (r"(?:saint|st\.?)\s+(?:patrick|paddy)(?:'?s)?(?:\s+day)?", _fixed(3, 17)),
    (r"boss(?:'?s)?(?:\s+day)?", _bosses_day),
    (
        r"(?:martin\s+luther\s+king|mlk)(?:'s|s)?(?:\s+jr\.?)?(?:'s)?\s+day|civil\s+rights\s+day",
        _named("martin luther king day"),
    ),
    (r"world\s+vegan\s+day", _fixed(11, 1)),
    (r"king(?:'?s)?\s+day|koningsdag", _kings_day),
    (r"(?:independence\s+day|fourth\s+of\s+july|july\s+4th)", _fixed(7, 4)),
    (r"veterans(?:'?s)?\s+day", _fixed(11, 11)),
    (r"thanksgiving(?:\s+day)?", _named("thanksgiving")),
    (r"black\s+friday", _named("black friday")),
    (r"cyber\s+monday", _named("cyber monday")),
    (r"memorial\s+day", _named("memorial day")),
    (r"labou?r\s+day", _named("labor day")),
    (r"presidents(?:'?s)?\s+day", _named("presidents' day")),
    (r"mother(?:'?s)?\s+day", _named("mother's day")),
    (r"father(?:'?s)?\s+day", _named("father's day")),
    (r"easter\s+mon(?:day)?", _from_easter(1)),
    (r"easter(?:\s+sunday)?", _from_easter(0)),
    (r"good\s+friday", _from_easter(-2)),
    (r"holy\s+saturday", _from_easter(-1)),
    (
        r"(?:maundy|covenant|holy)\s+thu(?:r(?:s(?:day)?)?)?"
        r"|thu(?:r(?:s(?:day)?)?)?\s+of\s+mysteries",
        _from_easter(-3),
    ),
    (r"(?:palm|branch)\s+sunday", _from_easter(-7)),
    (r"ash\s+wednesday", _from_easter(-46)),
    (r"shrove\s+tuesday|pancake\s+(?:day|tuesday)|mardi\s+gras", _from_easter(-47)),
    (r"pentecost|whit(?:e)?\s+sunday|whitsun(?:day)?", _from_easter(49)),
    (r"whit\s+monday|monday\s+of\s+the\s+holy\s+spirit", _from_easter(50)),
    (r"trinity\s+sunday", _from_easter(56)),
    (r"corpus\s+christi", _from_easter(60)),
    (r"lent", _lent),
    (r"orthodox\s+easter(?:\s+sunday)?", _from_orthodox_easter(0)),
    (r"orthodox\s+(?:good|great)\s+friday", _from_orthodox_easter(-2)),
    (r"clean\s+monday|orthodox\s+shrove\s+monday", _from_orthodox_easter(-48)),
    (r"lazarus\s+saturday", _from_orthodox_easter(-8)),
    (r"great\s+(?:fast|lent)", _great_lent),
)
HOLIDAY = "(?:" + "|".join(pattern for pattern, _ in _HOLIDAYS) + r")(?![\w'])"
_HOLIDAY_RES = tuple((re.compile(pattern, re.IGNORECASE), rule) for pattern, rule in _HOLIDAYS)


def _holiday_resolver(name: str) -> HolidayResolver | None:
    name = name.strip()
    return next((rule for pattern, rule in _HOLIDAY_RES if pattern.fullmatch(name)), None)


def year_words_value(text: str) -> int | None:
    """ "two thousand ten" -> 2010."""
    words = _norm(text).replace(" and ", " ").split(" ", 2)
    if words[:2] != ["two", "thousand"]:
        return None
    rest = words[2] if len(words) > 2 else "zero"
    value = CARDINALS.get(rest)
    return None if value is None else 2000 + value


def _holiday(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """A holiday, with "next"/"last", a year, "of last year" or "two thousand ten"."""
    resolver = _holiday_resolver(match.group("name"))
    if resolver is None:
        return None
    day = anchor.day
    year: int | None = None
    if match.group("year"):
        year = int(match.group("year"))
    elif match.group("year_words"):
        year = year_words_value(match.group("year_words"))
        if year is None:
            return None
    elif match.group("rel_year"):
        year = day.year + _relative_offset(_norm(match.group("rel_year")))
    mod = _norm(match.group("mod"))
    if year is not None:
        return _both(resolver(year))
    occurrences = [window for y in range(day.year - 1, day.year + 2) if (window := resolver(y))]
    if mod == "last":
        before = [window for window in occurrences if window.latest < day]
        return Reading(None, before[-1]) if before else None
    upcoming = [window for window in occurrences if window.latest >= day]
    return Reading(upcoming[0], None) if upcoming else None


# ---------------------------------------------------------------- parts of the day and "now"

# Duckling's parts of the day, as (first hour, hour after the last).
_DAY_PARTS = {
    "morning": (0, 12), "afternoon": (12, 19), "evening": (18, 24), "night": (18, 24),
    "tonight": (18, 24), "tonite": (18, 24), "lunch": (12, 14), "after lunch": (13, 17),
    "after school": (15, 21), "mid day": (11, 13), "midday": (11, 13),
}  # fmt: skip


def _day_part(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "in the afternoon", "late tonite", "after lunch": today, or tomorrow once it is over."""
    phrase = _norm(match.group("part"))
    _, end_hour = _DAY_PARTS[phrase]
    day = anchor.day if anchor.moment.hour < end_hour else anchor.day + timedelta(days=1)
    return Reading(_one_day(day), None)


def _now(match: re.Match[str], anchor: Anchor) -> Reading | None:
    """ "at the moment", "ATM", "at this time"."""
    return Reading(_one_day(anchor.day), _one_day(anchor.day))


def _tomorrows(match: re.Match[str], anchor: Anchor) -> Reading | None:
    return Reading(_one_day(anchor.day + timedelta(days=1)), None)


# ---------------------------------------------------------------- the rules

_REL_WORD = (
    r"(?P<rel>this\s+coming|this\s+past|this|current|next|last|past|previous|coming|upcoming|"
    r"(?:the\s+)?following|around\s+next)"
)
_SPAN_UNIT = (
    r"seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|quarters?|qtrs?|years?|yrs?"
)
_ON_DATE = r"(?:\s*,?\s*(?:on\s+)?(?P<date>.+))?"


def typed_rules() -> list[tuple[str, str, Handler]]:
    """The lenient-only rules: (name, regex source, handler). Earlier rules win ties.

    The clock rule is named "clock" so that bot.temporal joins it with a date ("Thursday at
    half past three") exactly as it joins its own clock times.
    """
    clock_plain = CLOCK_PLAIN
    duration = rf"(?P<duration>{DURATION_PLAIN})"
    return [
        (
            "typed_clock_range",
            r"^\s*(?:from\s+|between\s+|later\s+than\s+|after\s+)?(?P<start>"
            + clock_plain
            + r")\s*(?:-|–|to|till|until|thru|through|and|but\s+before)\s*(?P<end>"
            + clock_plain
            + r")"
            + _ON_DATE
            + r"\s*$",
            _clock_range,
        ),
        ("clock", r"(?<![\w:.\-/])" + CLOCK + r"(?![\w:])", _typed_clock),
        (
            "typed_duration",
            r"\b(?:(?P<clock_before>" + clock_plain + r")\s+)?(?:(?P<in>in)\s+"
            r"(?:about\s+|around\s+|approximately\s+|roughly\s+|just\s+)?"
            + duration
            + r"(?:'?s?\s+time)?(?P<direction>\s+from\s+(?:right\s+)?now)?"
            r"|(?P<duration2>"
            + DURATION_PLAIN
            + r")\s+(?P<direction2>from\s+(?:right\s+)?now|from\s+today|hence|later|ago|back|"
            r"before\s+now|earlier))"
            r"(?:\s+(?P<clock_after>" + clock_plain + r"))?(?![\w'])",
            _duration_phrase,
        ),
        ("typed_in_minutes", r"^\s*in\s+(?P<minutes>\d{1,2})\s*$", _bare_minutes),
        ("typed_within", r"\bwithin\s+(?:the\s+next\s+)?" + duration + r"(?![\w'])", _within),
        (
            "typed_counted_weekday",
            r"\b(?P<n>" + COUNT + r")\s+(?P<wd>" + WEEKDAYS_PLURAL + r")\s+"
            r"(?P<direction>from\s+(?:now|today)|hence|ago|back|before)\b",
            _counted_weekday,
        ),
        (
            "typed_counted_span",
            r"\b(?:the\s+)?(?:(?P<dir>last|past|previous|next|coming|upcoming)\s+(?P<n>"
            + COUNT
            + r")\s+(?P<unit>"
            + _SPAN_UNIT
            + r")|(?P<n2>"
            + COUNT
            + r")\s+(?P<dir2>upcoming|next|last|past|previous)\s+(?P<unit2>"
            + _SPAN_UNIT
            + r"))\b",
            _counted_span,
        ),
        (
            "typed_nth_in_period",
            r"\b(?:the\s+)?(?:(?P<ord>" + ORDINAL + r")(?:\s+(?P<from_end>last))?|last)\s+"
            r"(?P<what>" + WEEKDAY + r"|day|week[-\s]?end|wkend|week)\s+(?:of|in)\s+"
            r"(?:(?:the\s+)?(?P<rel>this|current|next|last|previous|past|coming|following)\s+"
            r"(?P<rel_unit>month|year)|the\s+(?P<the_unit>month|year)|(?P<month>"
            + MONTH
            + r")(?:,?\s+(?:of\s+)?(?P<year>"
            + YEAR
            + r"))?|(?P<year_only>"
            + YEAR
            + r"))",
            _nth_in_period,
        ),
        (
            "typed_day_of_relative_month",
            r"\b(?:the\s+)?(?P<dom>\d{1,2}(?:st|nd|rd|th)?|"
            + ORDINAL_WORD
            + r")(?:\s+day)?\s+of\s+(?:the\s+)?(?P<rel>next|this|current|previous|last|past|"
            r"coming|following)\s+month\b",
            _day_of_relative_month,
        ),
        (
            "typed_ordinal_date",
            r"\b(?:on\s+)?(?:the\s+)?(?:(?P<ord>"
            + ORDINAL
            + r")(?:\s+day)?\s+of\s+(?P<month>"
            + MONTH
            + r")(?:,?\s+(?P<year>"
            + YEAR
            + r"))?|ides\s+of\s+(?P<ides>"
            + MONTH
            + r")|(?P<month2>"
            + MONTH
            + r")\s+(?:the\s+)?(?P<ord2>"
            + ORDINAL_WORD
            + r")(?:,?\s+(?P<year2>"
            + YEAR
            + r"))?)",
            _ordinal_date,
        ),
        (
            "typed_day_of_month",
            r"^\s*(?:on\s+)?the\s+(?P<ord>" + ORDINAL + r")\s*$",
            _day_of_month_alone,
        ),
        (
            "typed_weekday_month_day",
            r"\b(?P<wd>" + WEEKDAY + r"),?\s+(?:the\s+)?(?P<month>" + MONTH + r")\s+(?P<dom>"
            r"\d{1,2})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<year>" + YEAR + r"))?",
            _weekday_date,
        ),
        (
            "typed_weekday_day_month",
            r"\b(?P<wd>" + WEEKDAY + r"),?\s+(?:the\s+)?(?P<dom>\d{1,2})(?:st|nd|rd|th)?\s+"
            r"(?:of\s+)?(?P<month>" + MONTH + r")(?:,?\s+(?P<year>" + YEAR + r"))?",
            _weekday_date,
        ),
        (
            "typed_month_day_weekday",
            r"\b(?P<month>"
            + MONTH
            + r")\s+(?P<dom>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<wd>"
            + WEEKDAY
            + r")",
            _weekday_date,
        ),
        (
            "typed_day_month_weekday",
            r"\b(?P<dom>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>"
            + MONTH
            + r"),?\s+(?P<wd>"
            + WEEKDAY
            + r")",
            _weekday_date,
        ),
        (
            "typed_weekday_day",
            r"\b(?P<wd>" + WEEKDAY + r"),?\s+(?:the\s+)?(?P<dom>\d{1,2})(?:st|nd|rd|th)\b"
            r"(?!\s*(?:of\s+)?" + MONTH + r")",
            _weekday_date,
        ),
        (
            "typed_numeric",
            r"(?<![\d/.-])(?:(?P<year>\d{4})-(?P<month>\d{1,2})(?:-(?P<dom>\d{1,2}))?(?![\d/:-])"
            r"|(?P<year_slash>\d{4})/(?P<month_slash>\d{1,2})(?![\d/-])"
            r"|(?P<month_first>\d{1,2})/(?P<year_last>\d{4})(?![\d/-]))",
            _numeric,
        ),
        (
            "typed_day_month_short_year",
            r"\b(?P<dom>\d{1,2})(?:st|nd|rd|th)?\s*(?P<month>"
            + MONTH
            + r")\s*,?\s*(?P<year>(?:19|20)\d\d|\d\d)(?![\d:.h]|\s*[ap]\.?m\b)",
            _numeric,
        ),
        ("typed_quarter", r"\b(?P<year>\d{4}|\d{2})\s*q(?P<quarter>[1-4])\b", _numeric),
        (
            "typed_anno_domini",
            r"\b(?:in\s+)?(?P<year>\d{1,4})\s*(?P<ad>a\.?\s?d\b\.?)",
            _numeric,
        ),
        (
            "typed_relative_period",
            r"\b(?:the\s+)?" + _REL_WORD + r"\s+(?P<unit>week[-\s]?ends?|wkends?|weeks?|months?|"
            r"quarters?|qtrs?|years?|yrs?)\b",
            _relative_period,
        ),
        (
            "typed_next_weekday",
            r"\b(?:(?P<rel>next)\s+(?P<wd>" + WEEKDAY + r")(?!\s+(?:of|after|from)\b)"
            r"|(?P<rel2>last|next|this)\s+week'?s\s+(?P<wd2>" + WEEKDAY + r"))",
            _next_weekday,
        ),
        (
            "typed_month_after",
            r"\b(?P<month>" + MONTH + r")\s+(?:after\s+next|in\s+(?P<n>" + COUNT + r")\s+years?)\b",
            _month_after,
        ),
        (
            "typed_period_part",
            r"\b(?:(?:at|in)\s+)?(?:the\s+)?(?:(?P<part>beginning|start|end)\s+of\s+(?:the\s+)?"
            r"(?:(?P<rel>this|current|coming|next|last|past|previous|following|around\s+next)\s+)?"
            r"(?P<unit>day|week|month|year|" + YEAR + r")|(?P<abbr>eod|cob|eow|eom|eoy|bow|bom|boy)"
            r"|close\s+of\s+(?:business|play))\b",
            _period_part,
        ),
        (
            "typed_rest_of_week",
            r"\b(?:all\s+week|(?:the\s+)?rest\s+of\s+the\s+week)\b",
            _rest_of_week,
        ),
        (
            "typed_season",
            r"\b(?:(?P<rel>this|current|next|last|past|previous|coming)\s+)?"
            r"(?P<name>seasons?\b|spring|summer|autumn|fall|winter)(?:\s+(?P<year>"
            + YEAR
            + r"))?\b",
            _season,
        ),
        (
            "typed_holiday",
            r"(?<![\w'])(?:(?P<mod>next|last|this|the)\s+)?(?P<name>" + HOLIDAY + r")"
            r"(?:\s+(?:of\s+|in\s+)?(?:(?P<year>" + YEAR + r")|(?P<year_words>two\s+thousand"
            r"(?:\s+(?:and\s+)?" + CARDINAL_WORD + r")?)|(?P<rel_year>this|next|last)\s+year))?",
            _holiday,
        ),
        (
            "typed_after_date",
            r"^\s*(?:the\s+)?(?:(?P<ord>" + ORDINAL + r")\s+(?P<wd>" + WEEKDAY + r")\s+"
            r"(?:after|following)|(?P<n>" + COUNT + r")\s+(?P<unit>days?|weeks?)\s+"
            r"(?P<dir>after|before|from))\s+(?P<inner>.+?)\s*$",
            _weekday_after,
        ),
        ("typed_week_of", r"^\s*(?:the\s+)?week\s+of\s+(?P<inner>.+?)\s*$", _week_of),
        (
            "typed_closest",
            r"^\s*(?:the\s+)?(?:(?P<ord>" + ORDINAL + r")\s+)?closest\s+(?P<what>.+?)\s+to\s+"
            r"(?P<target>.+?)\s*$",
            _closest,
        ),
        (
            "typed_day_range",
            r"\b(?:from\s+)?(?P<month>" + MONTH + r")\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s*"
            r"(?:thru|through|-|–|to|until|till)\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?(?!\d)"
            r"(?:,?\s+(?P<year>" + YEAR + r"))?",
            _day_range,
        ),
        (
            "typed_iso_range",
            r"\b(?P<first>\d{4}-\d\d-\d\d)(?:[\sT]\d\d?:\d\d(?::\d\d)?)?\s*/\s*"
            r"(?P<last>\d{4}-\d\d-\d\d)(?:[\sT]\d\d?:\d\d(?::\d\d)?)?",
            _iso_range,
        ),
        (
            "typed_lasting",
            r"^\s*(?:for\s+(?P<duration>" + DURATION_PLAIN + r")\s+from\s+(?P<start>.+?)"
            r"|(?:from\s+)?(?P<start2>.+?)\s+for\s+(?P<duration2>" + DURATION_PLAIN + r"))\s*$",
            _lasting,
        ),
        (
            "typed_day_part",
            r"^\s*(?:(?:early|late)\s+)?(?:in\s+the\s+|this\s+|at\s+)?(?P<part>morning|afternoon|"
            r"evening|night|tonight|tonite|lunch|after\s+lunch|after\s+school|mid\s*day)\s*$",
            _day_part,
        ),
        ("typed_now", r"\b(?:at\s+the\s+moment|atm|at\s+this\s+time|at\s+present)\b", _now),
        ("typed_tomorrows", r"\btomorrows\b", _tomorrows),
    ]


@cache
def _compiled_rules() -> tuple[tuple[str, re.Pattern[str], Handler], ...]:
    return tuple(
        (name, re.compile(pattern, re.IGNORECASE), handler)
        for name, pattern, handler in typed_rules()
    )


def typed_reading(
    rule: str, match: re.Match[str], anchor: Anchor, reading: Reading | None
) -> Reading | None:
    """The reading of a lenient match: a typed rule that reads the same text in full wins over a
    shared rule ("this week" is the whole week, "next wednesday" is next week's)."""
    if reading is None or match.re.pattern in _typed_patterns():
        return reading  # a shared rule's refusal stands: it may have seen the context
    text = match.group(0)
    for _, pattern, handler in _compiled_rules():
        typed_match = pattern.fullmatch(text)
        if typed_match is None:
            continue
        typed = handler(typed_match, anchor)
        if typed is not None and (typed.future is not None or typed.past is not None):
            return typed
    return reading


@cache
def _typed_patterns() -> frozenset[str]:
    return frozenset(pattern for _, pattern, _ in typed_rules())
