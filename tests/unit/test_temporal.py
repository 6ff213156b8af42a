"""The time-phrase grammar against the rows of CONVENTIONS.md and the traps of news prose."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.temporal import find_mentions, resolve_expression

# Thursday 17 April 2025, 15:00 in New York.
THURSDAY = datetime(2025, 4, 17, 15, 0, tzinfo=ZoneInfo("America/New_York"))
# Tuesday 14 October 2025, 09:30 in London.
TUESDAY = datetime(2025, 10, 14, 9, 30, tzinfo=ZoneInfo("Europe/London"))


def forward(phrase: str, moment: datetime = THURSDAY) -> tuple[date, date]:
    mentions = find_mentions(phrase, moment)
    assert len(mentions) == 1, [m.text for m in mentions]
    window = mentions[0].reading.future
    assert window is not None, phrase
    return window.earliest, window.latest


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("phrase", "earliest", "latest"),
    [
        ("June 16", "2025-06-16", "2025-06-16"),
        ("7 October 2019", "2019-10-07", "2019-10-07"),
        ("Dec. 31", "2025-12-31", "2025-12-31"),
        ("June 15-16", "2025-06-15", "2025-06-16"),
        ("Wednesday and Thursday", "2025-04-23", "2025-04-24"),
        ("on the 15th", "2025-05-15", "2025-05-15"),
        ("on the 20th", "2025-04-20", "2025-04-20"),
        ("today", "2025-04-17", "2025-04-17"),
        ("later today", "2025-04-17", "2025-04-17"),
        ("tonight", "2025-04-17", "2025-04-17"),
        ("tomorrow", "2025-04-18", "2025-04-18"),
        ("Thursday", "2025-04-24", "2025-04-24"),
        ("later Thursday", "2025-04-17", "2025-04-17"),
        ("Tuesday of next week", "2025-04-22", "2025-04-22"),
        ("next Tuesday", "2025-04-22", "2025-04-22"),
        ("midnight Friday", "2025-04-18", "2025-04-18"),
        ("11:59 p.m. Friday", "2025-04-18", "2025-04-18"),
        ("in the coming days", "2025-04-18", "2025-04-24"),
        ("in a matter of days", "2025-04-18", "2025-04-24"),
        ("within days", "2025-04-17", "2025-04-24"),
        ("within 10 days", "2025-04-17", "2025-04-27"),
        ("within two weeks", "2025-04-17", "2025-05-01"),
        ("72-hour ultimatum", "2025-04-20", "2025-04-20"),
        ("soon", "2025-04-18", "2025-05-17"),
        ("shortly", "2025-04-18", "2025-05-17"),
        ("in the near future", "2025-04-18", "2025-05-17"),
        ("in the coming weeks", "2025-04-18", "2025-05-15"),
        ("this week", "2025-04-17", "2025-04-20"),
        ("the end of this week", "2025-04-18", "2025-04-20"),
        ("this weekend", "2025-04-19", "2025-04-20"),
        ("next week", "2025-04-21", "2025-04-27"),
        ("as early as next week", "2025-04-21", "2025-04-27"),
        ("early next week", "2025-04-21", "2025-04-22"),
        ("early in the week", "2025-04-21", "2025-04-22"),
        ("the following week", "2025-04-28", "2025-05-04"),
        ("by Friday", "2025-04-17", "2025-04-18"),
        ("no later than June 30", "2025-04-17", "2025-06-30"),
        ("later this month", "2025-04-18", "2025-04-30"),
        ("later this year", "2025-04-18", "2025-12-31"),
        ("next month", "2025-05-01", "2025-05-31"),
        ("in June", "2025-06-01", "2025-06-30"),
        ("early June", "2025-06-01", "2025-06-10"),
        ("mid-June", "2025-06-11", "2025-06-20"),
        ("late June", "2025-06-21", "2025-06-30"),
        ("in the fourth quarter of 2009", "2009-10-01", "2009-12-31"),
        ("in the fourth quarter", "2025-10-01", "2025-12-31"),
        ("end of this week or early next week", "2025-04-18", "2025-04-22"),
        ("as soon as Monday", "2025-04-21", "2025-04-21"),
    ],
)
def test_conventions_table(phrase: str, earliest: str, latest: str) -> None:
    assert forward(phrase) == (d(earliest), d(latest))


def test_clock_time_keeps_the_named_date_and_its_zone() -> None:
    [mention] = find_mentions("5 p.m. ET on Friday", THURSDAY)
    assert mention.reading.future is not None
    assert mention.reading.future.earliest == d("2025-04-18")
    assert mention.reading.clock is not None and mention.reading.clock.hour == 17
    assert mention.reading.zone == "ET"


def test_early_in_the_week_said_on_a_tuesday_is_this_week() -> None:
    assert forward("early in the week", TUESDAY) == (d("2025-10-14"), d("2025-10-14"))


def test_weekday_said_on_that_weekday_means_next_week() -> None:
    assert forward("Tuesday", TUESDAY) == (d("2025-10-21"), d("2025-10-21"))


def test_date_without_year_rolls_to_next_year_once_past() -> None:
    assert forward("March 3", TUESDAY) == (d("2026-03-03"), d("2026-03-03"))


def test_past_only_phrases_have_no_forward_reading() -> None:
    for phrase in ("yesterday", "last week", "three days ago", "last Friday", "earlier this month"):
        [mention] = find_mentions(phrase, THURSDAY)
        assert mention.reading.future is None, phrase
        assert mention.direction == "past"


@pytest.mark.parametrize(
    "text",
    [
        "The Good Friday Agreement ended decades of violence.",
        "Prime Minister Theresa May said she may be ready to move.",
        "Protesters march through the city while the sun sets.",
        "The first increase in three years was announced.",
        "He called it a five-year plan for growth.",
        "Prices fall as spring flowers bloom.",
        "The 9/11 attacks changed aviation.",
    ],
)
def test_names_and_ordinary_words_are_not_dates(text: str) -> None:
    assert find_mentions(text, THURSDAY) == []


def test_mention_offsets_point_into_the_text() -> None:
    text = "Officials said the vote will take place on Tuesday, June 3, at 10 a.m. local time."
    [mention] = find_mentions(text, THURSDAY)
    assert text[mention.start : mention.end] == mention.text
    assert mention.reading.future is not None
    assert mention.reading.future.earliest == d("2025-06-03")
    assert mention.reading.clock is not None and mention.reading.clock.hour == 10


def test_lenient_reading_of_typed_expressions() -> None:
    ref = datetime(2013, 2, 12, 4, 30, tzinfo=ZoneInfo("Etc/GMT+2"))
    window = resolve_expression("next tue", ref)
    assert window is not None and window.earliest == d("2013-02-19")
    window = resolve_expression("at 3am", ref)
    assert window is not None and window.earliest == d("2013-02-13")
    assert resolve_expression("at 650-650-6500", ref) is None
