"""Feeds a channel follows: parsing RSS, Atom and JSON Feed, word filters, and when to poll
again. Pure: the fetcher brings the bytes, the worker stores the state.

feedparser reads RSS and Atom (and the broken variants of both found in the wild); JSON Feed is
plain JSON with a documented shape, read here. An item's identity is its guid (or link), and its
version is a hash of what a reader would see change (title, link, dates, summary), so an item
that reappears unchanged is skipped and one that was updated is read again.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from bot.dedup import url_key
from bot.errors import BadInput

DEFAULT_INTERVAL = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)
FAILURES_BEFORE_NOTICE = 5
MAX_ITEMS = 500


@dataclass(frozen=True)
class FeedItem:
    key: str  # stable identity: a hash of the guid, or of the link
    version: str  # changes when the item is updated
    title: str
    link: str
    published: datetime | None
    summary: str = ""


@dataclass(frozen=True)
class Feed:
    title: str
    items: list[FeedItem]


@dataclass(frozen=True)
class FeedFilter:
    """`--only` words (any must appear) and `--not` words (none may), whole words, any case."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def accepts(self, text: str) -> bool:
        words = set(re.findall(r"[\w'-]+", text.lower()))
        phrase = " ".join(text.lower().split())

        def found(term: str) -> bool:
            return term in words if " " not in term else term in phrase

        if self.only and not any(found(t) for t in self.only):
            return False
        return not any(found(t) for t in self.exclude)

    def describe(self) -> str:
        parts = []
        if self.only:
            parts.append("only " + ", ".join(f"“{t}”" for t in self.only))
        if self.exclude:
            parts.append("not " + ", ".join(f"“{t}”" for t in self.exclude))
        return "; ".join(parts)


def feed_id(url: str) -> str:
    return hashlib.sha256(url_key(url).encode()).hexdigest()[:12]


def parse_feed(body: bytes, url: str) -> Feed:
    """The items of an RSS, Atom or JSON feed, newest first as the feed lists them."""
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        return _json_feed(stripped, url)
    with warnings.catch_warnings():
        # feedparser warns about its own deprecated aliases while parsing.
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed: Any = feedparser.parse(body, response_headers={"content-location": url})
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not entries and not version:
        raise BadInput("That address is not an RSS, Atom or JSON feed")
    items = [_rss_item(entry) for entry in entries[:MAX_ITEMS]]
    title = str((parsed.get("feed") or {}).get("title") or url)
    return Feed(title=title, items=[i for i in items if i.link])


def _version(*parts: object) -> str:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()[:12]


def _rss_item(entry: Any) -> FeedItem:
    # dict.get: feedparser's own .get maps a missing "updated" to "published", with a warning.
    def field(name: str) -> Any:
        return dict.get(entry, name)

    link = str(field("link") or "")
    guid = str(field("id") or link)
    published = _struct_time(field("published_parsed") or field("updated_parsed"))
    summary = _plain(str(field("summary") or ""))
    title = _plain(str(field("title") or ""))
    return FeedItem(
        key=_version(guid),
        version=_version(title, link, field("published") or "", field("updated") or "", summary),
        title=title,
        link=link,
        published=published,
        summary=summary,
    )


def _struct_time(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


def _json_feed(body: bytes, url: str) -> Feed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadInput(f"That feed is not valid JSON ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise BadInput("That JSON is not a JSON Feed (it has no list of items)")
    items: list[FeedItem] = []
    for raw in data["items"][:MAX_ITEMS]:
        if not isinstance(raw, dict):
            continue
        link = str(raw.get("url") or raw.get("external_url") or "")
        if not link:
            continue
        guid = str(raw.get("id") or link)
        summary = _plain(str(raw.get("summary") or raw.get("content_text") or ""))
        items.append(
            FeedItem(
                key=_version(guid),
                version=_version(
                    raw.get("title"),
                    link,
                    raw.get("date_published"),
                    raw.get("date_modified"),
                    summary,
                ),
                title=_plain(str(raw.get("title") or "")),
                link=link,
                published=_iso(raw.get("date_published") or raw.get("date_modified")),
                summary=summary,
            )
        )
    return Feed(title=str(data.get("title") or url), items=items)


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@dataclass(frozen=True)
class PollState:
    """What the poller remembers of one subscription between polls."""

    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    failing_since: datetime | None = None
    last_error: str = ""
    noticed: bool = False  # the channel was told that this feed keeps failing

    def to_json(self) -> dict[str, Any]:
        return {
            "et": self.etag or "",
            "lm": self.last_modified or "",
            "f": self.failures,
            "fs": self.failing_since.isoformat() if self.failing_since else "",
            "er": self.last_error,
            "n": int(self.noticed),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PollState:
        since = data.get("fs") or ""
        return cls(
            etag=data.get("et") or None,
            last_modified=data.get("lm") or None,
            failures=int(data.get("f", 0)),
            failing_since=datetime.fromisoformat(since) if since else None,
            last_error=str(data.get("er", "")),
            noticed=bool(data.get("n", 0)),
        )


def next_poll_delay(interval: timedelta, failures: int) -> timedelta:
    """The normal interval; after failures, doubling per failure up to six hours."""
    if failures <= 0:
        return interval
    backoff: timedelta = interval * (2 ** min(failures, 16))
    return min(backoff, max(MAX_BACKOFF, interval))
