"""The Slack Web API adapter: posts alerts and finds earlier posts by their metadata.

Only 429s are retried inside slack_sdk (it waits out Retry-After): a 429 means nothing was
posted. A server error or a timeout may have posted, so those come back to the dispatcher as
transient failures, and the retry looks for the post before posting again.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.blocks import METADATA_EVENT_TYPE, SlackMessage
from bot.dispatch import PERMANENT_ERRORS, PostResult
from bot.reminders import Reminder

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def make_client(
    token: str, base_url: str, timeout: int = 10, rate_limit_retries: int = 2
) -> WebClient:
    # Only 429s are retried here (nothing was posted); slack_sdk's default retry of a dropped
    # connection could post twice, so it is not installed.
    handlers: list[RetryHandler] = []
    if rate_limit_retries:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries))
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=handlers)


def is_transient(error: BaseException) -> bool:
    """A Slack or network failure that may pass: a 429, a 5xx, a timeout, a dropped line.
    Whether anything was done before it is not known, so a retry looks before acting."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = str(error.response.get("error", ""))
        return status == 429 or status >= 500 or code in TRANSIENT_ERRORS
    return isinstance(error, (TimeoutError, urllib.error.URLError, ConnectionError))


class SlackPoster:
    """chat.postMessage in a thread, and the metadata search that makes retries safe."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, channel: str, thread_ts: str, message: SlackMessage) -> PostResult:
        try:
            response = self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts or None,
                text=message.text,
                blocks=message.blocks,
                metadata=message.metadata or None,
                unfurl_links=False,
            )
        except SlackApiError as error:
            code = str(error.response.get("error", "")) or f"http_{error.response.status_code}"
            status = error.response.status_code
            transient = status == 429 or status >= 500 or code in TRANSIENT_ERRORS
            if code in PERMANENT_ERRORS:
                transient = False
            retry_after = None
            if status == 429:
                headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
                header = headers.get("retry-after") or "1"
                retry_after = int(header[0] if isinstance(header, list) else header)
            return PostResult(ok=False, error=code, transient=transient, retry_after=retry_after)
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            return PostResult(ok=False, error=f"network: {error}", transient=True)
        return PostResult(ok=True, ts=str(response.get("ts", "")))

    def find_posted(
        self, channel: str, thread_ts: str, reminder: Reminder, since: datetime
    ) -> str | None:
        """The ts of an earlier post of this reminder (same id and generation), if any."""
        try:
            return find_by_metadata(
                self._client, channel, thread_ts, lambda m: _carries(m, reminder),
                oldest=f"{since.timestamp():.6f}",
            )  # fmt: skip
        except SlackApiError as error:
            if error.response.get("error") in PERMANENT_ERRORS:
                return None
            raise


MAX_PAGES = 100  # pages of 200 messages: far beyond any one thread or recent history


def find_by_metadata(
    client: WebClient,
    channel: str,
    thread_ts: str,
    wanted: Callable[[dict[str, Any]], bool],
    oldest: str = "0",
) -> str | None:
    """The ts of the first message in the thread (or, without one, the channel) since `oldest`
    that `wanted` accepts, reading every page. A thread whose parent is gone is looked for in
    the channel. Other Slack errors are raised."""
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        try:
            if thread_ts:
                response = client.conversations_replies(
                    channel=channel, ts=thread_ts, limit=200, cursor=cursor,
                    include_all_metadata=True, oldest=oldest,
                )  # fmt: skip
            else:
                response = client.conversations_history(
                    channel=channel, limit=200, cursor=cursor,
                    include_all_metadata=True, oldest=oldest,
                )  # fmt: skip
        except SlackApiError as error:
            if thread_ts and error.response.get("error") == "thread_not_found":
                return find_by_metadata(client, channel, "", wanted, oldest)
            raise
        messages: list[dict[str, Any]] = response.get("messages") or []
        for message in messages:
            if wanted(message):
                return str(message.get("ts"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    return None


def metadata_of(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A message's metadata event type and payload ("" and {} when it has none)."""
    metadata = message.get("metadata") or {}
    return str(metadata.get("event_type", "")), metadata.get("event_payload") or {}


def _carries(message: dict[str, Any], reminder: Reminder) -> bool:
    event_type, payload = metadata_of(message)
    generation = reminder.generation or int(reminder.due.timestamp())
    return bool(
        event_type == METADATA_EVENT_TYPE
        and payload.get("reminder_id") == reminder.id
        and int(payload.get("generation", generation)) == generation
    )
