"""Fuzzing the two parsers of untrusted text: the extractor and the `/news` command parser.

Whatever the text (any Unicode outside surrogates, control and format characters, RTL and
zero-width marks, emoji, a 1 MB line, only newlines, very long tokens), `extract` returns
events whose spans lie inside the text, or raises a clean `BadInput` with a message; `parse`
never raises and returns a command whose fields are in range.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import (
    MAX_COMMAND_TEXT,
    AddFeed,
    CommandError,
    Deadlines,
    RemoveFeed,
    SetDigest,
    SetQuiet,
    SetZone,
    TrackText,
    TrackUrl,
    parse,
)
from bot.errors import BadInput
from bot.extraction import MAX_TEXT_CHARS, extract
from bot.model import Event
from bot.nlp import load_pipeline
from tests.fuzz.strategies import any_character, command_texts, odd

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip

# Pieces of news prose, so that examples get past the cheap checks into spaCy and the windows.
PROSE = (
    "The council will vote on the budget next Tuesday",
    ", officials said.",
    " A decision is expected in the coming days.",
    " Talks resume on March 3 at 3:30 p.m. ET",
    " The deadline is midnight Friday",
    "WASHINGTON (AP) — ",
    " by the end of the month",
    " early next week",
    " on 2025-05-01",
    " if the court agrees",
    ". ",
    "\n",
)
texts = st.one_of(
    st.text(any_character, max_size=400),
    st.lists(
        st.one_of(st.sampled_from(PROSE), odd),
        max_size=30,
    ).map("".join),
    st.lists(
        st.one_of(st.sampled_from(PROSE), st.text(any_character, min_size=1, max_size=12)),
        max_size=20,
    ).map("".join),
)
zones = st.sampled_from(
    [None, "", "UTC", "Europe/Paris", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns",
     "Not/AZone", "../../etc/passwd", "UTC\x00", "utc"]
)  # fmt: skip
published = st.one_of(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2090, 1, 1)),
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    st.dates(min_value=date(1971, 1, 1), max_value=date(2090, 1, 1)),
)


@pytest.fixture(scope="module", autouse=True)
def pipeline() -> Any:
    """spaCy loads once for the module, not inside the first example's time."""
    return load_pipeline()


def _check(text: str, when: date | datetime, zone: str | None) -> list[Event]:
    """The events of `text`, after checking each lies inside it; [] for a clean BadInput."""
    try:
        events = extract(text, when, zone)
    except BadInput as error:
        assert str(error).strip(), "a BadInput must say what is wrong"
        return []
    for index, event in enumerate(events):
        assert 0 <= event.start < event.end <= len(text), event
        assert text[event.start : event.end] == event.trigger
        assert event.sentence and event.sentence in text
        assert event.window.earliest <= event.window.latest
        assert event.refines is None or 0 <= event.refines < index
        assert 0 < event.confidence <= 1
    return events


@FUZZ
@given(text=texts, when=published, zone=zones)
def test_extract_returns_events_inside_the_text_or_a_clean_bad_input(
    text: str, when: date | datetime, zone: str | None
) -> None:
    _check(text, when, zone)


@FUZZ
@given(
    words=st.lists(odd, min_size=1, max_size=6),
    repeat=st.integers(1, 40),
)
def test_prose_laced_with_invisible_characters_keeps_its_spans(
    words: list[str], repeat: int
) -> None:
    """The odd characters sit inside a real article, so every path of the extractor runs."""
    sentence = "The committee will vote on the plan next Tuesday, the chair said. "
    pieces = [sentence[i : i + 9] for i in range(0, len(sentence), 9)]
    text = "".join(p + words[i % len(words)] for i, p in enumerate(pieces * repeat))
    _check(text, datetime(2025, 4, 18, 12, tzinfo=UTC), "Europe/Paris")


def test_only_newlines_and_only_invisible_characters_have_no_events() -> None:
    when = datetime(2025, 4, 18, tzinfo=UTC)
    assert _check("\n" * 100_000, when, "UTC") == []
    assert _check("\u200b\u200f\ufeff" * 10_000, when, "UTC") == []


def test_a_one_megabyte_single_line() -> None:
    line = "the delegates argued over wording while observers waited outside " * 15_000
    line = line[: MAX_TEXT_CHARS - 200] + " and the council will vote on it next Tuesday"
    assert "\n" not in line and len(line) <= MAX_TEXT_CHARS
    events = _check(line, datetime(2025, 4, 18, 12, tzinfo=UTC), "UTC")
    assert [e.trigger for e in events] == ["next Tuesday"]


def test_a_long_line_dense_with_dates_is_parsed_in_pieces() -> None:
    """A calendar page without full stops: 800 phrases in one 30,000-character line.

    Parsed as one sentence this took minutes (every phrase walked the whole parse); it is now
    cut into pieces of at most 1,000 characters and reads in seconds.
    """
    line = "the council will vote next Tuesday, " * 830
    events = _check(line, datetime(2025, 4, 18, 12, tzinfo=UTC), "UTC")
    assert len(events) >= 800
    assert all(len(e.sentence) <= 1_000 for e in events)


def test_very_long_tokens_and_oversized_text() -> None:
    when = datetime(2025, 4, 18, 12, tzinfo=UTC)
    token = "x" * 400_000
    events = _check(f"{token} The board will meet next Tuesday. {token}", when, "UTC")
    assert [e.trigger for e in events] == ["next Tuesday"]
    assert _check("a" * MAX_TEXT_CHARS, when, "UTC") == []
    with pytest.raises(BadInput, match="limit"):
        extract("a" * (MAX_TEXT_CHARS + 1), when, "UTC")
    with pytest.raises(BadInput, match="NUL"):
        extract("The board will meet next Tuesday.\x00", when, "UTC")


# ---------------------------------------------------------------------------- `/news` text


def _check_command(text: str) -> None:
    command = parse(text)
    if isinstance(command, CommandError):
        assert command.message.strip()
    elif isinstance(command, TrackUrl | AddFeed):
        assert re.fullmatch(r"https?://\S+", command.url, re.IGNORECASE), command
    if isinstance(command, AddFeed):
        assert len(command.only) + len(command.exclude) <= 50
    if isinstance(command, TrackText):
        assert command.text.strip() and len(command.text) <= MAX_COMMAND_TEXT
    if isinstance(command, Deadlines):
        assert 1 <= command.days <= 365
    if isinstance(command, SetQuiet):
        assert 0 <= command.start <= 23 and 0 <= command.end <= 23
    if isinstance(command, SetDigest):
        assert command.kind in ("daily", "weekly", "off")
        assert 0 <= command.hour <= 23 and 0 <= command.minute <= 59
        assert 0 <= command.weekday <= 6
    if isinstance(command, SetZone):
        assert command.zone.strip()
    if isinstance(command, RemoveFeed):
        assert command.target.strip()


@settings(max_examples=300, deadline=None)
@given(text=command_texts)
def test_command_parser_never_raises(text: str) -> None:
    _check_command(text)


ARTICLE = "The board will vote on the merger next Tuesday, the company said."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deadlines ²", CommandError),  # str.isdigit() is true, int() refused it
        ("deadlines " + "9" * 5000, CommandError),  # past int()'s 4,300-digit limit
        ("deadlines ٣٠", CommandError),  # digits, but not ASCII ones
        ("feeds remove ²", CommandError),
        ("feeds remove " + "9" * 5000, CommandError),
        ("feeds remove 0003", RemoveFeed("3")),
        ("settings tz " + "a/" * 3000, CommandError),
        ("settings tz UTC\x00", CommandError),
        ("track " + "word " * (MAX_COMMAND_TEXT // 5), CommandError),  # one article at most
        ("track\n" + ARTICLE, TrackText(ARTICLE)),  # "/news track", Shift+Enter, a paste
        ("track\t<https://news.example/a>", TrackUrl("https://news.example/a")),
    ],
)
def test_command_parser_edge_cases(text: str, expected: object) -> None:
    _check_command(text)
    parsed = parse(text)
    assert isinstance(parsed, expected) if isinstance(expected, type) else parsed == expected
