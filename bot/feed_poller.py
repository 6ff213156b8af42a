"""Polling the feeds channels follow: the worker's scheduled job.

Every worker polls; a subscription due now is claimed in Redis (a lease), so each poll happens
once however many workers run. A poll asks with the feed's validators (ETag, Last-Modified),
queues a job per new or updated item on the job stream (workers share them), and sets the
next poll: the feed's interval, or a doubling backoff after failures. When a feed keeps failing
the channel is told once, and told again when it recovers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import structlog

from bot.blocks import SlackMessage, section
from bot.errors import BadInput
from bot.feeds import (
    FAILURES_BEFORE_NOTICE,
    FeedFilter,
    FeedItem,
    PollState,
    next_poll_delay,
    parse_feed,
)
from bot.fetcher import Fetcher
from bot.ingest_store import IngestStore, Subscription
from bot.jobs import ingest_url_job
from bot.store import RedisStore

log = structlog.get_logger(__name__)

Notify = Callable[[str, str, SlackMessage, str], str]  # channel, thread, message, job id


@dataclass
class PollReport:
    polled: int = 0
    not_modified: int = 0
    failed: int = 0
    queued: int = 0
    notices: list[str] = field(default_factory=list)


class FeedPoller:
    """Polls due subscriptions of every workspace and queues their new items."""

    def __init__(
        self,
        store: RedisStore,
        fetcher: Fetcher,
        notify: Notify,
        *,
        lease: timedelta = timedelta(minutes=5),
        first_poll_items: int = 10,
        first_poll_age: timedelta = timedelta(days=2),
    ) -> None:
        self.store = store
        self.ingest = IngestStore(store)
        self.fetcher = fetcher
        self.notify = notify
        self.lease = lease
        # A new subscription brings in its few latest items, not the feed's whole archive.
        self.first_poll_items = first_poll_items
        self.first_poll_age = first_poll_age

    def poll_due(self, now: datetime, stop: threading.Event | None = None) -> PollReport:
        report = PollReport()
        for team in self.store.teams():
            for channel, feed in self.ingest.claim_feeds(team, now, self.lease):
                if stop is not None and stop.is_set():
                    self.ingest.next_poll(team, channel, feed, now)
                    continue
                self.poll(team, channel, feed, now, report)
        return report

    def poll(self, team: str, channel: str, feed: str, now: datetime, report: PollReport) -> None:
        subscription = self.ingest.subscription(team, channel, feed)
        if subscription is None:
            return
        state = self.ingest.poll_state(team, channel, feed)
        bound = log.bind(team=team, channel=channel, feed=feed)
        report.polled += 1
        try:
            fetched = self.fetcher.fetch(
                subscription.url, accept="feed", etag=state.etag,
                last_modified=state.last_modified,
            )  # fmt: skip
            items = [] if fetched.not_modified else parse_feed(fetched.body, fetched.url).items
        except BadInput as error:  # refused, unreachable, failing or not a feed
            report.failed += 1
            self._failed(team, subscription, state, str(error), now=now, report=report)
            bound.warning("feed_poll_failed", error=str(error), failures=state.failures + 1)
            return
        if fetched.not_modified:
            report.not_modified += 1
        queued = self._queue(team, subscription, items, now)
        report.queued += queued
        recovered = state.failures >= FAILURES_BEFORE_NOTICE and state.noticed
        self.ingest.set_poll_state(
            team, channel, feed,
            PollState(etag=fetched.etag or state.etag,
                      last_modified=fetched.last_modified or state.last_modified),
        )  # fmt: skip
        self.ingest.next_poll(team, channel, feed, now + subscription.interval)
        if recovered:
            text = f":white_check_mark: The feed *{subscription.title}* works again."
            self._notice(subscription, text, f"feed-ok:{feed}:{int(now.timestamp())}", report)
        bound.info("feed_polled", items=len(items), queued=queued,
                   not_modified=fetched.not_modified)  # fmt: skip

    def _queue(self, team: str, subscription: Subscription, items: list[FeedItem],
               now: datetime) -> int:  # fmt: skip
        channel, feed = subscription.channel, subscription.id
        first = self.ingest.seen_count(team, channel, feed) == 0
        marks = [f"{item.key}:{item.version}" for item in items]
        unseen = set(self.ingest.unseen_items(team, channel, feed, marks, now))
        fresh = [item for item, mark in zip(items, marks, strict=True) if mark in unseen]
        if first:
            recent = [
                i for i in fresh if i.published is None or i.published >= now - self.first_poll_age
            ]
            fresh = sorted(recent, key=lambda i: i.published or now, reverse=True)
            fresh = fresh[: self.first_poll_items]
        queued = 0
        for item in fresh:
            # Words to leave out are checked on the headline before fetching anything.
            if not FeedFilter(exclude=subscription.filter.exclude).accepts(
                f"{item.title} {item.summary}"
            ):
                continue
            self.store.enqueue_job(
                ingest_url_job(
                    team, channel, item.link, announce="if_events", feed=feed,
                    mark=f"{item.key}:{item.version}", published=item.published,
                )
            )  # fmt: skip
            queued += 1
        return queued

    def _failed(
        self,
        team: str,
        subscription: Subscription,
        state: PollState,
        error: str,
        *,
        now: datetime,
        report: PollReport,
    ) -> None:
        failures = state.failures + 1
        since = state.failing_since or now
        tell = failures >= FAILURES_BEFORE_NOTICE and not state.noticed
        delay = next_poll_delay(subscription.interval, failures)
        self.ingest.set_poll_state(
            team, subscription.channel, subscription.id,
            replace(state, failures=failures, failing_since=since, last_error=error,
                    noticed=state.noticed or tell),
        )  # fmt: skip
        self.ingest.next_poll(team, subscription.channel, subscription.id, now + delay)
        if tell:
            minutes = max(1, int(delay.total_seconds() // 60))
            text = (
                f":warning: The feed *{subscription.title}* ({subscription.url}) has failed "
                f"{failures} times in a row since {since:%d %b %H:%M} UTC. Last error: {error} "
                f"I'll keep trying, next in {minutes} min; `/news feeds remove "
                f"{subscription.url}` stops it."
            )
            self._notice(
                subscription, text, f"feed-fail:{subscription.id}:{since.timestamp():.0f}", report
            )

    def _notice(self, subscription: Subscription, text: str, job_id: str,
                report: PollReport) -> None:  # fmt: skip
        try:
            self.notify(
                subscription.channel, "", SlackMessage(text=text, blocks=[section(text)]), job_id
            )
            report.notices.append(text)
        except Exception:
            log.exception("feed_notice_failed", channel=subscription.channel)
