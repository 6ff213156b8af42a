"""Measures how often the temporal resolver gets a standalone time expression's day window exactly
right on the Duckling English corpus, with dateparser scored on the same records in the same run.

Records come from `bench/data/duckling_en_time.jsonl`, sections "default" (expressions with a
known resolution) and "negative" (texts that hold no time expression). Each expected value is
turned into an inclusive [earliest, latest] window of dates in the reference time's UTC offset;
a parser is right when its window equals that window exactly, or, for a negative record, when it
finds nothing. Open intervals ("after 2 pm") have no closed window and are skipped. The last line
of stdout is one JSON object; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import dateparser

if TYPE_CHECKING:
    from bot.model import DateWindow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # `python bench/resolver_bench.py` puts bench/ on sys.path, not the project. Appending keeps
    # an installed or PYTHONPATH copy of `bot` first.
    sys.path.append(str(PROJECT_ROOT))

DEFAULT_CORPUS = PROJECT_ROOT / "bench" / "data" / "duckling_en_time.jsonl"
SCORED_SECTIONS = ("default", "negative")
QUICK_STEP = 4
SHOWN_TRACEBACKS = 3

DayWindow = tuple[date, date]
"""An inclusive (earliest, latest) pair of dates."""


class ResolveFunction(Protocol):
    """The shape of `bot.temporal.resolve_expression`."""

    def __call__(self, text: str, ref: datetime) -> DateWindow | None: ...


class CorpusError(Exception):
    """A corpus record cannot be read: the message names the line."""


@dataclass(frozen=True)
class CorpusCase:
    """One scored record: `expected` is None for a negative record (no time expression)."""

    line: int
    text: str
    ref: datetime
    section: str
    expected: DayWindow | None


@dataclass
class CorpusSelection:
    """The records that are scored and the counts of those that are not."""

    cases: list[CorpusCase] = field(default_factory=list)
    n_records: int = 0
    skipped_open: int = 0
    skipped_unrepresentable: int = 0


@dataclass
class ParserTally:
    """Right answers of one parser, by section."""

    name: str
    correct: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    failures: list[tuple[CorpusCase, str]] = field(default_factory=list)

    def record(self, case: CorpusCase, got: DayWindow | None, failure: str | None) -> None:
        if failure is None and got == case.expected:
            self.correct[case.section] = self.correct.get(case.section, 0) + 1
        else:
            self.failures.append((case, failure or window_text(got)))


# --- expected windows ------------------------------------------------------------------------


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def local_datetime(value: str, offset: tzinfo | None) -> datetime:
    """An expected ISO value, expressed in the reference time's UTC offset."""
    return datetime.fromisoformat(value).astimezone(offset)


def value_window(start: date, grain: str) -> DayWindow:
    """The days a single value of the given grain covers."""
    if grain in ("second", "minute", "hour", "day"):
        return start, start
    if grain == "week":
        return start, start + timedelta(days=6)
    if grain == "month":
        return start.replace(day=1), month_end(start)
    if grain == "quarter":
        first = start.replace(day=1)
        return first, add_months(first, 3) - timedelta(days=1)
    if grain == "year":
        return date(start.year, 1, 1), date(start.year, 12, 31)
    raise ValueError(f"unknown grain {grain!r}")


def interval_window(start: datetime, end: datetime, grain: str) -> DayWindow:
    """The days a Duckling interval covers; its `to` end is exclusive."""
    if grain in ("second", "minute", "hour"):
        return start.date(), (end - timedelta(seconds=1)).date()
    if grain in ("day", "week", "month", "quarter", "year"):
        return start.date(), end.date() - timedelta(days=1)
    raise ValueError(f"unknown grain {grain!r}")


def expected_window(expected: dict[str, Any], ref: datetime) -> DayWindow | None:
    """The inclusive day window of an expected value; None for an open interval."""
    offset = ref.tzinfo
    grain = expected["grain"]
    if expected["type"] == "value":
        return value_window(local_datetime(expected["value"], offset).date(), grain)
    if expected["type"] == "interval":
        if expected["from"] is None or expected["to"] is None:
            return None
        start = local_datetime(expected["from"], offset)
        end = local_datetime(expected["to"], offset)
        return interval_window(start, end, grain)
    raise ValueError(f"unknown expected type {expected['type']!r}")


def is_unrepresentable(expected: dict[str, Any]) -> bool:
    """Years before 1 ("in 2014 BC") cannot be a Python date, so no parser can match them."""
    values = (expected.get("value"), expected.get("from"), expected.get("to"))
    return any(isinstance(value, str) and value.startswith("-") for value in values)


def add_record(selection: CorpusSelection, record: dict[str, Any], line: int) -> None:
    selection.n_records += 1
    ref = datetime.fromisoformat(record["ref"])
    if ref.tzinfo is None:
        raise ValueError(f"ref {record['ref']!r} has no UTC offset")
    expected = record["expected"]
    if expected is None:
        selection.cases.append(CorpusCase(line, record["text"], ref, record["section"], None))
        return
    if is_unrepresentable(expected):
        selection.skipped_unrepresentable += 1
        return
    window = expected_window(expected, ref)
    if window is None:
        selection.skipped_open += 1
        return
    if window[1] < window[0]:
        raise ValueError(f"expected window ends before it starts: {window_text(window)}")
    selection.cases.append(CorpusCase(line, record["text"], ref, record["section"], window))


def load_corpus(path: Path, quick: bool) -> CorpusSelection:
    """The scored records of the corpus; with `quick`, every QUICK_STEP-th of them."""
    records: list[tuple[int, dict[str, Any]]] = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path}:{line_number}: {error}") from error
            if record.get("section") in SCORED_SECTIONS:
                records.append((line_number, record))
    if quick:
        records = records[::QUICK_STEP]
    selection = CorpusSelection()
    for line_number, record in records:
        try:
            add_record(selection, record, line_number)
        except (KeyError, ValueError, TypeError) as error:
            raise CorpusError(f"{path}:{line_number}: {type(error).__name__}: {error}") from error
    return selection


# --- parsers ---------------------------------------------------------------------------------


def window_text(window: DayWindow | None) -> str:
    if window is None:
        return "nothing"
    earliest, latest = window
    return earliest.isoformat() if earliest == latest else f"{earliest}..{latest}"


def resolver_window(resolve: ResolveFunction, case: CorpusCase) -> DayWindow | None:
    window = resolve(case.text, case.ref)
    return None if window is None else (window.earliest, window.latest)


def dateparser_window(case: CorpusCase) -> DayWindow | None:
    """dateparser's answer as a one-day window: it returns one datetime, not a range."""
    parsed = dateparser.parse(
        case.text,
        settings={
            "RELATIVE_BASE": case.ref.replace(tzinfo=None),
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return None if parsed is None else (parsed.date(), parsed.date())


def score_resolver(resolve: ResolveFunction, cases: Sequence[CorpusCase]) -> ParserTally:
    tally = ParserTally("resolver")
    started = time.perf_counter()
    for case in cases:
        try:
            got = resolver_window(resolve, case)
        except Exception as error:
            # A crash on one expression counts as wrong; the others still get scored.
            if tally.errors < SHOWN_TRACEBACKS:
                print(f"resolver failed on {case.text!r} (line {case.line}):", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
            tally.errors += 1
            tally.record(case, None, f"raised {error!r}")
        else:
            tally.record(case, got, None)
    tally.seconds = time.perf_counter() - started
    return tally


def score_dateparser(cases: Sequence[CorpusCase]) -> ParserTally:
    tally = ParserTally("dateparser")
    started = time.perf_counter()
    for case in cases:
        try:
            got = dateparser_window(case)
        except Exception as error:
            # dateparser raises on some inputs (e.g. out-of-range dates); that counts as wrong.
            tally.errors += 1
            tally.record(case, None, f"raised {error!r}")
        else:
            tally.record(case, got, None)
    tally.seconds = time.perf_counter() - started
    return tally


# --- reporting -------------------------------------------------------------------------------


def accuracy(correct: int, total: int) -> float | None:
    return None if total == 0 else round(correct / total, 4)


def parser_report(tally: ParserTally, section_sizes: dict[str, int]) -> dict[str, Any]:
    total = sum(section_sizes.values())
    correct = sum(tally.correct.values())
    report: dict[str, Any] = {f"{tally.name}_exact": accuracy(correct, total)}
    for section in SCORED_SECTIONS:
        report[f"{tally.name}_{section}_exact"] = accuracy(
            tally.correct.get(section, 0), section_sizes.get(section, 0)
        )
    report[f"{tally.name}_correct"] = correct
    for section in SCORED_SECTIONS:
        report[f"{tally.name}_{section}_correct"] = tally.correct.get(section, 0)
    report[f"{tally.name}_errors"] = tally.errors
    report[f"{tally.name}_seconds"] = round(tally.seconds, 3)
    return report


def build_report(
    selection: CorpusSelection,
    resolver: ParserTally,
    baseline: ParserTally,
    corpus: Path,
    quick: bool,
) -> dict[str, Any]:
    section_sizes = {
        section: sum(case.section == section for case in selection.cases)
        for section in SCORED_SECTIONS
    }
    return {
        **parser_report(resolver, section_sizes),
        **parser_report(baseline, section_sizes),
        "n": len(selection.cases),
        **{f"n_{section}": size for section, size in section_sizes.items()},
        "n_records": selection.n_records,
        "skipped_open": selection.skipped_open,
        "skipped_unrepresentable": selection.skipped_unrepresentable,
        "corpus": str(corpus),
        "quick": quick,
    }


def print_failures(tally: ParserTally) -> None:
    print(
        f"{len(tally.failures)} {tally.name} failures (text | ref | expected | got):",
        file=sys.stderr,
    )
    for case, got in tally.failures:
        print(
            f"  [{case.section}] {case.text!r} | {case.ref.isoformat()} | "
            f"{window_text(case.expected)} | {got}",
            file=sys.stderr,
        )


def load_resolve_function() -> ResolveFunction:
    # Imported late: --help works without the project API, and an import error is reported
    # as this script's JSON error line instead of a bare traceback.
    from bot.temporal import resolve_expression

    return resolve_expression


def report_fatal(message: str) -> int:
    """Says why nothing was measured, on stderr and as the JSON line; returns the exit status."""
    print(f"resolver_bench: {message}", file=sys.stderr)
    print(json.dumps({"error": message}))
    return 2


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="Duckling-schema JSONL corpus"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"score every {QUICK_STEP}th record only"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list the resolver's failures on stderr"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        selection = load_corpus(arguments.corpus, arguments.quick)
        resolve = load_resolve_function()
    except (CorpusError, OSError) as error:
        return report_fatal(str(error))
    except ImportError as error:
        return report_fatal(f"cannot import bot.temporal.resolve_expression: {error}")
    print(
        f"scoring {len(selection.cases)} records ({selection.skipped_open} open intervals and "
        f"{selection.skipped_unrepresentable} BC dates skipped)",
        file=sys.stderr,
    )
    resolver = score_resolver(resolve, selection.cases)
    print(f"resolver done in {resolver.seconds:.1f}s; running dateparser", file=sys.stderr)
    baseline = score_dateparser(selection.cases)
    print(f"dateparser done in {baseline.seconds:.1f}s", file=sys.stderr)
    if arguments.verbose:
        print_failures(resolver)
    report = build_report(selection, resolver, baseline, arguments.corpus, arguments.quick)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
