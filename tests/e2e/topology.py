"""The production layout on one machine, for the scale suite and the soak benchmark.

A Redis Cluster of 3 masters, N `newsbot serve` processes behind a round-robin balancer (this
module plays the balancer), M `newsbot worker` processes and the fake Slack, all on loopback.
Processes are started the way the README tells operators to start them, with their logs in
files; workers can be killed with SIGKILL and replaced, and a web process can be rolled the
way the README's deploy steps say: out of rotation, drained, stopped, started, ready, back.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.local_redis import LocalCluster, free_port
from tests.signed_http import signature

ROOT = Path(__file__).resolve().parent.parent.parent
# Distinctive values, so a log line that carries one is easy to find.
BOT_TOKEN = "xoxb-e2e-0000-SECRET-bot-token-7f3a"
SIGNING_SECRET = "e2e-SECRET-signing-9c41d2"


@dataclass
class Child:
    """One `newsbot` process with its log file and, for the readiness probe, its port."""

    name: str
    kind: str  # "web" | "worker"
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Answer:
    """What the balancer got back for one request."""

    status: int
    body: dict[str, Any]
    seconds: float
    web: str


@dataclass
class Balancer:
    """Round-robin over the web processes in rotation; a refused connection goes to the next
    one, as a load balancer's retry on connect failure does (nothing reached the app)."""

    rotation: list[Child] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    turn: itertools.count[int] = field(default_factory=itertools.count)

    def pick(self, skip: set[str]) -> Child:
        with self.lock:
            choices = [c for c in self.rotation if c.name not in skip]
            if not choices:
                raise ConnectionError("no web process in rotation")
            child = choices[next(self.turn) % len(choices)]
            self.in_flight[child.name] = self.in_flight.get(child.name, 0) + 1
            return child

    def done(self, child: Child) -> None:
        with self.lock:
            self.in_flight[child.name] -= 1

    def busy(self, name: str) -> int:
        with self.lock:
            return self.in_flight.get(name, 0)


def sign(body: bytes, secret: str = SIGNING_SECRET, at: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(body, stamp, secret),
        "Content-Type": "application/x-www-form-urlencoded",
    }


class Topology:
    """Start, stop, kill and roll the processes; send signed slash commands through the
    balancer."""

    def __init__(
        self,
        workdir: Path,
        slack_url: str,
        *,
        webs: int = 2,
        workers: int = 3,
        masters: int = 3,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.cluster = LocalCluster(masters=masters)
        self.balancer = Balancer()
        self.webs: dict[str, Child] = {}
        self.workers: dict[str, Child] = {}
        self.retired: list[Child] = []
        self._web_count, self._worker_count = webs, workers
        self._generation = itertools.count(1)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS"))}
        base.update(
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack_url, LOG_LEVEL="INFO", NEWSBOT_METRICS_HOST="127.0.0.1",
            NEWSBOT_LEASE_SECONDS="6", NEWSBOT_DISPATCH_INTERVAL="0.25",
            NEWSBOT_JOB_RECLAIM_MS="4000", PYTHONUNBUFFERED="1",
        )  # fmt: skip
        base.update(env or {})
        self._env = base

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Topology:
        self.cluster.start()
        self._env["REDIS_URL"] = self.cluster.url
        for n in range(1, self._web_count + 1):
            self.start_web(f"web{n}")
        for _ in range(self._worker_count):
            self.start_worker()
        for child in [*self.webs.values(), *self.workers.values()]:
            self.wait_ready(child)
        self.balancer.rotation = list(self.webs.values())
        return self

    def _spawn(
        self, name: str, kind: str, port: int, argv: list[str], env: dict[str, str]
    ) -> Child:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *argv], cwd=ROOT, env=env,
                stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return Child(name, kind, port, process, log)

    def start_web(self, name: str, port: int | None = None) -> Child:
        port = port or free_port()
        argv = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        child = self._spawn(name, "web", port, argv, dict(self._env))
        self.webs[name] = child
        return child

    def start_worker(self) -> Child:
        """A new worker with a new identity (a restarted pod gets a new name too)."""
        name = f"worker{next(self._generation)}"
        port = free_port()
        env = {**self._env, "NEWSBOT_WORKER_ID": name, "NEWSBOT_METRICS_PORT": str(port)}
        child = self._spawn(name, "worker", port, ["worker"], env)
        self.workers[name] = child
        return child

    def wait_ready(self, child: Child, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise AssertionError(f"{child.name} exited: {child.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{child.base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(
            f"{child.name} not ready in {timeout}s: {child.log.read_text()[-3000:]}"
        )

    def kill_worker(self, name: str) -> None:
        """SIGKILL: no cleanup, leases and stream entries left behind, as a crash leaves them."""
        child = self.workers.pop(name)
        child.process.send_signal(signal.SIGKILL)
        child.process.wait()
        child.killed = True
        self.retired.append(child)

    def roll_web(self, name: str, drain_timeout: float = 30) -> None:
        """The README's deploy step for one web process."""
        child = self.webs[name]
        with self.balancer.lock:
            self.balancer.rotation = [c for c in self.balancer.rotation if c.name != name]
        deadline = time.monotonic() + drain_timeout
        while self.balancer.busy(name) and time.monotonic() < deadline:
            time.sleep(0.05)
        child.process.send_signal(signal.SIGTERM)
        child.process.wait(timeout=30)
        self.retired.append(child)
        fresh = self.start_web(name, port=child.port)  # its log file is appended to
        self.wait_ready(fresh)
        with self.balancer.lock:
            self.balancer.rotation = [*self.balancer.rotation, fresh]

    def stop(self) -> None:
        children = [*self.webs.values(), *self.workers.values()]
        for child in children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
                child.killed = True
        self.retired.extend(children)
        self.webs, self.workers = {}, {}
        self.cluster.cleanup()

    def all_children(self) -> list[Child]:
        return [*self.retired, *self.webs.values(), *self.workers.values()]

    def exit_codes(self) -> dict[str, int | None]:
        return {c.name + f"#{i}": c.process.returncode for i, c in enumerate(self.retired)}

    # ------------------------------------------------------------------ requests

    def command(self, team: str, channel: str, user: str, text: str) -> Answer:
        form = {
            "command": "/news", "text": text, "team_id": team, "channel_id": channel,
            "user_id": user, "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": f"trg-{time.monotonic_ns()}",
        }  # fmt: skip
        return self.post(urlencode(form).encode())

    def post(self, body: bytes) -> Answer:
        tried: set[str] = set()
        while True:
            child = self.balancer.pick(tried)
            started = time.perf_counter()
            request = urllib.request.Request(
                f"{child.base}/slack/events", data=body, headers=sign(body), method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    raw = response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                raw, status = error.read(), error.code
            except urllib.error.URLError as error:
                if isinstance(error.reason, ConnectionRefusedError):
                    tried.add(child.name)  # not listening: nothing was delivered, try another
                    continue
                raise
            finally:
                self.balancer.done(child)
            seconds = time.perf_counter() - started
            try:
                parsed = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                parsed = {"raw": raw.decode(errors="replace")}
            return Answer(status, parsed if isinstance(parsed, dict) else {}, seconds, child.name)


def log_problems(children: list[Child], secrets: tuple[str, ...]) -> list[str]:
    """Every log line is JSON; an error carries its traceback; no secret appears anywhere.

    The last line of a SIGKILLed process may be cut short; that one is not held against it.
    """
    problems: list[str] = []
    seen: set[Path] = set()
    for child in children:
        if child.log in seen:
            continue
        seen.add(child.log)
        lines = child.log.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            where = f"{child.log.name}:{number}"
            problems += [f"{where}: a secret is logged" for s in secrets if s in line]
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if not (child.killed and number == len(lines)):
                    problems.append(f"{where}: not a JSON log line: {line[:200]}")
                continue
            level = str(record.get("level", "")).lower()
            if level in ("error", "critical", "exception") and "Traceback" not in str(
                record.get("exception", "")
            ):
                problems.append(f"{where}: an error without a traceback: {line[:300]}")
    return problems
