"""The lenient grammar of typed expressions (bot.temporal_typed), read through resolve_expression."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.temporal import find_mentions, resolve_expression
from bot.temporal_typed import orthodox_easter, parse_clock, parse_duration

# Wednesday 15 May 2024, 10:20 in Berlin (UTC+2). This week runs Monday 13 to Sunday 19 May.
WEDNESDAY = datetime(2024, 5, 15, 10, 20, tzinfo=ZoneInfo("Europe/Berlin"))


def window(text: str) -> tuple[str, str] | None:
    found = resolve_expression(text, WEDNESDAY)
    return None if found is None else (found.earliest.isoformat(), found.latest.isoformat())


def day(text: str) -> tuple[str, str]:
    return text, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # clock times: the next such time; one in the current hour is still today
        ("quarter past seven pm", day("2024-05-15")),
        ("at 9", day("2024-05-15")),  # 9 am is gone, so 9 pm
        ("9am", day("2024-05-16")),
        ("10:05am", day("2024-05-15")),
        ("ten to eight in the morning", day("2024-05-16")),
        ("08h30", day("2024-05-16")),
        ("tonight at 11", day("2024-05-15")),
        ("this evening at 12", day("2024-05-16")),
        ("11pm PST", day("2024-05-16")),  # 09:00 on the 16th in Berlin
        ("Thursday at half past three", day("2024-05-16")),
        ("Thursday at 7.30pm", day("2024-05-16")),
        # durations
        ("in 1/2 h", day("2024-05-15")),
        ("in 2 and a half hours", day("2024-05-15")),
        ("in 15 hours", day("2024-05-16")),
        ("a fortnight hence", day("2024-05-29")),
        ("in 2 years", ("2026-05-01", "2026-05-31")),
        ("three years ago", ("2021-05-01", "2021-05-31")),
        ("2 weeks from today", day("2024-05-29")),
        ("three fridays from now", day("2024-05-31")),
        ("2 mondays ago", day("2024-05-06")),
        ("within 10 days", ("2024-05-15", "2024-05-24")),
        # counted spans
        ("last 3 days", ("2024-05-12", "2024-05-14")),
        ("next 2 weeks", ("2024-05-20", "2024-06-02")),
        ("last two months", ("2024-03-01", "2024-04-30")),
        ("upcoming 3 days", day("2024-05-18")),
        ("2 upcoming weeks", ("2024-05-27", "2024-06-02")),
        ("next 2 years", ("2025-01-01", "2026-12-31")),
        # whole periods and their parts
        ("this week", ("2024-05-13", "2024-05-19")),
        ("the following week", ("2024-05-20", "2024-05-26")),
        ("this weekend", ("2024-05-17", "2024-05-19")),
        ("last weekend", ("2024-05-10", "2024-05-12")),
        ("next qtr", ("2024-07-01", "2024-09-30")),
        ("this yr", ("2024-01-01", "2024-12-31")),
        ("beginning of next week", ("2024-05-20", "2024-05-22")),
        ("end of the year", ("2024-09-01", "2024-12-31")),
        ("EOM", ("2024-05-21", "2024-05-31")),
        ("by EOM", ("2024-05-15", "2024-05-31")),
        ("BOY", ("2024-01-01", "2024-03-31")),
        ("rest of the week", ("2024-05-15", "2024-05-18")),
        ("next wednesday", day("2024-05-22")),
        # ordinal, weekday and numeric dates
        ("the second of june", day("2024-06-02")),
        ("june second 2025", day("2025-06-02")),
        ("the ides of march", day("2025-03-15")),
        ("third day of august", day("2024-08-03")),
        ("12th of the next month", day("2024-06-12")),
        ("the first Friday of next month", day("2024-06-07")),
        ("last Monday of September", day("2024-09-30")),
        ("2nd last day of July 2025", day("2025-07-30")),
        ("first week of June", ("2024-06-03", "2024-06-09")),
        ("last weekend of June", ("2024-06-28", "2024-06-30")),
        ("Sat, Jun 1", day("2024-06-01")),
        ("Fri 14th", day("2024-06-14")),
        ("2024-6-3", day("2024-06-03")),
        ("2025/02", ("2025-02-01", "2025-02-28")),
        ("5/2025", ("2025-05-01", "2025-05-31")),
        ("24q1", ("2024-01-01", "2024-03-31")),
        ("the week of june 9th", ("2024-06-10", "2024-06-16")),  # the 9th is a Sunday
        ("2nd wednesday after easter 2025", day("2025-04-30")),
        ("two days before christmas", day("2024-12-23")),
        ("the closest friday to july 4th", day("2024-07-05")),
        # holidays
        ("whit monday", day("2024-05-20")),
        ("ash wednesday", day("2025-03-05")),
        ("last boss's day", day("2023-10-16")),
        ("st paddy's day", day("2025-03-17")),
        # ranges
        ("June 3 thru 7", ("2024-06-03", "2024-06-07")),
        ("from 2 to 4 pm", day("2024-05-15")),
        ("1st June for 3 days", ("2024-06-01", "2024-06-04")),
        # seasons are astronomical
        ("this summer", ("2024-06-21", "2024-09-23")),
        ("next season", ("2024-06-21", "2024-09-21")),
        # parts of the day and now
        ("at the moment", day("2024-05-15")),
        ("tomorrows", day("2024-05-16")),
        ("in the afternoon", day("2024-05-15")),
        ("late tonight", day("2024-05-15")),
    ],
)
def test_typed_expression_windows(text: str, expected: tuple[str, str]) -> None:
    assert window(text) == expected


@pytest.mark.parametrize(
    "text", ["7.30", "4a", "3 30", "three twenty", "at 650-650-6500", "two sixty a m", "palm"]
)
def test_typed_grammar_refuses_what_is_not_a_time(text: str) -> None:
    assert window(text) is None


def test_strict_prose_keeps_its_own_reading() -> None:
    # In news prose "this week" still means the rest of the week; only a typed one is whole.
    [mention] = find_mentions("The talks resume this week.", WEDNESDAY)
    assert mention.reading.future is not None
    assert mention.reading.future.earliest == date(2024, 5, 15)
    assert window("this week") == ("2024-05-13", "2024-05-19")


def test_clock_and_duration_readers() -> None:
    clock = parse_clock("a quarter to noon")
    assert clock is not None and clock.candidates == (11 * 60 + 45,)
    assert parse_clock("3") is None
    bare = parse_clock("3", need_marker=False)
    assert bare is not None and bare.candidates == (3 * 60, 15 * 60)
    duration = parse_duration("three-quarters of an hour")
    assert duration is not None and (duration.amount, duration.unit) == (0.75, "hour")


def test_orthodox_easter() -> None:
    assert orthodox_easter(2024) == date(2024, 5, 5)
    assert orthodox_easter(2025) == date(2025, 4, 20)
