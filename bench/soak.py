"""Soak: the production layout at a steady load for 10 minutes.

The topology of `tests/e2e/test_scale.py`, started the same way (`tests/e2e/topology.py`): a
3-master Redis Cluster on loopback ports, 2 `newsbot serve` behind a round-robin balancer, 3
`newsbot worker` and the fake Slack, with the production settings (dispatch every second,
60 s leases, 1 s between two posts in a channel). No faults: this measures the steady state.

Load, open-loop (each request is sent at its planned time, whatever earlier ones did):
- 20 pasted articles a minute (`/news track <corpus article>`), read by the workers with spaCy;
- 50 slash commands a second (`deadlines`, `summary`, `help`) over 60 channels;
- reminders falling due at 100 a second over 400 channels, loaded into Redis ahead of time by a
  loader that keeps at least 20 s ahead of the clock.

Measured: reminders lost (due before the end, not posted 60 s after it) and duplicated (posted
more than once), lateness (post time in Slack minus due time; p50, p99), command ack latency
at the client (from planned send time to the last byte; p50, p99), and worker RSS growth from
the end of the warm-up to the end of the run (the largest of the workers). Targets: 0 lost,
0 duplicated, late p99 <= 2 s, ack p99 < 100 ms, RSS growth < 10 %.

`--quick` runs 25 s with a 10 s warm-up and a 10 s lead (about 50 s in all). Progress goes to stderr; the last line of stdout is one
JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.append(str(PROJECT_ROOT))

from bot.store import RedisStore  # noqa: E402
from tests.e2e.topology import BOT_TOKEN, Topology  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.reminder_fixtures import store_due_reminders  # noqa: E402

TEAM, ARTICLE_TEAM = "T1", "T2"
REMINDER_CHANNELS, COMMAND_CHANNELS = 400, 60
COMMANDS = ["deadlines 30", "summary 7", "help", "deadlines 7"]
LEAD_S = 20.0
GRACE_S = 60.0


def say(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


class Loader(threading.Thread):
    """Stores one wave of reminders per second of the run, due at that second, staying at
    least LEAD_S ahead of the clock."""

    def __init__(self, store: RedisStore, slack: FakeSlack, t0: float, seconds: int, rate: int):
        super().__init__(name="loader", daemon=True)
        self.store, self.t0, self.seconds, self.rate = store, t0, seconds, rate
        self.due: dict[str, float] = {}
        self.behind_s = 0.0
        self.stop = threading.Event()
        from slack_sdk import WebClient

        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
        self.parents = {
            f"C{n:04d}": str(client.chat_postMessage(channel=f"C{n:04d}", text="Story")["ts"])
            for n in range(REMINDER_CHANNELS)
        }

    def load(self, second: int) -> None:
        due = datetime.fromtimestamp(self.t0 + second, UTC)
        stored = store_due_reminders(
            self.store, TEAM, self.rate, REMINDER_CHANNELS, due,
            thread_for=self.parents.__getitem__, first=second * self.rate,
        )  # fmt: skip
        for reminder in stored:
            self.due[reminder.id] = self.t0 + second
        self.behind_s = max(self.behind_s, time.time() - (self.t0 + second))

    def run(self) -> None:
        for second in range(self.seconds):
            while self.t0 + second - time.time() > LEAD_S * 2:
                if self.stop.wait(0.2):
                    return
            if self.stop.is_set():
                return
            self.load(second)


def rss_mb(topology: Topology) -> dict[str, float]:
    sizes = {}
    for name, child in topology.workers.items():
        with contextlib.suppress(psutil.Error):  # it just exited
            sizes[name] = psutil.Process(child.process.pid).memory_info().rss / 2**20
    return sizes


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    duration = 25 if arguments.quick else arguments.duration
    warmup = 10 if arguments.quick else arguments.warmup
    rows = [
        json.loads(line)
        for line in (PROJECT_ROOT / "bench/data/news_articles.jsonl").read_text().splitlines()
        if line.strip()
    ]
    workdir = Path(tempfile.mkdtemp(prefix="newsbot-soak-"))
    env = {
        "NEWSBOT_DISPATCH_INTERVAL": "1", "NEWSBOT_LEASE_SECONDS": "60",
        "NEWSBOT_JOB_RECLAIM_MS": "60000", "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    with FakeSlack() as slack:
        topology = Topology(workdir, slack.base_url, webs=2, workers=3, env=env)
        say("starting the cluster, 2 web and 3 worker processes")
        topology.start()
        try:
            return drive(topology, slack, rows, arguments, duration=duration, warmup=warmup)
        finally:
            topology.stop()


def drive(
    topology: Topology,
    slack: FakeSlack,
    rows: list[dict[str, Any]],
    arguments: argparse.Namespace,
    *,
    duration: int,
    warmup: int,
) -> dict[str, Any]:
    store = RedisStore.from_url(topology.cluster.url)
    lead = LEAD_S / 2 if arguments.quick else LEAD_S
    t0 = float(math.ceil(time.time() + lead))  # reminders are due on whole seconds
    loader = Loader(store, slack, t0, duration, arguments.reminders_per_s)
    say(f"loading reminders ({arguments.reminders_per_s}/s for {duration} s)")
    for second in range(min(duration, int(lead))):
        loader.load(second)
    loader.start()
    while time.time() < t0:
        time.sleep(0.05)

    latencies: list[float] = []
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    rng = random.Random(5)

    def send(planned: float, channel: str, text: str, team: str) -> None:
        delay = planned - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            answer = topology.command(team, channel, "U1", text)
            ok = answer.status == 200 and bool(answer.body.get("text"))
        except OSError as error:
            ok, answer = False, None
            failures[type(error).__name__] += 1
        elapsed = time.perf_counter() - planned
        with lock:
            latencies.append(elapsed)
            if not ok:
                failures["bad_answer"] += 1

    samples: list[dict[str, float]] = []
    baseline: dict[str, float] = {}
    say(f"steady load for {duration} s (warm-up {warmup} s)")
    started = time.perf_counter()
    period = 1 / arguments.commands_per_s
    article_period = 60 / arguments.articles_per_min
    next_sample = started + warmup
    with ThreadPoolExecutor(max_workers=24) as pool:
        n = articles = 0
        while True:
            planned = started + n * period
            if planned - started >= duration:
                break
            now = time.perf_counter()
            if planned > now:
                time.sleep(planned - now)
            channel = f"C{rng.randrange(COMMAND_CHANNELS):04d}"
            pool.submit(send, planned, channel, COMMANDS[n % len(COMMANDS)], TEAM)
            if planned - started >= articles * article_period:
                row = rows[articles % len(rows)]
                text = f"track {row['title']}\n\n{row['text']}"
                pool.submit(send, planned, f"D{articles % 20:03d}", text, ARTICLE_TEAM)
                articles += 1
            if planned >= next_sample:
                sizes = rss_mb(topology)
                samples.append(sizes)
                if not baseline:
                    baseline = sizes
                    say(
                        f"warm-up done; worker RSS {json.dumps({k: round(v) for k, v in sizes.items()})} MB"
                    )
                next_sample = planned + 10
            n += 1
    end = t0 + duration
    final = rss_mb(topology)
    say(f"load done: {n} commands, {articles} articles; waiting up to {GRACE_S:.0f} s for posts")
    loader.stop.set()
    loader.join()
    expected = {rid: due for rid, due in loader.due.items() if due < end}
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline:
        posted = {
            p.event_payload["reminder_id"]  # type: ignore[index]
            for p in slack.posts()
            if p.event_type == "newsbot_reminder"
        }
        if set(expected) <= posted:
            break
        time.sleep(1)
    alerts = [p for p in slack.posts() if p.event_type == "newsbot_reminder"]
    counts = Counter(p.event_payload["reminder_id"] for p in alerts)  # type: ignore[index]
    first_post: dict[str, float] = {}
    for post in alerts:
        rid = post.event_payload["reminder_id"]  # type: ignore[index]
        first_post[rid] = min(first_post.get(rid, math.inf), float(post.ts))
    lateness = [first_post[rid] - due for rid, due in expected.items() if rid in first_post]
    growth = {
        name: 100 * (final[name] - baseline[name]) / baseline[name]
        for name in final
        if name in baseline
    }
    return {
        "lost": sum(1 for rid in expected if rid not in counts),
        "duplicated": sum(1 for n in counts.values() if n > 1),
        "late_p99_s": round(percentile(lateness, 0.99), 3),
        "late_p50_s": round(percentile(lateness, 0.50), 3),
        "late_max_s": round(max(lateness, default=math.nan), 3),
        "ack_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "ack_p50_ms": round(1000 * percentile(latencies, 0.50), 1),
        "rss_growth_pct": round(max(growth.values(), default=math.nan), 2),
        "worker_rss_mb": {k: round(v, 1) for k, v in final.items()},
        "reminders_due": len(expected),
        "commands": n,
        "articles": articles,
        "command_failures": dict(failures),
        "loader_behind_s": round(loader.behind_s, 2),
        "duration_s": duration,
        "warmup_s": warmup,
        "quick": bool(arguments.quick),
    }


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="25 s with a 10 s warm-up")
    parser.add_argument("--duration", type=int, default=600, help="seconds of steady load")
    parser.add_argument("--warmup", type=int, default=60, help="seconds before the RSS baseline")
    parser.add_argument("--articles-per-min", type=float, default=20)
    parser.add_argument("--commands-per-s", type=float, default=50)
    parser.add_argument("--reminders-per-s", type=int, default=100)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    result = run(parse_arguments(argv))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
