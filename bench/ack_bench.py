"""Measures how fast `newsbot serve` acknowledges `/news` slash commands under an open-loop load.

The server runs the way users start it: `python -m bot.cli serve --host 127.0.0.1 --port N` as a
subprocess (Bolt behind waitress), with a private `redis-server` (`bot.local_redis.LocalRedis`)
and the fake Slack Web API (`tests.fakes.slack_api.FakeSlack`). All traffic stays on 127.0.0.1.

The client sends signed, form-encoded slash commands the way Slack does (v0 HMAC-SHA256 of
`v0:{timestamp}:{body}` with the signing secret), alternating `/news deadlines` (answered from
Redis: the channel holds a few seeded events) and `/news track <~400 words of a pasted article>`
(enqueued on the job stream `nb:jobs`). It is open-loop: request i is planned at
`start + i / rate` and sent then whether or not earlier replies have arrived, from one asyncio
thread over a pool of keep-alive connections. A request's latency runs from its planned send time
to the last byte of the response, so a client that falls behind shows up in the latency too.
Errors: a status other than 200, no full response within 3 s of the planned time, a body that is
not the expected ephemeral JSON, or a broken connection.

Phases: 50, 100 and 200 requests/s for 20 s each (`--quick`: 5 s), then a ramp from 100 requests/s
in steps of 50 (5 s each; `--quick`: 2 s, and no step that would end the run past 57 s) that stops
at the first step with p99 >= 100 ms or any error, or after 600 requests/s. Before each phase the
job stream is deleted (no worker runs, so it would only grow) and the server is given time to
finish any backlog. Target: p99 under 100 ms at 100 requests/s with zero errors. Client and server
share the machine's cores (2 here), so the client is kept to one thread.

Progress goes to stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # `python bench/ack_bench.py` puts bench/ on sys.path, not the project. Appending keeps an
    # installed or PYTHONPATH copy of `bot` first. The project (and `tests`, for the fake Slack)
    # is imported inside the functions that use it.
    sys.path.append(str(PROJECT_ROOT))

DEFAULT_ARTICLES = PROJECT_ROOT / "bench" / "data" / "news_articles.jsonl"
HOST = "127.0.0.1"
SECRET = "ack-bench-signing-secret"
SLACK_TOKEN = "xoxb-bench"
TEAM = "TBENCH0001"
CHANNEL = "CBENCH0001"
USER = "UBENCH0001"
APP_ID = "ABENCH0001"
RESPONSE_URL = "http://127.0.0.1:9/commands/unused"  # never called: the bot only acks

PHASE_RATES = (50, 100, 200)
FULL_PHASE_SECONDS = 20.0
QUICK_PHASE_SECONDS = 5.0
RAMP_START = 100
RAMP_STEP = 50
RAMP_MAX = 600
RAMP_SECONDS = 5.0
QUICK_RAMP_SECONDS = 2.0
QUICK_BUDGET_SECONDS = 57.0  # the quick run stops ramping rather than run past a minute
TARGET_RATE = 100
TARGET_P99_MS = 100.0
TIMEOUT_S = 3.0
MAX_CONNECTIONS = 64  # waitress refuses connections beyond its connection_limit (100)
WARM_UP_RATE = 50
WARM_UP_SECONDS = 1.0
SETTLE_SECONDS = 0.5
START_DELAY_S = 0.05  # the first request is planned this long after the phase starts
IDLE_SAMPLE_S = 0.2
IDLE_CPU_SHARE = 0.1
IDLE_WAIT_MAX_S = 30.0
QUICK_IDLE_WAIT_MAX_S = 5.0
STEP_OVERHEAD_S = 1.0  # draining, measuring, stragglers and stopping, per ramp step at most
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0

ARTICLE_WORDS = 400
ARTICLE_COUNT = 20
DEADLINE_EVENTS = 6
DEADLINE_ARTICLES = 3
DEADLINE_DAYS = 14  # what `/news deadlines` looks ahead by default
TRACK_REPLY = "Reading the article"
CONNECTION_LIMIT = "total open connections reached the connection limit"
LOG_LINES_SHOWN = 10
QUEUE_DEPTH = re.compile(r"^Task queue depth is (\d+)$", re.MULTILINE)
MS = 1000.0
KIB_PER_MB = 1024


class BenchSetupError(Exception):
    """The benchmark cannot run: a process that did not start, or bad article data."""


# --- what to send ----------------------------------------------------------------------------


def load_article_texts(path: Path, count: int, words: int) -> list[str]:
    """The first `count` articles, each cut after the paragraph that reaches `words` words."""
    texts: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if len(texts) == count:
                break
            if not line.strip():
                continue
            try:
                text = str(json.loads(line)["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise BenchSetupError(f"{path}:{line_number}: {error}") from error
            kept: list[str] = []
            total = 0
            for paragraph in text.split("\n\n"):
                kept.append(paragraph)
                total += len(paragraph.split())
                if total >= words:
                    break
            texts.append("\n\n".join(kept))
    if not texts:
        raise BenchSetupError(f"{path}: no articles")
    return texts


def form_body(text: str) -> bytes:
    """A slash command as Slack posts it, minus the trigger id (added per request)."""
    return urlencode(
        {
            "command": "/news",
            "text": text,
            "team_id": TEAM,
            "channel_id": CHANNEL,
            "user_id": USER,
            "response_url": RESPONSE_URL,
            "api_app_id": APP_ID,
        }
    ).encode("ascii")


@dataclass(frozen=True)
class Workload:
    """Pre-encoded bodies: request i is `deadlines` when i is even, else `track` of an article."""

    deadlines_body: bytes
    track_bodies: tuple[bytes, ...]
    deadlines_text: str  # the `text` the deadlines reply must carry

    def request(self, index: int) -> tuple[str, bytes]:
        trigger = f"&trigger_id={index}.{os.getpid()}.bench".encode("ascii")
        if index % 2 == 0:
            return "deadlines", self.deadlines_body + trigger
        article = self.track_bodies[(index // 2) % len(self.track_bodies)]
        return "track", article + trigger


def seed_deadlines(redis_url: str, events: int) -> str:
    """Stores `events` open events over the next days in CHANNEL; returns the expected reply
    text of `/news deadlines`."""
    from bot.model import DateWindow
    from bot.reminders import ArticleRecord, TrackedEvent
    from bot.store import RedisStore

    store = RedisStore.from_url(redis_url)
    now = datetime.now(UTC)
    today = now.date()
    by_article: dict[str, list[TrackedEvent]] = {}
    for n in range(events):
        article = f"benchart{n % DEADLINE_ARTICLES:02d}"
        day = today + timedelta(days=1 + n % (DEADLINE_DAYS - 2))
        event = TrackedEvent(
            id=f"{article}.{n}", article=article, kind="meeting",
            what=f"bench meeting number {n}", trigger="next week",
            window=DateWindow(day, day + timedelta(days=1)), conditional=False,
            clock=None, zone=None,
        )  # fmt: skip
        by_article.setdefault(article, []).append(event)
    for article, tracked in by_article.items():
        record = ArticleRecord(
            id=article, channel=CHANNEL, thread_ts="1700000000.000100",
            title=f"Bench story {article}", url=None, published=now, zone="UTC", stored_at=now,
        )  # fmt: skip
        store.save_article(TEAM, record, [(event, []) for event in tracked])
    store.client.close()
    if events == 0:
        return f"No tracked deadlines or meetings in the next {DEADLINE_DAYS} days in this channel."
    return f"{events} upcoming item(s) in the next {DEADLINE_DAYS} days"


def reply_error(kind: str, body: bytes, workload: Workload) -> str | None:
    """None when the body is the ephemeral JSON this kind of request must get, else why not."""
    try:
        reply = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "body_not_json"
    if not isinstance(reply, dict) or reply.get("response_type") != "ephemeral":
        return "body_not_ephemeral"
    text = str(reply.get("text", ""))
    if kind == "deadlines":
        blocks = reply.get("blocks")
        if text != workload.deadlines_text or not isinstance(blocks, list) or not blocks:
            return "body_unexpected"
    elif not text.startswith(TRACK_REPLY):
        return "body_unexpected"
    return None


# --- a minimal HTTP/1.1 keep-alive client ----------------------------------------------------


class ResponseError(Exception):
    """The server's answer could not be read as an HTTP/1.1 response."""


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        self.writer.close()


class Pool:
    """At most `limit` keep-alive connections; a request waits for one when all are busy."""

    def __init__(self, port: int, limit: int) -> None:
        self.port = port
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[Connection] = []
        self.opened = 0

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        await self._slots.acquire()
        connection: Connection | None = None
        reusable = False
        try:
            if self._idle:
                connection = self._idle.pop()
            else:
                reader, writer = await asyncio.open_connection(HOST, self.port)
                connection = Connection(reader, writer)
                self.opened += 1
            status, reply, reusable = await exchange(connection, path, body, headers, self.port)
            return status, reply
        finally:
            if connection is not None:
                if reusable:
                    self._idle.append(connection)
                else:
                    connection.close()
            self._slots.release()

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


async def exchange(
    connection: Connection, path: str, body: bytes, headers: dict[str, str], port: int
) -> tuple[int, bytes, bool]:
    """One request on an open connection: (status, body, whether the connection is reusable)."""
    head = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    connection.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await connection.writer.drain()
    raw = await connection.reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = raw.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ResponseError(f"bad status line {status_line!r}")
    received: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name:
            received[name.strip().lower()] = value.strip()
    if received.get("transfer-encoding", "").lower() == "chunked":
        reply = await read_chunked(connection.reader)
    elif "content-length" in received:
        reply = await connection.reader.readexactly(int(received["content-length"]))
    else:
        return int(parts[1]), await connection.reader.read(), False
    reusable = received.get("connection", "").lower() != "close"
    return int(parts[1]), reply, reusable


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


def signed_headers(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode("ascii") + b":" + body
    signature = hmac.new(SECRET.encode("ascii"), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={signature}",
    }


# --- one phase -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    latency_s: float  # planned send time -> last byte of the response (or the timeout)
    start_lag_s: float  # planned send time -> the client starting on the request
    error: str | None


@dataclass
class Usage:
    """CPU seconds of the server process, the client process and Redis; Redis commands."""

    server_cpu_s: float | None
    client_cpu_s: float
    redis_cpu_s: float
    redis_commands: int

    def __sub__(self, other: Usage) -> Usage:
        server = (
            None
            if self.server_cpu_s is None or other.server_cpu_s is None
            else self.server_cpu_s - other.server_cpu_s
        )
        return Usage(
            server,
            self.client_cpu_s - other.client_cpu_s,
            self.redis_cpu_s - other.redis_cpu_s,
            self.redis_commands - other.redis_commands,
        )


@dataclass
class PhaseResult:
    rate: int
    seconds: float
    outcomes: list[Outcome]
    wall_s: float
    usage: Usage
    jobs_enqueued: int
    connections_opened: int
    queue_warnings: list[int]  # depths in waitress's "Task queue depth is N" lines

    @property
    def errors(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.error is not None)

    def latency_ms(self, kind: str | None = None) -> list[float]:
        return sorted(
            outcome.latency_s * MS for outcome in self.outcomes if kind in (None, outcome.kind)
        )

    def p50_ms(self) -> float | None:
        return percentile(self.latency_ms(), 50)

    def p99_ms(self) -> float | None:
        return percentile(self.latency_ms(), 99)

    def passes(self) -> bool:
        p99 = self.p99_ms()
        return p99 is not None and p99 < TARGET_P99_MS and self.errors == 0

    def summary(self) -> dict[str, Any]:
        n = len(self.outcomes)
        errors: dict[str, int] = {}
        for outcome in self.outcomes:
            if outcome.error is not None:
                errors[outcome.error] = errors.get(outcome.error, 0) + 1
        latencies = self.latency_ms()
        lags = sorted(outcome.start_lag_s * MS for outcome in self.outcomes)
        usage = self.usage
        return {
            "rate": self.rate,
            "seconds": self.seconds,
            "requests": n,
            "p50_ms": rounded(percentile(latencies, 50)),
            "p90_ms": rounded(percentile(latencies, 90)),
            "p99_ms": rounded(percentile(latencies, 99)),
            "max_ms": rounded(latencies[-1] if latencies else None),
            "deadlines_p50_ms": rounded(percentile(self.latency_ms("deadlines"), 50)),
            "deadlines_p99_ms": rounded(percentile(self.latency_ms("deadlines"), 99)),
            "track_p50_ms": rounded(percentile(self.latency_ms("track"), 50)),
            "track_p99_ms": rounded(percentile(self.latency_ms("track"), 99)),
            "errors": self.errors,
            "errors_by_kind": errors,
            "client_start_lag_p99_ms": rounded(percentile(lags, 99)),
            "replies_per_s": round((n - self.errors) / self.wall_s, 1) if self.wall_s else None,
            "server_cpu_ms_per_request": per_request(usage.server_cpu_s, n, MS),
            "server_cpu_percent": per_second(usage.server_cpu_s, self.wall_s),
            "client_cpu_ms_per_request": per_request(usage.client_cpu_s, n, MS),
            "client_cpu_percent": per_second(usage.client_cpu_s, self.wall_s),
            "redis_cpu_ms_per_request": per_request(usage.redis_cpu_s, n, MS),
            "redis_commands_per_request": per_request(float(usage.redis_commands), n, 1.0),
            "jobs_enqueued": self.jobs_enqueued,
            "connections_opened": self.connections_opened,
            "waitress_queue_warnings": len(self.queue_warnings),
            "waitress_queue_depth_max": max(self.queue_warnings, default=0),
        }


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def per_request(total: float | None, count: int, scale: float) -> float | None:
    return None if total is None or count == 0 else round(total * scale / count, 3)


def per_second(cpu_s: float | None, wall_s: float) -> float | None:
    """CPU use as a percentage of one core."""
    return None if cpu_s is None or wall_s <= 0 else round(100 * cpu_s / wall_s, 1)


async def one_request(
    pool: Pool, workload: Workload, index: int, planned: float, timeout_s: float
) -> Outcome:
    loop = asyncio.get_running_loop()
    kind, body = workload.request(index)
    start_lag = loop.time() - planned
    error: str | None = None
    try:
        async with asyncio.timeout_at(planned + timeout_s):
            status, reply = await pool.post("/slack/events", body, signed_headers(body))
        error = f"status_{status}" if status != 200 else reply_error(kind, reply, workload)
    except TimeoutError:
        error = "timeout"
    except (
        OSError,
        ValueError,  # a length or chunk size that is not a number
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        ResponseError,
    ):
        error = "connection"
    return Outcome(kind, loop.time() - planned, start_lag, error)


async def send_open_loop(
    pool: Pool, workload: Workload, *, rate: int, seconds: float, first_index: int, timeout_s: float
) -> list[Outcome]:
    """Starts request i at `start + i / rate` without waiting for earlier replies."""
    loop = asyncio.get_running_loop()
    count = max(1, round(rate * seconds))
    start = loop.time() + START_DELAY_S
    tasks: list[asyncio.Task[Outcome]] = []
    for i in range(count):
        planned = start + i / rate
        delay = planned - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(
            loop.create_task(one_request(pool, workload, first_index + i, planned, timeout_s))
        )
    return list(await asyncio.gather(*tasks))


# --- processes and measurements --------------------------------------------------------------


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of a process from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / KIB_PER_MB, 1)
    except OSError:
        return None
    return None


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_usage(server_pid: int, client: redis.Redis) -> Usage:
    cpu: dict[str, Any] = client.info("cpu")
    stats: dict[str, Any] = client.info("stats")
    return Usage(
        server_cpu_s=process_cpu_s(server_pid),
        client_cpu_s=own_cpu_s(),
        redis_cpu_s=float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
        redis_commands=int(stats["total_commands_processed"]),
    )


def drain_jobs(client: redis.Redis) -> int:
    """Deletes the job stream (no worker runs here); returns how many jobs it held."""
    from bot.store import JOBS_STREAM

    pipe = client.pipeline(transaction=True)
    pipe.xlen(JOBS_STREAM)
    pipe.delete(JOBS_STREAM)
    length, _ = pipe.execute()
    return int(length)


def start_server(
    redis_url: str, slack_url: str, port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS"))}
    env.update(
        REDIS_URL=redis_url, SLACK_BOT_TOKEN=SLACK_TOKEN, SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_url, LOG_LEVEL="WARNING",
    )  # fmt: skip
    with log_path.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    health = f"http://{HOST}:{port}/healthz"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(health, timeout=1) as response:
                if response.status == 200:
                    return process
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    stop_server(process)
    raise BenchSetupError("newsbot serve did not come up:\n" + log_path.read_text()[-2000:])


def read_log(path: Path, offset: int = 0) -> str:
    with path.open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", errors="replace")


def queue_depths(log_text: str) -> list[int]:
    """The depths waitress logs when a request waits because all its threads are busy."""
    return [int(match) for match in QUEUE_DEPTH.findall(log_text)]


def summarize_log(log_text: str) -> None:
    """The server's log lines on stderr, each distinct line once with how often it came
    (waitress repeats its overload warnings once per request)."""
    lines = Counter(
        QUEUE_DEPTH.sub("Task queue depth is N", line) for line in log_text.splitlines()
    )
    lines.pop("", None)
    if not lines:
        return
    print("newsbot serve logged:", file=sys.stderr)
    for line, count in lines.most_common(LOG_LINES_SHOWN):
        print(f"  {count:6d} x {line[:300]}", file=sys.stderr)
    if len(lines) > LOG_LINES_SHOWN:
        print(f"  ... and {len(lines) - LOG_LINES_SHOWN} other distinct lines", file=sys.stderr)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Bench:
    """Everything one run needs once the processes are up."""

    port: int
    server: subprocess.Popen[bytes]
    redis_client: redis.Redis
    log_path: Path
    workload: Workload
    connections: int
    timeout_s: float
    idle_wait_max_s: float
    sent: int = 0

    async def phase(self, rate: int, seconds: float, label: str) -> PhaseResult:
        await wait_until_idle(self.server.pid, self.idle_wait_max_s)
        pool = Pool(self.port, self.connections)
        drain_jobs(self.redis_client)
        log_offset = self.log_path.stat().st_size
        before = measure_usage(self.server.pid, self.redis_client)
        started = time.perf_counter()
        try:
            outcomes = await send_open_loop(
                pool, self.workload, rate=rate, seconds=seconds, first_index=self.sent,
                timeout_s=self.timeout_s,
            )  # fmt: skip
        finally:
            pool.close()
        wall = time.perf_counter() - started
        usage = measure_usage(self.server.pid, self.redis_client) - before
        self.sent += len(outcomes)
        result = PhaseResult(
            rate=rate, seconds=seconds, outcomes=outcomes, wall_s=wall, usage=usage,
            jobs_enqueued=drain_jobs(self.redis_client), connections_opened=pool.opened,
            queue_warnings=queue_depths(read_log(self.log_path, log_offset)),
        )  # fmt: skip
        report_progress(label, result)
        return result


async def wait_until_idle(pid: int, max_wait_s: float) -> None:
    """Waits until the server uses under IDLE_CPU_SHARE of a core, so that a backlog left by an
    overloaded phase (waitress still runs requests whose client gave up) does not spill into
    the next phase; at least SETTLE_SECONDS, then at most `max_wait_s`."""
    await asyncio.sleep(SETTLE_SECONDS)
    deadline = time.monotonic() + max_wait_s
    while time.monotonic() < deadline:
        before = process_cpu_s(pid)
        await asyncio.sleep(IDLE_SAMPLE_S)
        after = process_cpu_s(pid)
        if before is None or after is None or (after - before) / IDLE_SAMPLE_S < IDLE_CPU_SHARE:
            return
    print(f"the server is still busy after {max_wait_s:g} s; starting anyway", file=sys.stderr)


def report_progress(label: str, result: PhaseResult) -> None:
    summary = result.summary()
    print(
        f"{label} {result.rate} req/s x {result.seconds:g}s: {summary['requests']} requests, "
        f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, errors {result.errors}"
        f"{' ' + str(summary['errors_by_kind']) if result.errors else ''}; "
        f"server CPU {summary['server_cpu_percent']}% of a core "
        f"({summary['server_cpu_ms_per_request']} ms/req), "
        f"client {summary['client_cpu_percent']}%, "
        f"{summary['redis_commands_per_request']} Redis commands/req",
        file=sys.stderr,
    )


async def run_phases(bench: Bench, arguments: argparse.Namespace, started: float) -> dict[str, Any]:
    # Warm-up, not measured: Bolt's first request calls auth.test on the fake Slack, imports
    # happen lazily, and connections are opened.
    await bench.phase(WARM_UP_RATE, WARM_UP_SECONDS, "warm-up")
    phases = [await bench.phase(rate, arguments.seconds, "phase") for rate in PHASE_RATES]
    ramp: list[PhaseResult] = []
    stopped_by = "cap"
    rate = RAMP_START
    while rate <= RAMP_MAX:
        elapsed = time.monotonic() - started
        step_cost = arguments.ramp_seconds + SETTLE_SECONDS + STEP_OVERHEAD_S
        if arguments.quick and elapsed + step_cost > QUICK_BUDGET_SECONDS:
            stopped_by = "time_budget"
            break
        step = await bench.phase(rate, arguments.ramp_seconds, "ramp")
        ramp.append(step)
        if not step.passes():
            stopped_by = "errors" if step.errors else "p99"
            break
        rate += RAMP_STEP
    passing = [step.rate for step in ramp if step.passes()]
    # The ramp stops at its first failure, so the passing steps are the leading ones.
    max_rate = passing[-1] if passing else None
    report: dict[str, Any] = {}
    for result in phases:
        report[f"p50_ms_at_{result.rate}"] = rounded(result.p50_ms())
        report[f"p99_ms_at_{result.rate}"] = rounded(result.p99_ms())
        report[f"errors_at_{result.rate}"] = result.errors
    at_target = next(result for result in phases if result.rate == TARGET_RATE)
    report.update(
        max_rate_p99_under_100ms=max_rate,
        ramp_stopped_by=stopped_by,
        target_met=at_target.passes(),
        phases=[result.summary() for result in phases],
        ramp=[ramp_summary(step) for step in ramp],
    )
    return report


def ramp_summary(step: PhaseResult) -> dict[str, Any]:
    summary = step.summary()
    keys = ["rate", "seconds", "p50_ms", "p99_ms", "errors", "server_cpu_percent"]
    keys += ["client_cpu_percent", "waitress_queue_warnings"]
    return {**{key: summary[key] for key in keys}, "passed": step.passes()}


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    texts = load_article_texts(arguments.articles, ARTICLE_COUNT, ARTICLE_WORDS)
    with tempfile.TemporaryDirectory(prefix="newsbot-ack-bench-") as scratch:
        log_path = Path(scratch) / "serve.log"
        report, workload = run_with_processes(arguments, texts, log_path, started)
        log_text = read_log(log_path)
    depths = queue_depths(log_text)
    summarize_log(log_text)
    word_counts = [len(text.split()) for text in texts]
    report.update(
        server_log_tracebacks=log_text.count("Traceback"),
        server_log_lines=len(log_text.splitlines()),
        waitress_queue_warnings=len(depths),
        waitress_queue_depth_max=max(depths, default=0),
        waitress_connection_limit_warnings=log_text.count(CONNECTION_LIMIT),
        deadline_events=arguments.deadline_events,
        article_words_min=min(word_counts),
        article_words_max=max(word_counts),
        track_body_bytes_max=max(len(body) for body in workload.track_bodies),
        phase_seconds=arguments.seconds,
        ramp_seconds=arguments.ramp_seconds,
        connections_max=arguments.connections,
        timeout_s=arguments.timeout,
        cpu_count=os.cpu_count(),
        targets={"rate": TARGET_RATE, "p99_ms_under": TARGET_P99_MS, "errors": 0},
        total_seconds=round(time.monotonic() - started, 1),
        quick=arguments.quick,
    )
    return report


def run_with_processes(
    arguments: argparse.Namespace, texts: Sequence[str], log_path: Path, started: float
) -> tuple[dict[str, Any], Workload]:
    """Starts Redis, the fake Slack and the server, runs every phase, stops them again."""
    from bot.local_redis import LocalRedis, free_port
    from tests.fakes.slack_api import FakeSlack

    redis_server = LocalRedis().start()
    fake: FakeSlack | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        print(f"redis-server on {redis_server.url}", file=sys.stderr)
        fake = FakeSlack().start()
        workload = Workload(
            deadlines_body=form_body("deadlines"),
            track_bodies=tuple(form_body("track " + text) for text in texts),
            deadlines_text=seed_deadlines(redis_server.url, arguments.deadline_events),
        )
        port = free_port()
        server = start_server(redis_server.url, fake.base_url, port, log_path)
        print(f"newsbot serve on {HOST}:{port} (pid {server.pid})", file=sys.stderr)
        redis_client = redis.Redis.from_url(redis_server.url, decode_responses=True)
        bench = Bench(
            port=port, server=server, redis_client=redis_client, log_path=log_path,
            workload=workload, connections=arguments.connections, timeout_s=arguments.timeout,
            idle_wait_max_s=QUICK_IDLE_WAIT_MAX_S if arguments.quick else IDLE_WAIT_MAX_S,
        )  # fmt: skip
        try:
            report = asyncio.run(run_phases(bench, arguments, started))
        finally:
            redis_client.close()
        report.update(
            server_peak_rss_mb=process_peak_rss_mb(server.pid),
            slack_api_calls=len(fake.calls),
            fake_slack_internal_errors=len(fake.internal_errors),
        )
        return report, workload
    finally:
        if server is not None:
            stop_server(server)
        if fake is not None:
            fake.stop()
        redis_server.cleanup()


def report_fatal(message: str) -> int:
    """Says why nothing was measured, on stderr and as the JSON line; returns the exit status."""
    print(f"ack_bench: {message}", file=sys.stderr)
    print(json.dumps({"error": message}))
    return 2


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_PHASE_SECONDS:g} s per phase instead of {FULL_PHASE_SECONDS:g} s",
    )
    parser.add_argument("--seconds", type=float, default=None, help="seconds per phase")
    parser.add_argument(
        "--ramp-seconds",
        type=float,
        default=None,
        help=f"seconds per ramp step (default {RAMP_SECONDS:g}, --quick {QUICK_RAMP_SECONDS:g})",
    )
    parser.add_argument(
        "--connections", type=int, default=MAX_CONNECTIONS, help="keep-alive connections at most"
    )
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT_S, help="seconds before a request is an error"
    )
    parser.add_argument(
        "--deadline-events",
        type=int,
        default=DEADLINE_EVENTS,
        help="open events seeded in the channel that `/news deadlines` lists",
    )
    parser.add_argument(
        "--articles", type=Path, default=DEFAULT_ARTICLES, help="news articles JSONL file"
    )
    arguments = parser.parse_args(argv)
    if arguments.seconds is None:
        arguments.seconds = QUICK_PHASE_SECONDS if arguments.quick else FULL_PHASE_SECONDS
    if arguments.ramp_seconds is None:
        arguments.ramp_seconds = QUICK_RAMP_SECONDS if arguments.quick else RAMP_SECONDS
    if arguments.seconds <= 0 or arguments.ramp_seconds <= 0 or arguments.timeout <= 0:
        parser.error("--seconds, --ramp-seconds and --timeout must be positive")
    if arguments.connections < 1 or arguments.deadline_events < 0:
        parser.error("--connections must be at least 1 and --deadline-events at least 0")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    from bot.errors import NewsbotError

    arguments = parse_arguments(argv)
    try:
        report = run(arguments)
    except (BenchSetupError, NewsbotError, OSError, redis.RedisError) as error:
        # NewsbotError: LocalRedis found no redis-server, or it did not start.
        return report_fatal(str(error))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
