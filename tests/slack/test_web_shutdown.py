"""`newsbot serve` on SIGTERM: readiness turns 503 at once, requests are still answered during
the grace period, then the process exits 0 without a traceback."""

from __future__ import annotations

import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.local_redis import LocalRedis
from tests.fakes.slack_api import FakeSlack
from tests.signed_http import WebProcess, command_body

SECRET = "shutdown-test-secret"


def _ready(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_sigterm_drains_then_stops(redis_server: LocalRedis, tmp_path: Path) -> None:
    with FakeSlack() as slack:
        web = WebProcess.for_slack(
            tmp_path / "web.log", redis_url=redis_server.url, slack_url=slack.base_url,
            secret=SECRET, bot_token="xoxb-test", NEWSBOT_SHUTDOWN_GRACE_SECONDS="3",
        )  # fmt: skip
        with web:
            assert _ready(web.base) == 200
            process = web._process
            assert process is not None
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _ready(web.base) != 503:
                assert time.monotonic() < deadline, "readiness did not turn 503"
                time.sleep(0.05)
            body = command_body("help", team="T1", channel="C1")
            status, reply = web.post(body, secret=SECRET)
            assert status == 200 and "/news" in reply  # still served while draining
            assert process.wait(timeout=20) == 0
        log = web.log.read_text()
        assert '"web_draining"' in log and '"web_stopped"' in log
        assert "Traceback" not in log
