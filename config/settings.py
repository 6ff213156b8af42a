"""Settings read once from the environment (and a `.env` file, when present)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _split_list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the processes read from the environment. Secrets never appear in repr."""

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    redis_url: str | None = None
    default_zone: str = "UTC"
    quiet_hours: str = "20-8"
    seeds_dir: Path = Path("seeds")
    log_level: str = "INFO"
    worker_id: str = ""
    dispatch_interval_s: float = 1.0
    lease_s: int = 60
    stale_days: int = 7
    channel_spacing_ms: int = 1000
    slack_timeout_s: int = 10
    # Test-only fault injection: the worker exits abruptly right after its Nth post,
    # before recording it, to prove a restart does not post twice.
    fault_exit_after_posts: int = 0
    # Test-only: networks (CIDR) the fetcher may reach even though they are not public, so
    # integration tests can fetch from a local server. Empty in production.
    fetch_allow_networks: tuple[str, ...] = ()
    # How often a worker looks for feeds due a poll (each feed has its own interval).
    feed_tick_s: float = 15.0
    # The worker's /healthz, /readyz and /metrics (0: not served). The web process serves
    # them on its own port. 0.0.0.0 so a scraper on another host can reach them.
    metrics_port: int = 0
    # A job a worker took and did not finish (it died, or Slack or Redis failed for a moment)
    # is handed to another worker after this long.
    job_reclaim_ms: int = 60_000
    # After SIGTERM the web process reports not ready and keeps serving this long, so a load
    # balancer that polls /readyz stops sending requests before it stops listening.
    shutdown_grace_s: float = 0.0
    metrics_host: str = "0.0.0.0"

    @property
    def offline(self) -> bool:
        """No Slack credentials: run on the seeds and print instead of posting."""
        return not (self.slack_bot_token and self.slack_signing_secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        merged = _read_dotenv(dotenv or Path(".env"))
        merged.update(os.environ if env is None else env)
        return cls(
            slack_bot_token=merged.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=merged.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=merged.get("SLACK_APP_TOKEN") or None,
            slack_api_url=merged.get("SLACK_API_URL") or cls.slack_api_url,
            redis_url=merged.get("REDIS_URL") or None,
            default_zone=merged.get("NEWSBOT_DEFAULT_TZ") or cls.default_zone,
            quiet_hours=merged.get("NEWSBOT_QUIET_HOURS") or cls.quiet_hours,
            seeds_dir=Path(merged.get("NEWSBOT_SEEDS_DIR") or cls.seeds_dir),
            log_level=merged.get("LOG_LEVEL") or cls.log_level,
            worker_id=merged.get("NEWSBOT_WORKER_ID") or "",
            dispatch_interval_s=float(merged.get("NEWSBOT_DISPATCH_INTERVAL") or 1.0),
            lease_s=int(merged.get("NEWSBOT_LEASE_SECONDS") or 60),
            stale_days=int(merged.get("NEWSBOT_STALE_DAYS") or 7),
            channel_spacing_ms=int(merged.get("NEWSBOT_CHANNEL_SPACING_MS") or 1000),
            slack_timeout_s=int(merged.get("NEWSBOT_SLACK_TIMEOUT") or 10),
            fault_exit_after_posts=int(merged.get("NEWSBOT_FAULT_EXIT_AFTER_POSTS") or 0),
            fetch_allow_networks=_split_list(merged.get("NEWSBOT_TEST_ALLOW_FETCH_NETWORKS")),
            feed_tick_s=float(merged.get("NEWSBOT_FEED_TICK_SECONDS") or 15.0),
            metrics_port=int(merged.get("NEWSBOT_METRICS_PORT") or 0),
            job_reclaim_ms=int(merged.get("NEWSBOT_JOB_RECLAIM_MS") or 60_000),
            shutdown_grace_s=float(merged.get("NEWSBOT_SHUTDOWN_GRACE_SECONDS") or 0),
            metrics_host=merged.get("NEWSBOT_METRICS_HOST") or cls.metrics_host,
        )
