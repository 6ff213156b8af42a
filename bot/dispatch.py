"""Due-reminder dispatch: claim, post once, record. Runs in every worker, side by side.

Exactly once rests on three things: the claim is atomic in Redis (two workers never hold the
same reminder); a post carries the reminder id in its Slack message metadata; and whoever
holds a reminder that was ever handed out before (a lease that ran out, a retry after a timeout
or a server error) first looks for that metadata in the thread and records the post it finds
instead of posting again.
"""

from __future__ import annotations

import threading
import time as systime
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from bot.blocks import SlackMessage, alert_message
from bot.metrics import Metrics
from bot.reminders import ArticleRecord, Reminder, TrackedEvent
from bot.store import Claimed, RedisStore

log = structlog.get_logger(__name__)

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
        "token_revoked", "no_permission", "missing_scope", "restricted_action", "msg_too_long",
        "invalid_blocks", "thread_not_found", "invalid_thread_ts", "team_access_not_granted",
    }
)  # fmt: skip


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class SimulatedClock:
    """A clock the caller moves by hand: the offline run and tests use it."""

    current: datetime

    def now(self) -> datetime:
        return self.current


@dataclass(frozen=True)
class PostResult:
    ok: bool
    ts: str = ""
    error: str = ""
    transient: bool = False
    retry_after: int | None = None  # seconds, when Slack answered 429


class Poster(Protocol):
    def post(self, channel: str, thread_ts: str, message: SlackMessage) -> PostResult: ...

    def find_posted(
        self, channel: str, thread_ts: str, reminder: Reminder, since: datetime
    ) -> str | None: ...


class Pacer(Protocol):
    def wait_turn(self, team: str, channel: str) -> None: ...

    def posted(self, team: str, channel: str) -> None: ...


class RedisPacer:
    """About one post a second per channel, shared by every worker through Redis."""

    def __init__(self, store: RedisStore, spacing_ms: int = 1000) -> None:
        self._store = store
        self._spacing_ms = spacing_ms

    def wait_turn(self, team: str, channel: str) -> None:
        while True:
            wait_ms = self._store.take_channel_slot(team, channel, self._spacing_ms)
            if wait_ms == 0:
                return
            systime.sleep(wait_ms / 1000)

    def posted(self, team: str, channel: str) -> None:
        # Counting the gap from when Slack answered, not from when we asked, keeps two posts
        # at least the spacing apart however long the first one took.
        self._store.hold_channel_slot(team, channel, self._spacing_ms)


class NoPacer:
    def wait_turn(self, team: str, channel: str) -> None:
        return None

    def posted(self, team: str, channel: str) -> None:
        return None


@dataclass(frozen=True)
class DispatchSettings:
    lease: timedelta = timedelta(seconds=60)
    batch: int = 200
    late_after: timedelta = timedelta(minutes=10)
    stale_after: timedelta = timedelta(days=7)
    max_attempts: int = 8
    retry_base: timedelta = timedelta(seconds=5)
    threads: int = 64
    per_channel: int = 1


@dataclass
class DispatchReport:
    posted: int = 0
    recovered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    lost_lease: int = 0
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: str, reminder_id: str) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)
            self.outcomes.append((outcome, reminder_id))

    @property
    def handled(self) -> int:
        return len(self.outcomes)


OnPosted = Callable[[Claimed, SlackMessage, str], None]


class Dispatcher:
    """Claims due reminders of every workspace and delivers them."""

    def __init__(
        self,
        store: RedisStore,
        poster: Poster,
        clock: Clock,
        owner: str,
        *,
        settings: DispatchSettings | None = None,
        pacer: Pacer | None = None,
        default_zone: str = "UTC",
        after_post: OnPosted | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._poster = poster
        self._clock = clock
        self._owner = owner
        self._settings = settings or DispatchSettings()
        self._pacer = pacer or RedisPacer(store)
        self._default_zone = default_zone
        self._after_post = after_post
        self._metrics = metrics

    def run_once(self, stop: threading.Event | None = None) -> DispatchReport:
        """Deliver everything due now, one batch per workspace per round (so one workspace's
        backlog does not hold up the others), until nothing is due or `stop` is set."""
        report = DispatchReport()
        while stop is None or not stop.is_set():
            delivered = False
            for team in self._store.teams():
                now = self._clock.now()
                claims = self._store.claim_due(
                    team,
                    now,
                    self._settings.batch,
                    now + self._settings.lease,
                    self._owner,
                    per_channel=self._settings.per_channel,
                )
                if claims:
                    delivered = True
                    self._deliver_batch(claims, report)
                if stop is not None and stop.is_set():
                    break
            if not delivered:
                break
        return report

    def _deliver_batch(self, claims: list[Claimed], report: DispatchReport) -> None:
        by_channel: dict[str, list[Claimed]] = defaultdict(list)
        for claim in sorted(claims, key=lambda c: c.reminder.due):
            by_channel[claim.reminder.channel].append(claim)
        if self._settings.threads <= 1 or len(by_channel) == 1:
            for group in by_channel.values():
                self._deliver_channel(group, report)
            return
        with ThreadPoolExecutor(max_workers=min(self._settings.threads, len(by_channel))) as pool:
            for future in [
                pool.submit(self._deliver_channel, group, report) for group in by_channel.values()
            ]:
                future.result()

    def _deliver_channel(self, claims: list[Claimed], report: DispatchReport) -> None:
        for claim in claims:
            try:
                outcome = self._deliver(claim)
                report.add(outcome, claim.reminder.id)
                self._observe(outcome, claim.reminder)
            except Exception:
                # One reminder's failure must not stop the others. It is retried later (looked
                # up by metadata first), and given up after max_attempts.
                log.exception("reminder_delivery_crashed", reminder=claim.reminder.id)
                self._give_up_or_retry(claim, "crashed while delivering", report)

    def _other_reports(self, team: str, event: TrackedEvent) -> list[ArticleRecord]:
        found = [self._store.article(team, other) for other in event.sources]
        return [article for article in found if article is not None]

    def _give_up_or_retry(self, claim: Claimed, why: str, report: DispatchReport) -> None:
        reminder = claim.reminder
        try:
            if reminder.attempts >= self._settings.max_attempts:
                self._store.finish(claim, "failed", {"w": f"{why} ({reminder.attempts} attempts)"})
                report.add("failed", reminder.id)
                self._observe("failed", reminder)
                return
            retry_at = self._clock.now() + self._settings.retry_base * (
                2 ** (reminder.attempts - 1)
            )
            patch = {"w": f"retrying: {why}", "d": int(retry_at.timestamp())}
            self._store.finish(claim, "scheduled", patch, requeue_at=retry_at)
            report.add("retried", reminder.id)
            self._observe("retried", reminder)
        except Exception:
            log.exception("reminder_requeue_failed", reminder=reminder.id)

    def _observe(self, outcome: str, reminder: Reminder) -> None:
        if self._metrics is None:
            return
        if outcome == "posted":
            # Lateness counts from the time this scheduling planned (the generation), not from
            # a retry's requeue time, so a post delayed by retries shows as late as it was.
            planned = (
                datetime.fromtimestamp(reminder.generation, UTC)
                if reminder.generation
                else reminder.due
            )
            self._metrics.reminder_posted(reminder.kind, planned, self._clock.now())
        else:
            self._metrics.reminder_finished(outcome)

    def _deliver(self, claim: Claimed) -> str:
        reminder = claim.reminder
        now = self._clock.now()
        bound = log.bind(team=claim.team, channel=reminder.channel, reminder=reminder.id)
        overdue = now - reminder.due
        if claim.reclaimed or reminder.attempts > 1:
            found = self._poster.find_posted(
                reminder.channel, reminder.thread_ts, reminder, reminder.due - timedelta(days=1)
            )
            if found:
                self._store.finish(claim, "posted", {"p": found, "w": "found an earlier post"})
                bound.info("reminder_recovered", ts=found)
                return "recovered"
        if overdue > self._settings.stale_after:
            note = (
                f"skipped: due {reminder.due:%Y-%m-%d %H:%M} UTC, more than "
                f"{self._settings.stale_after.days} days before the bot came back"
            )
            self._store.finish(claim, "skipped", {"w": note})
            bound.warning("reminder_skipped_stale", due=reminder.due.isoformat())
            return "skipped"
        if reminder.attempts > self._settings.max_attempts:
            self._store.finish(
                claim, "failed", {"w": f"gave up after {reminder.attempts - 1} attempts"}
            )
            bound.error("reminder_failed", error="too many attempts")
            return "failed"
        event = self._store.event(claim.team, reminder.event)
        article = self._store.article(claim.team, event.article) if event else None
        if event is None or article is None or event.state != "open":
            self._store.finish(claim, "cancelled", {"w": "event closed before the alert"})
            return "cancelled"
        late = overdue > self._settings.late_after
        zone = self._store.channel_policy(claim.team, reminder.channel, self._default_zone).zone
        shown = replace(claim.reminder, late=True) if late else claim.reminder
        message = alert_message(
            shown, event, article, now, zone, also_reported=self._other_reports(claim.team, event)
        )
        if not self._store.renew(claim, self._clock.now() + self._settings.lease):
            bound.warning("reminder_lease_lost")
            return "lost_lease"
        # The channel's slot is taken right before the post, so posts reach Slack spaced.
        self._pacer.wait_turn(claim.team, reminder.channel)
        result = self._poster.post(reminder.channel, reminder.thread_ts, message)
        self._pacer.posted(claim.team, reminder.channel)
        if result.ok:
            if self._after_post is not None:
                self._after_post(claim, message, result.ts)
            patch: dict[str, object] = {"p": result.ts}
            if late:
                patch["l"] = 1
            if not self._store.finish(claim, "posted", patch):
                # The lease ran out while posting and someone else holds it: they will find
                # this post by its metadata. Say so; it is not counted as ours.
                bound.warning("reminder_record_refused", ts=result.ts)
                return "lost_lease"
            bound.info("reminder_posted", ts=result.ts, kind=reminder.kind, late=late)
            return "posted"
        if result.retry_after is not None:
            # Rate limited: nothing was posted, so this try does not count against the reminder.
            retry_at = self._clock.now() + timedelta(seconds=max(result.retry_after, 1))
            patch = {
                "w": "rate limited",
                "d": int(retry_at.timestamp()),
                "a": reminder.attempts - 1,
            }
            self._store.finish(claim, "scheduled", patch, requeue_at=retry_at)
            bound.warning("reminder_rate_limited", retry_after=result.retry_after)
            return "retried"
        if result.transient and reminder.attempts < self._settings.max_attempts:
            retry_at = now + self._settings.retry_base * (2 ** (reminder.attempts - 1))
            patch = {"w": f"retrying: {result.error}", "d": int(retry_at.timestamp())}
            self._store.finish(claim, "scheduled", patch, requeue_at=retry_at)
            bound.warning("reminder_retry_scheduled", error=result.error, attempt=reminder.attempts)
            return "retried"
        self._store.finish(claim, "failed", {"w": result.error})
        bound.error("reminder_failed", error=result.error, attempts=reminder.attempts)
        return "failed"
