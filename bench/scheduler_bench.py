"""Measures the reminder store and the dispatcher against a private Redis and the fake Slack.

Three stages, one private `redis-server` (`bot.local_redis.LocalRedis`, no append-only file),
flushed between stages:

1. **Memory.** `INFO memory` `used_memory` before and after storing 1,000,000 reminders
   (`--quick`: 100,000) with `RedisStore.add_reminders` in pipelined chunks: realistic ids
   (16-hex article, event `<article>.<n>`, reminders `<event>.h` and `<event>.f`), 500 channels,
   due over the next 30 days. Target: `bytes_per_reminder` <= 600.
2. **Claim and record.** 20,000 reminders due now over 500 channels; one process calls
   `claim_due` (batch 200, no per-channel cap) and `finish(claim, "posted", {"p": ts})` for every
   claim until nothing is left. Target: `claims_per_s` >= 3,000.
3. **Dispatch.** 20,000 reminders (`--quick`: 2,000 over 50 channels, within 10 s) due evenly
   within one minute over 500 channels, with their events and articles stored as
   `tests.reminder_fixtures.store_due_reminders` stores them and real thread parents in the fake
   Slack (`tests.fakes.slack_api.FakeSlack`, zero latency). W worker processes (default 2) each
   run a `Dispatcher` (SystemClock, RedisPacer 1000 ms, SlackPoster over HTTP to the fake) and
   call `run_once()` every 0.2 s until all is posted or a timeout. Per post, lateness is how much
   later than its channel's pacing allowed it arrived: `received_at - max(due, previous post in
   that channel + 1.0 s)`. Targets: `lateness_p99_s` <= 1 s, `duplicates` == 0, `lost` == 0.

Progress goes to stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import signal
import string
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

if TYPE_CHECKING:
    from bot.alerts import AlertKind
    from bot.reminders import Reminder
    from bot.store import RedisStore
    from tests.fakes.slack_api import FakeSlack, PostedMessage

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # `python bench/scheduler_bench.py` puts bench/ on sys.path, not the project. Appending keeps
    # an installed or PYTHONPATH copy of `bot` first. The project (and `tests`, for the fake
    # Slack and the fixture) is imported inside the functions that use it.
    sys.path.append(str(PROJECT_ROOT))

TEAM = "TBENCH0001"
SLACK_TOKEN = "xoxb-bench"
SEED = 20250418

FULL_MEMORY_COUNT = 1_000_000
QUICK_MEMORY_COUNT = 100_000
MEMORY_CHANNELS = 500
MEMORY_SPREAD = timedelta(days=30)
STORE_CHUNK = 10_000

CLAIM_COUNT = 20_000
CLAIM_CHANNELS = 500
CLAIM_BATCH = 200
CLAIM_LEASE = timedelta(minutes=10)
UNCAPPED_PER_CHANNEL = 1_000_000
RECORDED_TS = "1700000000.000200"

FULL_DISPATCH_COUNT = 20_000
QUICK_DISPATCH_COUNT = 2_000
FULL_DISPATCH_CHANNELS = 500
QUICK_DISPATCH_CHANNELS = 50
FULL_DISPATCH_WINDOW_S = 60
QUICK_DISPATCH_WINDOW_S = 10
FULL_DISPATCH_GRACE_S = 120
QUICK_DISPATCH_GRACE_S = 40
DEFAULT_WORKERS = 2
PACING_MS = 1000
PACING_S = PACING_MS / 1000
RUN_ONCE_INTERVAL_S = 0.2
FIRST_DUE_LEAD_S = 2  # storing the spread due times must finish before the first is due
PLACEHOLDER_DUE = timedelta(days=1)  # not claimable while the workers start
WORKER_READY_LINE = "ready"
WORKER_READY_TIMEOUT_S = 60
WORKER_STOP_TIMEOUT_S = 30
PROGRESS_EVERY_S = 5.0
POLL_EVERY_S = 0.25

TARGET_BYTES_PER_REMINDER = 600
TARGET_CLAIMS_PER_S = 3000
TARGET_LATENESS_P99_S = 1.0

REPORT_OUTCOMES = ("posted", "recovered", "retried", "failed", "skipped", "cancelled", "lost_lease")
CHANNEL_ID_ALPHABET = string.ascii_uppercase + string.digits
SECONDS_PER_WEEK = 7 * 86_400
MICROS_PER_SECOND = 1_000_000

Item = TypeVar("Item")


class BenchSetupError(Exception):
    """The benchmark cannot run: Redis, the fake Slack or a worker process failed."""


def progress(message: str) -> None:
    print(f"scheduler_bench: {message}", file=sys.stderr, flush=True)


def chunked(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


# --- realistic reminders -----------------------------------------------------------------------


def channel_ids(rng: random.Random, count: int) -> list[str]:
    """Slack-shaped channel ids: "C0" and nine upper-case letters or digits, all distinct."""
    ids: set[str] = set()
    while len(ids) < count:
        ids.add("C0" + "".join(rng.choices(CHANNEL_ID_ALPHABET, k=9)))
    return sorted(ids)


def realistic_reminders(
    rng: random.Random,
    count: int,
    channels: Sequence[str],
    first_due: datetime,
    spread: timedelta,
) -> Iterator[Reminder]:
    """`count` reminders as the bot stores them: an article (16 hex characters) in a channel
    thread yields one to four events `<article>.<n>`, each with a heads-up `<event>.h` and a
    follow-up `<event>.f` no earlier than it; due times are uniform within `spread`."""
    from bot.reminders import Reminder

    made = 0
    first_epoch = first_due.timestamp()
    spread_s = spread.total_seconds()
    while made < count:
        article = f"{rng.getrandbits(64):016x}"
        channel = rng.choice(channels)
        posted_at = int(first_epoch) - rng.randrange(SECONDS_PER_WEEK)
        thread_ts = f"{posted_at}.{rng.randrange(MICROS_PER_SECOND):06d}"
        for root_index in range(rng.randint(1, 4)):
            event = f"{article}.{root_index}"
            heads_up_offset = rng.uniform(0, spread_s)
            follow_up_offset = rng.uniform(heads_up_offset, spread_s)
            kinds: tuple[tuple[str, AlertKind, float], ...] = (
                ("h", "heads_up", heads_up_offset),
                ("f", "follow_up", follow_up_offset),
            )
            for code, kind, offset in kinds:
                if made == count:
                    return
                yield Reminder(
                    id=f"{event}.{code}",
                    event=event,
                    channel=channel,
                    thread_ts=thread_ts,
                    kind=kind,
                    due=datetime.fromtimestamp(first_epoch + offset, UTC),
                )
                made += 1


def store_in_chunks(store: RedisStore, reminders: Iterable[Reminder]) -> int:
    stored = 0
    for chunk in chunked(reminders, STORE_CHUNK):
        store.add_reminders(TEAM, chunk)
        stored += len(chunk)
    return stored


# --- stage 1: memory ---------------------------------------------------------------------------


def measure_memory(store: RedisStore, count: int, rng: random.Random) -> dict[str, Any]:
    client = store.client
    client.flushall()
    before = used_memory(client)
    channels = channel_ids(rng, MEMORY_CHANNELS)
    first_due = datetime.now(UTC) + timedelta(minutes=1)
    started = time.perf_counter()
    stored = 0
    for chunk in chunked(
        realistic_reminders(rng, count, channels, first_due, MEMORY_SPREAD), STORE_CHUNK * 10
    ):
        stored += store_in_chunks(store, chunk)
        progress(f"memory: {stored:,}/{count:,} reminders stored")
    store_seconds = time.perf_counter() - started
    after = used_memory(client)
    hash_bytes = client.memory_usage(store.key(TEAM, "rem"), samples=0)
    due_keys = [store.key(TEAM, "due")] + [
        store.due_key(TEAM, channel) for channel in store.scheduled_channels(TEAM)
    ]
    zset_bytes = sum(client.memory_usage(key, samples=0) or 0 for key in due_keys)
    stored_in_redis = int(client.hlen(store.key(TEAM, "rem")))
    scheduled_in_redis = store.scheduled_count(TEAM)
    if stored_in_redis != count or scheduled_in_redis != count:
        raise BenchSetupError(
            f"stored {count:,} reminders but Redis holds {stored_in_redis:,} in the hash "
            f"and {scheduled_in_redis:,} in the due set (an id collided?)"
        )
    bytes_per_reminder = (after - before) / count
    progress(
        f"memory: {count:,} reminders in {store_seconds:.1f}s, "
        f"{bytes_per_reminder:.0f} bytes each (target <= {TARGET_BYTES_PER_REMINDER})"
    )
    return {
        "bytes_per_reminder": round(bytes_per_reminder, 1),
        "n_memory": count,
        "used_memory_before": before,
        "used_memory_after": after,
        "memory_hash_bytes_per_reminder": rounded((hash_bytes or 0) / count, 1),
        "memory_due_zset_bytes_per_reminder": rounded((zset_bytes or 0) / count, 1),
        "memory_store_seconds": round(store_seconds, 2),
    }


# --- stage 2: claim and record -----------------------------------------------------------------


def measure_claims(store: RedisStore, count: int, rng: random.Random) -> dict[str, Any]:
    store.client.flushall()
    channels = channel_ids(rng, CLAIM_CHANNELS)
    due = datetime.now(UTC) - timedelta(seconds=1)
    store_in_chunks(store, realistic_reminders(rng, count, channels, due, timedelta(0)))
    owner = "bench-claimer"
    claimed = 0
    recorded = 0
    claim_seconds = 0.0
    started = time.perf_counter()
    while True:
        now = datetime.now(UTC)
        claim_started = time.perf_counter()
        claims = store.claim_due(
            TEAM, now, CLAIM_BATCH, now + CLAIM_LEASE, owner, per_channel=UNCAPPED_PER_CHANNEL
        )
        claim_seconds += time.perf_counter() - claim_started
        if not claims:
            break
        claimed += len(claims)
        for claim in claims:
            recorded += store.finish(claim, "posted", {"p": RECORDED_TS})
    elapsed = time.perf_counter() - started
    client = store.client
    left_due = int(client.zcard(store.key(TEAM, "due")))
    left_leased = int(client.zcard(store.key(TEAM, "lease")))
    if claimed != count or recorded != count or left_due or left_leased:
        raise BenchSetupError(
            f"claimed {claimed:,} and recorded {recorded:,} of {count:,}; "
            f"{left_due:,} still due, {left_leased:,} still leased"
        )
    claims_per_s = count / elapsed
    progress(
        f"claims: {count:,} claimed and recorded in {elapsed:.2f}s, {claims_per_s:,.0f}/s "
        f"(target >= {TARGET_CLAIMS_PER_S:,}); claim_due took {claim_seconds:.2f}s of it"
    )
    return {
        "claims_per_s": round(claims_per_s, 1),
        "n_claims": count,
        "claims_seconds": round(elapsed, 3),
        "claims_claim_due_seconds": round(claim_seconds, 3),
        "claims_finish_seconds": round(elapsed - claim_seconds, 3),
    }


# --- stage 3: dispatch through worker processes -------------------------------------------------


@dataclass(frozen=True)
class DispatchPlan:
    count: int
    channels: int
    window_s: int
    grace_s: int
    workers: int


def post_thread_parents(fake: FakeSlack, channels: int) -> dict[str, str]:
    """One article message per channel of the fixture ("C0000", "C0001", ...); its ts."""
    client = WebClient(token=SLACK_TOKEN, base_url=fake.base_url)
    parents: dict[str, str] = {}
    for index in range(channels):
        channel = f"C{index:04d}"
        try:
            response = client.chat_postMessage(channel=channel, text=f"Article in {channel}")
        except SlackApiError as error:
            raise BenchSetupError(f"the fake Slack refused a thread parent: {error}") from error
        parents[channel] = str(response["ts"])
    return parents


def spread_due_times(
    reminders: Sequence[Reminder], first_due: int, window_s: int
) -> list[Reminder]:
    """The same reminders due evenly over `window_s` seconds from `first_due` (epoch seconds).

    The store keeps due times in whole seconds, so "evenly" is at one-second resolution. The
    fixture puts reminder i in channel i % channels, so each channel's reminders are evenly
    spaced too."""
    count = len(reminders)
    return [
        replace(reminder, due=datetime.fromtimestamp(first_due + index * window_s // count, UTC))
        for index, reminder in enumerate(reminders)
    ]


class WorkerProcesses:
    """This script re-run with the hidden `--worker` flag, one process per worker."""

    def __init__(self, redis_url: str, slack_url: str) -> None:
        self._redis_url = redis_url
        self._slack_url = slack_url
        self.processes: dict[str, subprocess.Popen[str]] = {}

    def start(self, count: int) -> None:
        for number in range(1, count + 1):
            name = f"bench-w{number}"
            command = [
                sys.executable, str(Path(__file__).resolve()), "--worker", name,
                "--redis-url", self._redis_url, "--slack-url", self._slack_url,
            ]  # fmt: skip
            # stderr is inherited so a worker's warnings and tracebacks reach the user as they
            # happen; stdout carries "ready" and, at the end, the worker's totals as JSON.
            self.processes[name] = subprocess.Popen(
                command, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
            )
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
        for name, process in self.processes.items():
            line = read_line_before(cast(IO[str], process.stdout), deadline)
            if line.strip() != WORKER_READY_LINE:
                raise BenchSetupError(f"worker {name} did not start: {line!r}")

    def stop(self) -> list[dict[str, int]]:
        """SIGTERM every worker; each finishes its run_once and prints its totals."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        totals: list[dict[str, int]] = []
        for name, process in self.processes.items():
            try:
                output, _ = process.communicate(timeout=WORKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                progress(f"worker {name} did not stop in time: killed")
                continue
            lines = output.strip().splitlines()
            try:
                totals.append(json.loads(lines[-1]) if lines else {})
            except json.JSONDecodeError:
                progress(f"worker {name} printed no totals: {lines[-1]!r}")
        self.processes = {}
        return totals


def read_line_before(stream: IO[str], deadline: float) -> str:
    """One line of `stream`, or "" when none arrives before `deadline` (monotonic)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(max(0.0, deadline - time.monotonic()))
    return lines[0] if lines else ""


def wait_until_dispatched(store: RedisStore, deadline: float) -> bool:
    """True once nothing is due or leased any more; False at the deadline (wall clock)."""
    client = store.client
    due_key, lease_key = store.key(TEAM, "due"), store.key(TEAM, "lease")
    next_progress = time.monotonic() + PROGRESS_EVERY_S
    while time.time() < deadline:
        left_due = int(client.zcard(due_key))
        left_leased = int(client.zcard(lease_key))
        if left_due == 0 and left_leased == 0:
            return True
        if time.monotonic() >= next_progress:
            progress(f"dispatch: {left_due:,} scheduled, {left_leased:,} leased")
            next_progress += PROGRESS_EVERY_S
        time.sleep(POLL_EVERY_S)
    return False


@dataclass(frozen=True)
class ChannelTimeline:
    """What the posts of every channel, in arrival order, say about timing (seconds, sorted)."""

    beyond_pacing: list[float]  # received_at - max(due, previous post in the channel + 1 s)
    beyond_due: list[float]  # received_at - due
    smallest_gap: float | None  # least time between two posts in one channel
    out_of_order: int  # posts whose reminder was due before one already posted there


def channel_timeline(
    alerts: Sequence[PostedMessage], due_by_id: dict[str, float]
) -> ChannelTimeline:
    by_channel: dict[str, list[PostedMessage]] = defaultdict(list)
    for post in alerts:
        by_channel[post.channel].append(post)
    beyond_pacing: list[float] = []
    beyond_due: list[float] = []
    smallest_gap: float | None = None
    out_of_order = 0
    for posts in by_channel.values():
        posts.sort(key=lambda post: post.received_at)
        previous: float | None = None
        latest_due_posted = -math.inf
        for post in posts:
            due = due_by_id.get(reminder_id_of(post))
            if due is not None:
                allowed = due if previous is None else max(due, previous + PACING_S)
                beyond_pacing.append(post.received_at - allowed)
                beyond_due.append(post.received_at - due)
                out_of_order += due < latest_due_posted
                latest_due_posted = max(latest_due_posted, due)
            if previous is not None:
                gap = post.received_at - previous
                smallest_gap = gap if smallest_gap is None else min(smallest_gap, gap)
            previous = post.received_at
    return ChannelTimeline(sorted(beyond_pacing), sorted(beyond_due), smallest_gap, out_of_order)


def reminder_id_of(post: PostedMessage) -> str:
    payload = post.event_payload or {}
    return str(payload.get("reminder_id", ""))


def measure_dispatch(store: RedisStore, redis_url: str, plan: DispatchPlan) -> dict[str, Any]:
    from bot.blocks import METADATA_EVENT_TYPE
    from tests.fakes.slack_api import FakeSlack
    from tests.reminder_fixtures import store_due_reminders

    store.client.flushall()
    with FakeSlack() as fake:
        parents = post_thread_parents(fake, plan.channels)
        placeholder = datetime.now(UTC).replace(microsecond=0) + PLACEHOLDER_DUE
        stored = store_due_reminders(
            store, TEAM, plan.count, plan.channels, placeholder, thread_for=parents.__getitem__
        )
        progress(
            f"dispatch: {plan.count:,} reminders with their events and articles stored; "
            f"starting {plan.workers} workers"
        )
        workers = WorkerProcesses(redis_url, fake.base_url)
        try:
            workers.start(plan.workers)
            first_due = math.ceil(time.time()) + FIRST_DUE_LEAD_S
            spread = spread_due_times(stored, first_due, plan.window_s)
            store.add_reminders(TEAM, spread)
            if time.time() >= first_due:
                progress("dispatch: storing the due times overran the first due time")
            progress(
                f"dispatch: due from {datetime.fromtimestamp(first_due, UTC):%H:%M:%S} "
                f"over {plan.window_s}s"
            )
            deadline = first_due + plan.window_s + plan.grace_s
            finished = wait_until_dispatched(store, deadline)
            finished_at = time.time()
        finally:
            worker_totals = workers.stop()
        alerts = [post for post in fake.posts() if post.event_type == METADATA_EVENT_TYPE]
        fake_errors = len(fake.internal_errors)
    if not finished:
        progress(f"dispatch: timed out {plan.window_s + plan.grace_s}s after the first due time")
    due_by_id = {reminder.id: float(int(reminder.due.timestamp())) for reminder in spread}
    posted_ids = Counter(reminder_id_of(post) for post in alerts)
    duplicates = sum(1 for times in posted_ids.values() if times > 1)
    lost = sum(1 for reminder_id in due_by_id if reminder_id not in posted_ids)
    timeline = channel_timeline(alerts, due_by_id)
    beyond_pacing, beyond_due = timeline.beyond_pacing, timeline.beyond_due
    states = Counter(reminder.state for reminder in store.reminders(TEAM))
    outcomes = {
        outcome: sum(totals.get(outcome, 0) for totals in worker_totals)
        for outcome in REPORT_OUTCOMES
    }
    last_post = max((post.received_at for post in alerts), default=finished_at)
    p99 = percentile(beyond_pacing, 0.99)
    progress(
        f"dispatch: {len(alerts):,} alerts posted, {duplicates} duplicated, {lost} lost; "
        f"lateness beyond pacing p50 {percentile(beyond_pacing, 0.5) or 0:.3f}s, "
        f"p99 {p99 or 0:.3f}s (target <= {TARGET_LATENESS_P99_S}s)"
    )
    return {
        "lateness_p99_s": rounded(p99),
        "lateness_p50_s": rounded(percentile(beyond_pacing, 0.5)),
        "lateness_max_s": rounded(beyond_pacing[-1] if beyond_pacing else None),
        "late_over_1s": sum(1 for lateness in beyond_pacing if lateness > 1.0),
        "behind_due_p50_s": rounded(percentile(beyond_due, 0.5)),
        "behind_due_p99_s": rounded(percentile(beyond_due, 0.99)),
        "min_channel_gap_s": rounded(timeline.smallest_gap),
        "out_of_order": timeline.out_of_order,
        "duplicates": duplicates,
        "lost": lost,
        "n_dispatch": plan.count,
        "n_posted": len(alerts),
        "dispatch_channels": plan.channels,
        "dispatch_window_s": plan.window_s,
        "dispatch_finished": finished,
        "dispatch_seconds": round(last_post - first_due, 2),
        "posts_per_s": round(len(alerts) / max(last_post - first_due, 1e-9), 1),
        "stored_states": dict(sorted(states.items())),
        "worker_outcomes": outcomes,
        "fake_slack_internal_errors": fake_errors,
        "workers": plan.workers,
    }


# --- one worker process ------------------------------------------------------------------------


def run_worker(owner: str, redis_url: str, slack_url: str) -> int:
    """A Dispatcher as `bot.worker` builds one, run_once() every 0.2 s until SIGTERM."""
    from bot.dispatch import Dispatcher, DispatchSettings, RedisPacer, SystemClock
    from bot.slack_client import SlackPoster, make_client
    from bot.store import RedisStore
    from config.logging import configure_logging

    configure_logging("WARNING")
    store = RedisStore.from_url(redis_url)
    store.ping()
    dispatcher = Dispatcher(
        store,
        SlackPoster(make_client(SLACK_TOKEN, slack_url)),
        SystemClock(),
        owner,
        settings=DispatchSettings(),
        pacer=RedisPacer(store, PACING_MS),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    totals: Counter[str] = Counter()
    print(WORKER_READY_LINE, flush=True)
    while not stop.is_set():
        report = dispatcher.run_once()
        for outcome in REPORT_OUTCOMES:
            totals[outcome] += getattr(report, outcome)
        stop.wait(RUN_ONCE_INTERVAL_S)
    print(json.dumps(dict(totals)), flush=True)
    return 0


# --- parent ------------------------------------------------------------------------------------


def report_fatal(message: str) -> int:
    """Says why nothing was measured, on stderr and as the JSON line; returns the exit status."""
    progress(message)
    print(json.dumps({"error": message}))
    return 2


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_MEMORY_COUNT:,} reminders for memory and {QUICK_DISPATCH_COUNT:,} over "
        f"{QUICK_DISPATCH_CHANNELS} channels within {QUICK_DISPATCH_WINDOW_S}s for dispatch",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"dispatch worker processes (default {DEFAULT_WORKERS})",
    )
    parser.add_argument("--memory-count", type=int, help="reminders stored for the memory stage")
    parser.add_argument("--claim-count", type=int, default=CLAIM_COUNT, help="claimed reminders")
    parser.add_argument("--dispatch-count", type=int, help="reminders dispatched")
    parser.add_argument("--dispatch-channels", type=int, help="channels they are spread over")
    parser.add_argument("--dispatch-window", type=int, help="seconds their due times span")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated ids")
    # Internal: runs one dispatch worker in this process; the parent starts each one this way.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker is not None and not (arguments.redis_url and arguments.slack_url):
        parser.error("--worker needs --redis-url and --slack-url")
    quick = arguments.quick
    if arguments.memory_count is None:
        arguments.memory_count = QUICK_MEMORY_COUNT if quick else FULL_MEMORY_COUNT
    if arguments.dispatch_count is None:
        arguments.dispatch_count = QUICK_DISPATCH_COUNT if quick else FULL_DISPATCH_COUNT
    if arguments.dispatch_channels is None:
        arguments.dispatch_channels = QUICK_DISPATCH_CHANNELS if quick else FULL_DISPATCH_CHANNELS
    if arguments.dispatch_window is None:
        arguments.dispatch_window = QUICK_DISPATCH_WINDOW_S if quick else FULL_DISPATCH_WINDOW_S
    for name in ("workers", "memory_count", "claim_count", "dispatch_count", "dispatch_channels"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if arguments.dispatch_window < 1:
        parser.error("--dispatch-window must be at least 1")
    if arguments.dispatch_channels > 10_000:
        parser.error("--dispatch-channels is at most 10000 (the fixture names them C0000-C9999)")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.worker is not None:
        return run_worker(arguments.worker, arguments.redis_url, arguments.slack_url)
    from bot.errors import NewsbotError
    from bot.local_redis import LocalRedis
    from bot.store import RedisStore

    rng = random.Random(arguments.seed)
    plan = DispatchPlan(
        count=arguments.dispatch_count,
        channels=arguments.dispatch_channels,
        window_s=arguments.dispatch_window,
        grace_s=QUICK_DISPATCH_GRACE_S if arguments.quick else FULL_DISPATCH_GRACE_S,
        workers=arguments.workers,
    )
    started = time.perf_counter()
    try:
        with LocalRedis(appendonly=False) as server:
            store = RedisStore.from_url(server.url)
            store.ping()
            progress(f"redis-server on port {server.port}")
            memory = measure_memory(store, arguments.memory_count, rng)
            claims = measure_claims(store, arguments.claim_count, rng)
            dispatch = measure_dispatch(store, server.url, plan)
            store.client.close()
    except (BenchSetupError, NewsbotError, redis.RedisError, OSError) as error:
        return report_fatal(str(error))
    report = {
        **memory,
        **claims,
        **dispatch,
        "targets": {
            "bytes_per_reminder": TARGET_BYTES_PER_REMINDER,
            "claims_per_s": TARGET_CLAIMS_PER_S,
            "lateness_p99_s": TARGET_LATENESS_P99_S,
        },
        "total_seconds": round(time.perf_counter() - started, 1),
        "quick": arguments.quick,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
