"""The extractor on the seed article, on the dev set, and on the traps of news prose."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadInput
from bot.extraction import extract
from tests.conftest import Seed, nth_span

DATA = Path(__file__).resolve().parent.parent / "data"
# Friday 18 April 2025, noon in Paris, like the seed.
FRIDAY = datetime(2025, 4, 18, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_seed_gives_exactly_its_expected_events(seed: Seed) -> None:
    events = extract(seed.text, seed.published, seed.zone)
    expected = seed.expected["events"]
    assert len(events) == len(expected)
    for event, gold in zip(events, expected, strict=True):
        start, end = nth_span(seed.text, gold["trigger"], gold["occurrence"])
        assert (event.start, event.end) == (start, end)
        assert seed.text[event.start : event.end] == event.trigger
        assert event.kind == gold["kind"]
        assert event.earliest == date.fromisoformat(gold["earliest"])
        assert event.latest == date.fromisoformat(gold["latest"])
        assert event.conditional == gold.get("conditional", False)
        assert event.refines == gold.get("same_as")


def test_seed_past_mentions_are_not_events(seed: Seed) -> None:
    events = extract(seed.text, seed.published, seed.zone)
    for past in seed.expected["past"]:
        start, end = nth_span(seed.text, past["trigger"], past["occurrence"])
        assert all(e.end <= start or e.start >= end for e in events), past


def test_seed_london_meeting_is_one_event_narrowed_to_monday_and_tuesday(seed: Seed) -> None:
    events = extract(seed.text, seed.published, seed.zone)
    meetings = [e for e in events if e.kind == "meeting"]
    assert len(meetings) == 2
    assert meetings[1].refines == events.index(meetings[0])
    assert (meetings[1].earliest, meetings[1].latest) == (date(2025, 4, 21), date(2025, 4, 22))
    assert "London" in meetings[0].places


@pytest.mark.parametrize(
    "sentence",
    [
        "France hosted high-level talks Thursday to discuss Ukraine.",
        "The minister said Friday that the talks had been constructive.",
        "After weeks of efforts, the ceasefire collapsed within days.",
        "The Good Friday Agreement was signed in 1998.",
        "Shares of Tuesday Ventures rose 4% in early trading.",
        "The meeting planned for next week was cancelled on Thursday.",
        "It was the first increase in three years, the bank said.",
        "A plan published in March set out the route.",
        "LONDON, April 22 (Reuters) - Shares in the company fell sharply.",
        "The monsoon season typically lasts from June to September.",
        "A college game scheduled for Saturday was moved to another city.",
        "The probe had been due to fly in May before a valve failed.",
        "The deal gives workers a pay increase of 2.5 percent for this year.",
        "Outside the court on Saturday, a small group of activists held up placards.",
        "Black Monday traffic at the crossing was the heaviest on record, the forum said.",
    ],
)
def test_past_and_names_are_not_events(sentence: str) -> None:
    assert extract(sentence, FRIDAY, "Europe/Paris") == []


def test_future_weekday_clock_time_and_zone() -> None:
    text = "The Senate will vote at 5 p.m. ET on Tuesday on the stopgap bill."
    [event] = extract(text, datetime(2025, 3, 13, 9, 0, tzinfo=ZoneInfo("America/New_York")))
    assert event.kind == "vote"
    assert event.earliest == event.latest == date(2025, 3, 18)
    assert event.clock_time is not None and event.clock_time.hour == 17
    assert event.clock_zone == "ET"


def test_conditional_or_window() -> None:
    text = "A ruling could come at the end of this week or early next week, lawyers said."
    [event] = extract(text, datetime(2025, 4, 16, 10, 0, tzinfo=ZoneInfo("UTC")))
    assert event.conditional
    assert event.kind == "decision"
    assert (event.earliest, event.latest) == (date(2025, 4, 18), date(2025, 4, 22))


def test_rescheduled_date_is_the_new_one() -> None:
    text = "His sentencing, originally set for June 28, was moved to Aug. 29 after a request."
    events = extract(text, datetime(2025, 7, 1, 10, 0, tzinfo=ZoneInfo("America/Chicago")))
    assert [(e.kind, e.earliest) for e in events] == [("hearing", date(2025, 8, 29))]


@pytest.mark.parametrize(
    ("sentence", "earliest"),
    [
        ("The court ordered both sides to file briefs within two weeks.", "2025-04-18"),
        ("Lawyers said the likely date was May 6, when the bench returns.", "2025-05-06"),
        ("Forecasters said landfall was most likely on Sunday morning.", "2025-04-20"),
        ("Officials ordered an evacuation starting at 6 a.m. CDT Monday.", "2025-04-21"),
        ("The minister was prepared to intervene within days, his office said.", "2025-04-18"),
        ("Shareholders have until 7 p.m. BST on Monday to tender their shares.", "2025-04-21"),
        ("The Supreme Court could hear the case as early as June.", "2025-06-01"),
    ],
)
def test_futures_inside_past_or_reported_clauses(sentence: str, earliest: str) -> None:
    events = extract(sentence, FRIDAY, "Europe/Paris")
    assert [e.earliest for e in events] == [date.fromisoformat(earliest)], sentence


def test_trigger_offsets_are_into_the_given_text() -> None:
    text = "Ministers “will meet in Brussels next Tuesday,” an official said.\n\nNo more."
    [event] = extract(text, FRIDAY, "Europe/Brussels")
    assert text[event.start : event.end] == event.trigger == "next Tuesday"
    assert event.sentence.startswith("Ministers")


def test_refused_inputs() -> None:
    with pytest.raises(BadInput, match="limit"):
        extract("word " * 250_000, FRIDAY)
    with pytest.raises(BadInput, match="binary"):
        extract("abc\x00def", FRIDAY)
    with pytest.raises(BadInput, match="English"):
        extract(
            "Le ministre a déclaré vendredi que les États-Unis pourraient être prêts à passer à "
            "autre chose si aucun progrès n'est réalisé dans les prochains jours, selon lui.",
            FRIDAY,
        )
    with pytest.raises(BadInput, match="time zone"):
        extract("The vote is on Tuesday.", FRIDAY, "Mars/Olympus")
    assert extract("   \n ", FRIDAY) == []


def _dev_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for path in sorted(DATA.glob("devset_*.jsonl")):
        records.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return records


def test_dev_set_is_large_and_varied_enough() -> None:
    records = _dev_records()
    assert len(records) >= 80
    without_events = [r for r in records if not r["events"]]
    assert len(without_events) >= len(records) / 4
    assert len({r["domain"] for r in records}) >= 8


@pytest.mark.slow
def test_dev_set_recall_and_precision_hold() -> None:
    """A floor well under the measured scores, so a regression in the extractor shows up."""
    gold_total = system_total = correct = 0
    for record in _dev_records():
        text = str(record["text"])
        events = extract(text, datetime.fromisoformat(str(record["published"])), str(record["tz"]))
        system_total += len(events)
        golds = record["events"]
        assert isinstance(golds, list)
        gold_total += len(golds)
        for gold in golds:
            start, end = nth_span(text, gold["trigger"], gold["occurrence"])
            window = (date.fromisoformat(gold["earliest"]), date.fromisoformat(gold["latest"]))
            if any(
                e.start < end
                and e.end > start
                and e.earliest <= window[1]
                and window[0] <= e.latest
                for e in events
            ):
                correct += 1
    assert correct / gold_total >= 0.92
    assert correct / system_total >= 0.92
