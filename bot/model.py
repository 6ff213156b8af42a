"""Domain objects of the extraction core: event kinds, date windows and extracted events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

EventKind = Literal["deadline", "meeting", "decision", "vote", "hearing", "launch", "other"]
EVENT_KINDS: tuple[EventKind, ...] = (
    "deadline",
    "meeting",
    "decision",
    "vote",
    "hearing",
    "launch",
    "other",
)


@dataclass(frozen=True)
class DateWindow:
    """An inclusive range of calendar dates in the article's own time zone."""

    earliest: date
    latest: date

    def __post_init__(self) -> None:
        if self.latest < self.earliest:
            raise ValueError(f"window ends before it starts: {self.earliest}..{self.latest}")

    def union(self, other: DateWindow) -> DateWindow:
        return DateWindow(min(self.earliest, other.earliest), max(self.latest, other.latest))

    def contains(self, other: DateWindow) -> bool:
        return self.earliest <= other.earliest and other.latest <= self.latest

    @property
    def days(self) -> int:
        return (self.latest - self.earliest).days + 1


@dataclass(frozen=True)
class Event:
    """One forward-looking mention found in an article.

    `start`/`end` are character offsets of the trigger (the time phrase) in the text given to
    the extractor. `refines` is the index, in the same extraction result, of the earlier event
    this mention narrows; the narrower window wins for scheduling.
    """

    kind: EventKind
    start: int
    end: int
    trigger: str
    window: DateWindow
    conditional: bool
    what: str
    sentence: str
    confidence: float
    clock_time: time | None = None
    clock_zone: str | None = None
    people: tuple[str, ...] = field(default=())
    organisations: tuple[str, ...] = field(default=())
    places: tuple[str, ...] = field(default=())
    refines: int | None = None

    @property
    def earliest(self) -> date:
        return self.window.earliest

    @property
    def latest(self) -> date:
        return self.window.latest

    def to_json(self) -> dict[str, object]:
        """The stable JSON shape the CLI prints and other tools read."""
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "trigger": self.trigger,
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "time": self.clock_time.strftime("%H:%M") if self.clock_time else None,
            "zone": self.clock_zone,
            "conditional": self.conditional,
            "what": self.what,
            "sentence": self.sentence,
            "people": list(self.people),
            "organisations": list(self.organisations),
            "places": list(self.places),
            "confidence": round(self.confidence, 2),
            "refines": self.refines,
        }
