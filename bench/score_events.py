"""Scores the event extractor against labelled passages.

For every gold passage the extractor's events are matched one-to-one to the gold events by
overlapping character spans (greedy, largest overlap first). A match whose date windows intersect
is a "correct reminder": the bot would have come back inside the right window. The script reports
precision, recall and F1 over correct reminders, overall and per domain, plus how often matched
windows are identical, kinds and conditional flags agree, and how many system events land on a
mention the gold data marks as past.

Gold data: by default every `tests/data/devset_*.jsonl` under the project root plus the seeds
(`seeds/*.expected.json` with their `.txt` text and `.json` metadata); `--data PATH` (repeatable)
scores those JSONL files instead. The last line of stdout is one JSON object; everything else goes
to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from bot.model import Event

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # `python bench/score_events.py` puts bench/ on sys.path, not the project. Appending keeps an
    # installed or PYTHONPATH copy of `bot` first.
    sys.path.append(str(PROJECT_ROOT))

DEVSET_GLOB = "tests/data/devset_*.jsonl"
SEED_GLOB = "seeds/*.expected.json"
SEED_DOMAIN = "seed"
QUICK_PASSAGES = 30
PROGRESS_EVERY = 25
CONTEXT_CHARS = 60


class ExtractFunction(Protocol):
    """The shape of `bot.extraction.extract`."""

    def __call__(
        self, text: str, published: date | datetime, tz: str | None = None
    ) -> list[Event]: ...


class GoldDataError(Exception):
    """A gold file is malformed: the message names the file, line or record."""


@dataclass(frozen=True)
class GoldEvent:
    """One labelled forward-looking event, located in the passage text."""

    kind: str
    start: int
    end: int
    trigger: str
    earliest: date
    latest: date
    conditional: bool
    what: str


@dataclass(frozen=True)
class PastMention:
    """A labelled time phrase that refers to the past: flagging it is a false alarm."""

    start: int
    end: int
    trigger: str
    why: str


@dataclass(frozen=True)
class Passage:
    """One gold passage with its publication context."""

    passage_id: str
    domain: str
    origin: str
    published: date | datetime
    tz: str | None
    text: str
    events: tuple[GoldEvent, ...]
    past: tuple[PastMention, ...]


@dataclass(frozen=True)
class SystemEvent:
    """The fields of an extracted event that scoring looks at."""

    kind: str
    start: int
    end: int
    trigger: str
    earliest: date
    latest: date
    conditional: bool


@dataclass(frozen=True)
class EventMatch:
    """A gold event paired with the system event whose span overlaps it most."""

    gold: GoldEvent
    system: SystemEvent
    overlap: int

    @property
    def windows_intersect(self) -> bool:
        return self.gold.earliest <= self.system.latest and self.system.earliest <= self.gold.latest

    @property
    def windows_identical(self) -> bool:
        return (self.gold.earliest, self.gold.latest) == (self.system.earliest, self.system.latest)


@dataclass(frozen=True)
class PassageScore:
    """The outcome of matching one passage's system events against its gold events."""

    passage: Passage
    system_events: tuple[SystemEvent, ...]
    matches: tuple[EventMatch, ...]
    misses: tuple[GoldEvent, ...]
    spurious: tuple[SystemEvent, ...]
    past_false_alarms: tuple[tuple[SystemEvent, PastMention], ...]
    extract_failed: bool


@dataclass
class ScoreTally:
    """Running counts over a set of passages."""

    n_passages: int = 0
    n_gold: int = 0
    n_system: int = 0
    n_matched: int = 0
    n_correct: int = 0
    n_exact_window: int = 0
    n_same_kind: int = 0
    n_same_conditional: int = 0
    past_false_alarms: int = 0
    n_extract_errors: int = 0

    def add(self, score: PassageScore) -> None:
        self.n_passages += 1
        self.n_gold += len(score.passage.events)
        self.n_system += len(score.system_events)
        self.n_matched += len(score.matches)
        self.n_correct += sum(match.windows_intersect for match in score.matches)
        self.n_exact_window += sum(match.windows_identical for match in score.matches)
        self.n_same_kind += sum(match.gold.kind == match.system.kind for match in score.matches)
        self.n_same_conditional += sum(
            match.gold.conditional == match.system.conditional for match in score.matches
        )
        self.past_false_alarms += len(score.past_false_alarms)
        self.n_extract_errors += int(score.extract_failed)

    def precision_recall_f1(self) -> dict[str, float | None]:
        precision = ratio(self.n_correct, self.n_system)
        recall = ratio(self.n_correct, self.n_gold)
        f1: float | None = None
        if precision is not None and recall is not None:
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        return {"precision": rounded(precision), "recall": rounded(recall), "f1": rounded(f1)}


@dataclass
class ExtractRunner:
    """Calls the extractor per passage; a crash counts as no events and is reported on stderr."""

    extract: ExtractFunction
    failures: list[str] = field(default_factory=list)

    def events_for(self, passage: Passage) -> tuple[tuple[SystemEvent, ...], bool]:
        try:
            events = self.extract(passage.text, passage.published, passage.tz)
            return tuple(system_event_from(event) for event in events), False
        except Exception as error:
            # A crash counts as "no events" for this passage; one bad passage must not hide the
            # scores of the others.
            if not self.failures:
                print(f"extract failed on {passage.passage_id}:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
            else:
                print(
                    f"extract failed on {passage.passage_id}: {error!r}",
                    file=sys.stderr,
                )
            self.failures.append(passage.passage_id)
            return (), True


def ratio(numerator: int | float, denominator: int | float) -> float | None:
    """A ratio, or None when it is undefined (nothing to divide by)."""
    return None if denominator == 0 else numerator / denominator


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def system_event_from(event: Event) -> SystemEvent:
    return SystemEvent(
        kind=event.kind,
        start=event.start,
        end=event.end,
        trigger=event.trigger,
        earliest=event.earliest,
        latest=event.latest,
        conditional=bool(event.conditional),
    )


# --- gold data -------------------------------------------------------------------------------


def locate_occurrence(text: str, trigger: str, occurrence: int, label: str) -> tuple[int, int]:
    """Character span of the `occurrence`-th (1-based) occurrence of `trigger` in `text`."""
    if not trigger:
        raise GoldDataError(f"{label}: empty trigger")
    if occurrence < 1:
        raise GoldDataError(f"{label}: occurrence must be 1 or more, got {occurrence}")
    position = -1
    for found in range(occurrence):
        position = text.find(trigger, position + 1)
        if position == -1:
            raise GoldDataError(
                f"{label}: trigger {trigger!r} occurrence {occurrence} is not in the text "
                f"(found {found} occurrence(s))"
            )
    return position, position + len(trigger)


def parse_published(value: str, tz: str | None, label: str) -> date | datetime:
    """The publication date or aware datetime the extractor resolves against."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        published = datetime.fromisoformat(value)
    if published.tzinfo is not None:
        return published
    if tz is not None:
        return published.replace(tzinfo=ZoneInfo(tz))
    print(
        f"{label}: published {value!r} has no UTC offset and no tz; passing its date only",
        file=sys.stderr,
    )
    return published.date()


def check_zone(tz: object, label: str) -> str | None:
    if tz is None:
        return None
    if not isinstance(tz, str):
        raise GoldDataError(f"{label}: tz must be a string, got {tz!r}")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise GoldDataError(f"{label}: unknown tz {tz!r}") from error
    return tz


def gold_event_from(raw: dict[str, Any], text: str, label: str) -> GoldEvent:
    trigger = str(raw["trigger"])
    start, end = locate_occurrence(text, trigger, int(raw.get("occurrence", 1)), label)
    earliest = date.fromisoformat(raw["earliest"])
    latest = date.fromisoformat(raw["latest"])
    if latest < earliest:
        raise GoldDataError(f"{label}: latest {latest} is before earliest {earliest}")
    return GoldEvent(
        kind=str(raw["kind"]),
        start=start,
        end=end,
        trigger=trigger,
        earliest=earliest,
        latest=latest,
        conditional=bool(raw.get("conditional", False)),
        what=str(raw.get("what", "")),
    )


def past_mention_from(raw: dict[str, Any], text: str, label: str) -> PastMention:
    trigger = str(raw["trigger"])
    start, end = locate_occurrence(text, trigger, int(raw.get("occurrence", 1)), label)
    return PastMention(start=start, end=end, trigger=trigger, why=str(raw.get("why", "")))


def passage_from(
    record: dict[str, Any], text: str, published: str, tz: object, defaults: tuple[str, str, str]
) -> Passage:
    """Builds a passage; `defaults` is (id, domain, origin) for records that lack them."""
    default_id, default_domain, origin = defaults
    passage_id = str(record.get("id", default_id))
    label = f"{origin} (id {passage_id})"
    try:
        zone = check_zone(tz, label)
        events = tuple(
            gold_event_from(raw, text, f"{label} event {index}")
            for index, raw in enumerate(record.get("events", []))
        )
        past = tuple(
            past_mention_from(raw, text, f"{label} past {index}")
            for index, raw in enumerate(record.get("past", []))
        )
        return Passage(
            passage_id=passage_id,
            domain=str(record.get("domain", default_domain)),
            origin=origin,
            published=parse_published(published, zone, label),
            tz=zone,
            text=text,
            events=events,
            past=past,
        )
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        raise GoldDataError(f"{label}: {type(error).__name__}: {error}") from error


def load_jsonl_passages(path: Path) -> list[Passage]:
    passages: list[Passage] = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            origin = f"{path}:{line_number}"
            try:
                record = json.loads(line)
                text = record["text"]
                published = record["published"]
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise GoldDataError(f"{origin}: {type(error).__name__}: {error}") from error
            passages.append(
                passage_from(
                    record,
                    text,
                    published,
                    record.get("tz"),
                    (f"line{line_number}", "unknown", origin),
                )
            )
    return passages


def load_seed_passage(expected_path: Path) -> Passage:
    """A seed: text from `<name>.txt`, publication from `<name>.json`, labels from
    `<name>.expected.json`."""
    name = expected_path.name.removesuffix(".expected.json")
    text_path = expected_path.with_name(f"{name}.txt")
    metadata_path = expected_path.with_name(f"{name}.json")
    try:
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        text = text_path.read_text(encoding="utf-8")
    except (OSError, json.JSONDecodeError) as error:
        raise GoldDataError(f"seed {name}: {error}") from error
    published = metadata.get("published", expected.get("published"))
    if published is None:
        raise GoldDataError(f"seed {name}: no published date in {metadata_path.name}")
    record = {
        "id": name,
        "domain": metadata.get("domain", SEED_DOMAIN),
        "events": expected.get("events", []),
        "past": expected.get("past", []),
    }
    return passage_from(
        record, text, published, metadata.get("tz"), (name, SEED_DOMAIN, str(expected_path))
    )


def default_gold_sources(root: Path) -> tuple[list[Path], list[Path]]:
    """(seed label files, devset JSONL files) under the project root."""
    return sorted(root.glob(SEED_GLOB)), sorted(root.glob(DEVSET_GLOB))


def load_passages(data_paths: Sequence[Path] | None) -> tuple[list[Passage], list[str]]:
    """The passages to score and the names of the files they came from."""
    if data_paths:
        passages = [passage for path in data_paths for passage in load_jsonl_passages(path)]
        return passages, [str(path) for path in data_paths]
    seed_paths, devset_paths = default_gold_sources(PROJECT_ROOT)
    # Seeds first so that --quick always includes them.
    passages = [load_seed_passage(path) for path in seed_paths]
    passages += [passage for path in devset_paths for passage in load_jsonl_passages(path)]
    sources = [str(path.relative_to(PROJECT_ROOT)) for path in [*seed_paths, *devset_paths]]
    return passages, sources


# --- matching --------------------------------------------------------------------------------


def span_overlap(start_a: int, end_a: int, start_b: int, end_b: int) -> int:
    return max(0, min(end_a, end_b) - max(start_a, start_b))


def match_events(
    gold_events: Sequence[GoldEvent], system_events: Sequence[SystemEvent]
) -> tuple[list[EventMatch], list[GoldEvent], list[SystemEvent]]:
    """One-to-one matching by overlapping spans, greedy by largest overlap.

    Returns (matches, gold events left unmatched, system events left unmatched)."""
    candidates = sorted(
        (
            (span_overlap(gold.start, gold.end, system.start, system.end), gold_index, system_index)
            for gold_index, gold in enumerate(gold_events)
            for system_index, system in enumerate(system_events)
        ),
        # Ties go to the earlier gold, then the earlier system event, so runs are repeatable.
        key=lambda candidate: (-candidate[0], candidate[1], candidate[2]),
    )
    matched_gold: set[int] = set()
    matched_system: set[int] = set()
    matches: list[EventMatch] = []
    for overlap, gold_index, system_index in candidates:
        if overlap == 0:
            break
        if gold_index in matched_gold or system_index in matched_system:
            continue
        matched_gold.add(gold_index)
        matched_system.add(system_index)
        matches.append(EventMatch(gold_events[gold_index], system_events[system_index], overlap))
    matches.sort(key=lambda match: match.gold.start)
    misses = [gold for index, gold in enumerate(gold_events) if index not in matched_gold]
    spurious = [system for index, system in enumerate(system_events) if index not in matched_system]
    return matches, misses, spurious


def find_past_false_alarms(
    system_events: Iterable[SystemEvent], past: Sequence[PastMention]
) -> list[tuple[SystemEvent, PastMention]]:
    """System events whose span overlaps a mention labelled past (each event counted once)."""
    alarms: list[tuple[SystemEvent, PastMention]] = []
    for system in system_events:
        for mention in past:
            if span_overlap(system.start, system.end, mention.start, mention.end) > 0:
                alarms.append((system, mention))
                break
    return alarms


def score_passage(passage: Passage, runner: ExtractRunner) -> PassageScore:
    system_events, failed = runner.events_for(passage)
    matches, misses, spurious = match_events(passage.events, system_events)
    return PassageScore(
        passage=passage,
        system_events=system_events,
        matches=tuple(matches),
        misses=tuple(misses),
        spurious=tuple(spurious),
        past_false_alarms=tuple(find_past_false_alarms(system_events, passage.past)),
        extract_failed=failed,
    )


# --- reporting -------------------------------------------------------------------------------


def window_text(earliest: date, latest: date) -> str:
    return earliest.isoformat() if earliest == latest else f"{earliest}..{latest}"


def context_text(text: str, start: int, end: int) -> str:
    """The span in brackets with some text either side, on one line."""
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    snippet = f"{before}[{text[start:end]}]{after}"
    return " ".join(snippet.split())


def gold_line(gold: GoldEvent) -> str:
    conditional = " conditional" if gold.conditional else ""
    return (
        f"{gold.kind}{conditional} {window_text(gold.earliest, gold.latest)} "
        f"@{gold.start} {gold.trigger!r}: {gold.what}"
    )


def system_line(system: SystemEvent) -> str:
    conditional = " conditional" if system.conditional else ""
    return (
        f"{system.kind}{conditional} {window_text(system.earliest, system.latest)} "
        f"@{system.start} {system.trigger!r}"
    )


def match_problems(match: EventMatch) -> list[str]:
    gold, system = match.gold, match.system
    where = f"{gold.trigger!r} @{gold.start}"
    problems: list[str] = []
    if not match.windows_identical:
        verdict = "overlapping" if match.windows_intersect else "DISJOINT, not a correct reminder"
        problems.append(
            f"WINDOW   {where}: gold {window_text(gold.earliest, gold.latest)}, "
            f"got {window_text(system.earliest, system.latest)} ({verdict}; "
            f"system trigger {system.trigger!r})"
        )
    if gold.kind != system.kind:
        problems.append(f"KIND     {where}: gold {gold.kind}, got {system.kind}")
    if gold.conditional != system.conditional:
        problems.append(
            f"COND     {where}: gold conditional={gold.conditional}, got {system.conditional}"
        )
    return problems


def describe_passage(score: PassageScore) -> str:
    """A readable account of what went wrong in one passage, for a developer."""
    passage = score.passage
    text = passage.text
    correct = sum(match.windows_intersect for match in score.matches)
    lines = [
        f"== {passage.passage_id} [{passage.domain}] published {passage.published.isoformat()}"
        f" tz {passage.tz}: gold {len(passage.events)}, system {len(score.system_events)}, "
        f"matched {len(score.matches)}, correct {correct}"
        + ("  (EXTRACT FAILED)" if score.extract_failed else "")
    ]
    for gold in score.misses:
        lines.append(f"  MISS     {gold_line(gold)}")
        lines.append(f"           {context_text(text, gold.start, gold.end)}")
    for system in score.spurious:
        lines.append(f"  SPURIOUS {system_line(system)}")
        lines.append(f"           {context_text(text, system.start, system.end)}")
    for match in score.matches:
        lines.extend(f"  {problem}" for problem in match_problems(match))
    for system, mention in score.past_false_alarms:
        lines.append(
            f"  PAST     {system_line(system)} is on past mention {mention.trigger!r} "
            f"@{mention.start} ({mention.why})"
        )
        lines.append(f"           {context_text(text, mention.start, mention.end)}")
    if len(lines) == 1:
        lines.append("  all gold events matched with identical windows, kinds and flags")
    return "\n".join(lines)


def build_report(scores: Sequence[PassageScore], sources: list[str], quick: bool) -> dict[str, Any]:
    overall = ScoreTally()
    per_domain: dict[str, ScoreTally] = {}
    for score in scores:
        overall.add(score)
        per_domain.setdefault(score.passage.domain, ScoreTally()).add(score)
    return {
        "n_passages": overall.n_passages,
        "n_gold": overall.n_gold,
        "n_system": overall.n_system,
        "n_matched": overall.n_matched,
        "n_correct": overall.n_correct,
        **overall.precision_recall_f1(),
        "exact_window_rate": rounded(ratio(overall.n_exact_window, overall.n_matched)),
        "kind_accuracy": rounded(ratio(overall.n_same_kind, overall.n_matched)),
        "conditional_accuracy": rounded(ratio(overall.n_same_conditional, overall.n_matched)),
        "past_false_alarms": overall.past_false_alarms,
        "n_extract_errors": overall.n_extract_errors,
        "per_domain": {
            domain: {
                "n_passages": tally.n_passages,
                "n_gold": tally.n_gold,
                "n_system": tally.n_system,
                "n_correct": tally.n_correct,
                **tally.precision_recall_f1(),
            }
            for domain, tally in sorted(per_domain.items())
        },
        "sources": sources,
        "quick": quick,
    }


def load_extract_function() -> ExtractFunction:
    # Imported late: --help works without the project API, and an import error is reported
    # as this script's JSON error line instead of a bare traceback.
    from bot.extraction import extract

    return extract


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--data",
        action="append",
        type=Path,
        metavar="PATH",
        help="a gold JSONL file to score instead of the devsets and seeds (repeatable)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"score only the first {QUICK_PASSAGES} passages"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="write each passage's misses, spurious events, window mismatches and past false "
        "alarms to stderr",
    )
    return parser.parse_args(argv)


def report_fatal(message: str) -> int:
    """Says why nothing was scored, on stderr and as the JSON line; returns the exit status."""
    print(f"score_events: {message}", file=sys.stderr)
    print(json.dumps({"error": message}))
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        passages, sources = load_passages(arguments.data)
        extract = load_extract_function()
    except (GoldDataError, OSError) as error:
        return report_fatal(str(error))
    except ImportError as error:
        return report_fatal(f"cannot import bot.extraction.extract: {error}")
    if arguments.quick:
        passages = passages[:QUICK_PASSAGES]
    print(f"scoring {len(passages)} passages from {', '.join(sources)}", file=sys.stderr)
    runner = ExtractRunner(extract)
    scores: list[PassageScore] = []
    started = time.perf_counter()
    for number, passage in enumerate(passages, start=1):
        scores.append(score_passage(passage, runner))
        if arguments.verbose:
            print(describe_passage(scores[-1]), file=sys.stderr)
        if number % PROGRESS_EVERY == 0:
            elapsed = time.perf_counter() - started
            print(f"scored {number}/{len(passages)} passages ({elapsed:.1f}s)", file=sys.stderr)
    print(json.dumps(build_report(scores, sources, arguments.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
