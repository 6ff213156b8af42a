"""A real `newsbot serve` process for tests that speak signed HTTP to it, with its log at hand.

Shared by the fuzzing and the security tests: start the web process against a private Redis
and the fake Slack, sign requests the way Slack does (v0 HMAC of `v0:{ts}:{body}`), and take
a snapshot of the whole Redis keyspace to show that a request changed nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import urlencode

import redis

from bot.local_redis import free_port

ROOT = Path(__file__).resolve().parent.parent
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# What a crash leaves in the web process's output: a Python traceback, waitress's note that
# the app raised, or the Bolt error handler's event.
CRASH_MARKS = ("Traceback", "Exception while serving", "handler_failed")


def signature(body: bytes, stamp: int | str, secret: str) -> str:
    digest = hmac.new(secret.encode(), b"v0:%s:%s" % (str(stamp).encode(), body), hashlib.sha256)
    return f"v0={digest.hexdigest()}"


class WebProcess:
    """`python -m bot.cli serve` on a free loopback port; its stdout and stderr go to `log`."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.log = log
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._read_up_to = 0
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def for_slack(
        cls, log: Path, *, redis_url: str, slack_url: str, secret: str, bot_token: str,
        log_level: str = "INFO", **extra: str,
    ) -> WebProcess:  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS"))}
        env.update(REDIS_URL=redis_url, SLACK_BOT_TOKEN=bot_token, SLACK_SIGNING_SECRET=secret,
                   SLACK_API_URL=slack_url, LOG_LEVEL=log_level, **extra)  # fmt: skip
        return cls(log, env)

    def __enter__(self) -> Self:
        with self.log.open("wb") as sink:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self._process.kill()
        raise AssertionError("newsbot serve did not come up: " + self.log.read_text())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=15)

    def new_output(self) -> str:
        """What the process wrote since the last call."""
        with self.log.open("rb") as source:
            source.seek(self._read_up_to)
            data = source.read()
        self._read_up_to += len(data)
        return data.decode("utf-8", errors="replace")

    def post(self, body: bytes | str, content_type: str = FORM, **signing: Any) -> tuple[int, str]:
        return post(self.base, body, content_type, **signing)


def post(
    base: str, body: bytes | str, content_type: str = FORM, *, secret: str,
    stamp: int | None = None, headers: dict[str, str] | None = None, sign: bool = True,
) -> tuple[int, str]:  # fmt: skip
    """POST to `base`/slack/events, signed with `secret` at `stamp` (now) unless `sign` is off;
    `headers` are sent last, so they can replace the signature's."""
    raw = body.encode() if isinstance(body, str) else body
    stamp = int(time.time()) if stamp is None else stamp
    sent = {"Content-Type": content_type}
    if sign:
        sent |= {"X-Slack-Request-Timestamp": str(stamp),
                 "X-Slack-Signature": signature(raw, stamp, secret)}  # fmt: skip
    sent |= headers or {}
    request = urllib.request.Request(f"{base}/slack/events", data=raw, method="POST", headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return int(response.status), response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", errors="replace")


def command_body(text: str, *, team: str, channel: str, user: str = "U1") -> str:
    """A `/news` slash command as Slack posts it."""
    return urlencode({
        "token": "legacy", "team_id": team, "team_domain": "example", "channel_id": channel,
        "channel_name": "news", "user_id": user, "user_name": "someone", "command": "/news",
        "text": text, "api_app_id": "A1", "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.2.3",
    })  # fmt: skip


def interaction_body(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


def keyspace(client: redis.Redis) -> dict[bytes, bytes]:
    """Every key with its DUMP: equal snapshots mean nothing was written."""
    keys = sorted(cast(list[bytes], client.keys("*")))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.dump(key)
    return dict(zip(keys, pipe.execute(), strict=True))


def settled_keyspace(client: redis.Redis, grace_s: float = 0.05) -> dict[bytes, bytes]:
    """The keyspace once listeners that Bolt runs after its ack (events, buttons) are done.

    Bolt answers an event or a click before its listener runs; the listener's writes land a few
    milliseconds later. Wait a grace period, then until two snapshots 20 ms apart agree.
    """
    time.sleep(grace_s)
    before = keyspace(client)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        time.sleep(0.02)
        after = keyspace(client)
        if after == before:
            return after
        before = after
    return before
