"""The offline main job: read the seed articles, show what the bot found and what it would post."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.alerts import AlertPolicy, PlannedAlert, QuietHours, plan_alerts
from bot.extraction import extract
from bot.model import DateWindow, Event

ALERT_LABELS = {
    "heads_up": "heads-up",
    "before_time": "one hour before",
    "follow_up": "follow-up",
}


@dataclass(frozen=True)
class SeedArticle:
    name: str
    text: str
    published: datetime
    zone: str
    source: str


def load_seeds(folder: Path) -> Iterator[SeedArticle]:
    """Each `NAME.txt` in `folder` with its `NAME.json` metadata (published, source)."""
    for text_path in sorted(folder.glob("*.txt")):
        meta_path = text_path.with_suffix(".json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        published = datetime.fromisoformat(meta.get("published", "1970-01-01T00:00:00+00:00"))
        zone = meta.get("tz") or _zone_for_offset(published)
        yield SeedArticle(
            name=text_path.stem,
            text=text_path.read_text(encoding="utf-8"),
            published=published,
            zone=zone,
            source=meta.get("source", ""),
        )


def _zone_for_offset(moment: datetime) -> str:
    """An IANA zone with the same UTC offset at that moment, for metadata that gives only one."""
    offset = moment.utcoffset()
    for name in ("Europe/Paris", "Europe/London", "America/New_York", "Asia/Tokyo", "UTC"):
        if moment.astimezone(ZoneInfo(name)).utcoffset() == offset:
            return name
    return "UTC"


def scheduling_windows(events: list[Event]) -> dict[int, DateWindow]:
    """One window per tracked event (by the index of its first mention): the narrowest wins."""
    windows: dict[int, DateWindow] = {}
    for index, event in enumerate(events):
        root = event.refines if event.refines is not None else index
        current = windows.get(root)
        if current is None or event.window.days < current.days:
            windows[root] = event.window
    return windows


def _alert_line(event: Event, window: DateWindow, alert: PlannedAlert, zone: ZoneInfo) -> str:
    when = alert.due.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")
    span = (
        window.earliest.strftime("%d %b")
        if window.days == 1
        else f"{window.earliest:%d %b}–{window.latest:%d %b}"
    )
    if alert.kind == "heads_up":
        text = f"Window opens: {event.what} (expected {span})"
    elif alert.kind == "before_time":
        text = f"Starts in one hour: {event.what}"
    else:
        text = f"The window for “{event.what}” ({span}) has closed: did it happen?"
    return f"    {when}  [{ALERT_LABELS[alert.kind]}] {text}"


def run_offline(seeds_dir: Path, out: TextIO, quiet: QuietHours) -> int:
    """Print every seed article's events and the alerts the bot would post. Returns a count."""
    total = 0
    for article in load_seeds(seeds_dir):
        events = extract(article.text, article.published, article.zone)
        zone = ZoneInfo(article.zone)
        print(f"\n== {article.name} ({article.source}, published {article.published:%a %d %b %Y %H:%M %z})",
              file=out)  # fmt: skip
        print(f"   {len(events)} forward-looking mention(s):", file=out)
        for index, event in enumerate(events):
            flags = " conditional" if event.conditional else ""
            refines = f" (narrows #{event.refines + 1})" if event.refines is not None else ""
            clock = (
                f" at {event.clock_time:%H:%M} {event.clock_zone or ''}" if event.clock_time else ""
            )
            print(f"   #{index + 1} {event.kind:<8} {event.earliest}..{event.latest}{clock}"
                  f"  “{event.trigger}”{flags}{refines}", file=out)  # fmt: skip
            print(f"      {event.what}", file=out)
        policy = AlertPolicy(zone=article.zone, quiet=quiet)
        print("   Alerts the bot would post (channel time zone "
              f"{article.zone}), stored at publication:", file=out)  # fmt: skip
        planned: list[tuple[PlannedAlert, Event, DateWindow]] = []
        for root, window in scheduling_windows(events).items():
            event = events[root]
            stored_at = article.published.astimezone(UTC)
            for alert in plan_alerts(event, window, policy, stored_at, article.zone):
                planned.append((alert, event, window))
        for alert, event, window in sorted(planned, key=lambda item: item[0].due):
            print(_alert_line(event, window, alert, zone), file=out)
        total += len(events)
    return total
