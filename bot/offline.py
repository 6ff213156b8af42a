"""The offline main job: read the seed articles, show what the bot found and what it would post."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.alerts import AlertPolicy, QuietHours
from bot.blocks import SlackMessage
from bot.dispatch import Dispatcher, DispatchSettings, NoPacer, PostResult, SimulatedClock
from bot.extraction import extract
from bot.model import Event
from bot.reminders import Reminder
from bot.store import RedisStore
from bot.tracking import ArticleInput, TrackResult, track_article

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


class PrintingPoster:
    """Stands in for Slack offline: prints each alert at its (simulated) time."""

    def __init__(self, out: TextIO, clock: SimulatedClock, zone: ZoneInfo) -> None:
        self._out = out
        self._clock = clock
        self._zone = zone
        self.count = 0

    def post(self, channel: str, thread_ts: str, message: SlackMessage) -> PostResult:
        self.count += 1
        when = self._clock.now().astimezone(self._zone).strftime("%a %d %b %Y %H:%M %Z")
        rid = str(message.metadata.get("event_payload", {}).get("reminder_id", ""))
        label = ALERT_LABELS.get(_KIND_BY_CODE.get(rid.rsplit(".", 1)[-1], ""), "alert")
        print(f"    {when}  [{label}] {message.text}", file=self._out)
        return PostResult(ok=True, ts=f"{self._clock.now().timestamp():.6f}")

    def find_posted(
        self, channel: str, thread_ts: str, reminder: Reminder, since: datetime
    ) -> str | None:
        return None


_KIND_BY_CODE = {"h": "heads_up", "b": "before_time", "f": "follow_up"}
OFFLINE_TEAM = "T0OFFLINE"
OFFLINE_CHANNEL = "C0OFFLINE"


def _print_events(
    article: SeedArticle, result: TrackResult, events: list[Event], out: TextIO
) -> None:
    print(f"\n== {article.name} ({article.source}, published "
          f"{article.published:%a %d %b %Y %H:%M %z})", file=out)  # fmt: skip
    print(f"   {len(events)} forward-looking mention(s), {len(result.events)} tracked event(s):",
          file=out)  # fmt: skip
    for index, event in enumerate(events):
        flags = " conditional" if event.conditional else ""
        refines = f" (narrows #{event.refines + 1})" if event.refines is not None else ""
        clock = f" at {event.clock_time:%H:%M} {event.clock_zone or ''}" if event.clock_time else ""
        print(f"   #{index + 1} {event.kind:<8} {event.earliest}..{event.latest}{clock}"
              f"  “{event.trigger}”{flags}{refines}", file=out)  # fmt: skip
        print(f"      {event.what}", file=out)


def run_offline(
    seeds_dir: Path, out: TextIO, store: RedisStore, quiet: QuietHours, horizon_days: int = 35
) -> int:
    """Store each seed through the real path, then run the dispatcher on a simulated clock
    from its publication to `horizon_days` later, printing every alert as it fires."""
    total = 0
    store.forget_team(OFFLINE_TEAM)
    for article in load_seeds(seeds_dir):
        zone = ZoneInfo(article.zone)
        store.set_channel_policy(OFFLINE_TEAM, OFFLINE_CHANNEL, AlertPolicy(article.zone, quiet))
        clock = SimulatedClock(article.published.astimezone(UTC))
        events = extract(article.text, article.published, article.zone)
        result = track_article(
            store,
            ArticleInput(
                team=OFFLINE_TEAM, channel=OFFLINE_CHANNEL, thread_ts="offline.000001",
                title=article.name, text=article.text, published=article.published,
                zone=article.zone,
            ),
            clock.now(),
        )  # fmt: skip
        _print_events(article, result, events, out)
        print(f"   {len(result.reminders)} reminder(s) stored in Redis. Alerts as the worker "
              f"posts them (channel time zone {article.zone}):", file=out)  # fmt: skip
        poster = PrintingPoster(out, clock, zone)
        dispatcher = Dispatcher(
            store, poster, clock, "offline", pacer=NoPacer(), default_zone=article.zone,
            settings=DispatchSettings(threads=1),
        )  # fmt: skip
        end = clock.now() + timedelta(days=horizon_days)
        while (upcoming := store.next_due(OFFLINE_TEAM)) is not None and upcoming <= end:
            clock.current = max(clock.current, upcoming)
            dispatcher.run_once()
        total += poster.count
    store.forget_team(OFFLINE_TEAM)
    return total
