"""Ingestion: a link (pasted, shared in a channel, or a feed's item) becomes a tracked article.

The path is the same from every entry point: fetch safely, read the page (title, text,
publication date), drop what the channel already has (the same link, or a syndicated copy of the
same story), extract the events, recognise events another outlet's report announced already
(they become one event with both sources and the narrowest window), announce the article in the
channel and store everything.

A run is at-least-once (a crashed worker's job is rerun): posts are found again by the job id in
their metadata, and storing is idempotent, so a rerun neither posts nor stores twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal, Protocol
from urllib.parse import urlsplit

import structlog

from bot.alerts import AlertPolicy
from bot.blocks import SlackMessage, article_message
from bot.dedup import EventSignature, Sketch, canonical_url, narrowest, sketch, url_key
from bot.extraction import extract
from bot.feeds import FeedFilter
from bot.fetcher import Fetcher
from bot.ingest_store import IngestStore, Source
from bot.model import Event
from bot.pages import Page, read_page
from bot.reminders import (
    ArticleRecord,
    TrackedEvent,
    article_id,
    as_source,
    schedule,
    track,
)
from bot.store import RedisStore
from bot.summary import summarize

log = structlog.get_logger(__name__)

Status = Literal["tracked", "updated", "known", "syndicated", "filtered"]
# `bot.extraction.extract` or a wrapper of it (the worker times it for its metrics).
Extract = Callable[[str, date | datetime, str | None], list[Event]]


class Announcer(Protocol):
    """Where ingestion posts: Slack in the processes, a list in benchmarks and the CLI."""

    def post(self, channel: str, thread_ts: str, message: SlackMessage, job_id: str) -> str:
        """Post (in a thread when `thread_ts`), once per job id; returns the message ts."""
        ...


@dataclass(frozen=True)
class LinkRequest:
    """A link to read into a channel, and who or what asked for it."""

    team: str
    channel: str
    url: str
    job_id: str
    user: str = ""  # empty for feed items and links read automatically
    feed_published: datetime | None = None
    filter: FeedFilter | None = None
    # A person asking gets a post whatever the article holds; a feed item only when it
    # announces something new, so a busy feed does not flood the channel.
    announce: Literal["always", "if_events"] = "always"
    # A link shared in a message is answered in that message's thread, which then anchors
    # the alerts; otherwise the article gets its own post in the channel.
    reply_to: str = ""


@dataclass(frozen=True)
class IngestOutcome:
    status: Status
    article: ArticleRecord | None
    events: list[TrackedEvent]  # tracked from this article
    merged: list[TrackedEvent]  # events of earlier reports this article announced too
    page: Page | None
    message: str  # one line for the person who asked


class Ingestor:
    """Reads links into channels: fetch, read, deduplicate, extract, merge, announce, store."""

    def __init__(
        self,
        store: RedisStore,
        fetcher: Fetcher,
        announcer: Announcer,
        default_zone: str = "UTC",
        *,
        extract_events: Extract = extract,
    ) -> None:
        self.store = store
        self.ingest_store = IngestStore(store)
        self.fetcher = fetcher
        self.announcer = announcer
        self.default_zone = default_zone
        self.extract_events = extract_events

    def ingest_url(self, request: LinkRequest, now: datetime) -> IngestOutcome:
        """Read one link into its channel. Raises `BadInput` (refused link, unreadable page)."""
        team, channel = request.team, request.channel
        known = self.ingest_store.article_for_url(team, channel, url_key(request.url))
        if known is not None and request.feed_published is None:
            return self._known(team, known)
        fetched = self.fetcher.fetch(request.url, accept="html")
        page = read_page(
            fetched.body, fetched.url, now, feed_published=request.feed_published,
            charset=fetched.charset,
        )  # fmt: skip
        if request.filter is not None and not request.filter.accepts(f"{page.title}\n{page.text}"):
            return IngestOutcome("filtered", None, [], [], page, "Left out by the feed's filter.")
        keys = [url_key(request.url), url_key(fetched.url)]
        if page.canonical_url and _same_site(page.canonical_url, fetched.url):
            keys.append(url_key(page.canonical_url))
        return self.ingest_page(request, page, list(dict.fromkeys(keys)), fetched.url, now)

    def ingest_page(
        self, request: LinkRequest, page: Page, url_keys: list[str], url: str, now: datetime
    ) -> IngestOutcome:
        """Store a page that was read: the part of the path after the network."""
        team, channel = request.team, request.channel
        with self.ingest_store.channel_lock(team, channel):
            known = self.ingest_store.article_for_any_url(team, channel, url_keys)
            if known is not None and request.feed_published is None:
                return self._known(team, known)
            shown_url = canonical_url(url)
            key = article_id(channel, page.text, url_keys[0])
            existing = self.store.article(team, key)
            value = sketch(page.text)
            site = page.site_name or urlsplit(shown_url).netloc.removeprefix("www.")
            if existing is None:
                twin = self.ingest_store.same_story(team, channel, value)
                if twin is not None:
                    return self._syndicated(
                        request, twin, url_keys, Source(shown_url, site, page.title)
                    )
            return self._track(
                request, page, key=key, existing=existing, url_keys=url_keys, url=shown_url,
                site=site, value=value, now=now,
            )  # fmt: skip

    # ---------------------------------------------------------------- the paths

    def _known(self, team: str, article: str) -> IngestOutcome:
        record = self.store.article(team, article)
        title = record.title if record else "that article"
        events = self.store.events_of(team, article)
        return IngestOutcome(
            "known", record, events, [], None,
            f"I'm already tracking “{title}” in this channel ({len(events)} item(s)).",
        )  # fmt: skip

    def _syndicated(
        self, request: LinkRequest, twin: str, url_keys: list[str], source: Source
    ) -> IngestOutcome:
        team, channel = request.team, request.channel
        self.ingest_store.add_source(team, twin, url_keys[0], source)
        self.ingest_store.remember_urls(team, channel, url_keys, twin)
        record = self.store.article(team, twin)
        title = record.title if record else "an article"
        log.info("article_syndicated", team=team, channel=channel, article=twin, url=source.url)
        return IngestOutcome(
            "syndicated", record, self.store.events_of(team, twin), [], None,
            f"That is the same story as “{title}”, already tracked here; I added {source.site} "
            "to its sources.",
        )  # fmt: skip

    def _track(
        self,
        request: LinkRequest,
        page: Page,
        *,
        key: str,
        existing: ArticleRecord | None,
        url_keys: list[str],
        url: str,
        site: str,
        value: Sketch,
        now: datetime,
    ) -> IngestOutcome:
        team, channel = request.team, request.channel
        policy = self.store.channel_policy(team, channel, self.default_zone)
        # The page reader already turned a non-zero offset into a zone; a `Z` timestamp is
        # read in UTC, anything else without an offset in the channel's zone.
        utc = page.published.utcoffset() == timedelta(0)
        zone = page.zone or ("UTC" if utc else policy.zone)
        events = self.extract_events(page.text, page.published, zone)
        known_ids = {e.id for e in self.store.events_of(team, key)} if existing else set()
        fresh: list[tuple[TrackedEvent, Event]] = []
        merged: list[tuple[TrackedEvent, TrackedEvent]] = []
        pairs = track(events, key)
        unknown = [t for t, _ in pairs if t.id not in known_ids]
        others = self.ingest_store.same_events(
            team, channel, [EventSignature(t.kind, t.window, t.terms) for t in unknown], key
        )
        other_of = {t.id: other for t, other in zip(unknown, others, strict=True)}
        for tracked, source in pairs:
            other = other_of.get(tracked.id)
            if other is not None:
                merged.append((tracked, other))
            else:
                fresh.append((tracked, source))
        new_events = [t for t, _ in fresh if t.id not in known_ids]
        bullets = summarize(page.text)
        thread_ts = existing.thread_ts if existing else ""
        announce = request.announce == "always" or bool(new_events)
        if not thread_ts and announce:
            message = article_message(
                page.title, bullets, [t for t, _ in fresh], page.date_note or "",
                url=url, site=site, already_tracked=[other for _, other in merged],
            )  # fmt: skip
            posted = self.announcer.post(channel, request.reply_to, message, request.job_id)
            thread_ts = request.reply_to or posted
        elif thread_ts and new_events and existing is not None:
            update = article_message(f"Update: {page.title}", [], new_events, url=url, site=site)
            self.announcer.post(channel, thread_ts, update, request.job_id)
        planned_from = existing.stored_at if existing else now
        record = ArticleRecord(
            id=key, channel=channel, thread_ts=thread_ts, title=page.title, url=url,
            published=page.published, zone=zone, stored_at=planned_from,
            lead=next(iter(bullets), ""),
        )  # fmt: skip
        if existing is not None and not existing.thread_ts and thread_ts:
            self.store.set_article_thread(team, key, thread_ts)
        plans = [
            (tracked, schedule(tracked, source, record, policy, planned_from))
            for tracked, source in fresh
        ]
        self.store.save_article(team, record, plans)
        joined = [self._merge(team, other, tracked, key, policy) for tracked, other in merged]
        self.ingest_store.remember_article(
            team, channel, key, url_keys=url_keys, value=value, source=Source(url, site, page.title)
        )
        status: Status = "updated" if existing else "tracked"
        log.info("article_ingested", team=team, channel=channel, article=key, status=status,
                 events=len(fresh), merged=len(merged), date_source=page.date_source)  # fmt: skip
        told = f"Tracking “{page.title}”: {len(fresh)} new item(s)"
        if merged:
            told += f", {len(merged)} already tracked from another report"
        return IngestOutcome(status, record, [t for t, _ in fresh], joined, page, told + ".")

    def _merge(
        self,
        team: str,
        event: TrackedEvent,
        report: TrackedEvent,
        article: str,
        policy: AlertPolicy,
    ) -> TrackedEvent:
        """Another outlet's report of `event`: one event, both sources, the narrowest window."""
        current = self.store.event(team, event.id) or event
        sources = current.sources if article in current.sources else (*current.sources, article)
        joined = replace(current, window=narrowest(current.window, report.window), sources=sources)
        anchor = self.store.article(team, joined.article)
        if anchor is None:
            return joined
        reminders = schedule(joined, as_source(joined), anchor, policy, anchor.stored_at)
        self.store.save_article(team, anchor, [(joined, reminders)])
        log.info("event_merged", team=team, event_id=joined.id, article=article,
                 window=f"{joined.window.earliest}..{joined.window.latest}")  # fmt: skip
        return joined


def _same_site(a: str, b: str) -> bool:
    host_a = urlsplit(a).netloc.lower().removeprefix("www.")
    host_b = urlsplit(b).netloc.lower().removeprefix("www.")
    return host_a == host_b
