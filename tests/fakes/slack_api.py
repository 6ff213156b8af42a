"""A local fake of the Slack Web API, good enough for slack_sdk's ``WebClient``.

``FakeSlack`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (an ephemeral port) in a
background thread. Point a client at it with ``WebClient(token=..., base_url=fake.base_url)``;
every call is recorded, posted messages are stored per channel, and tests can script
failures (rate limits, 5xx, timeouts, Slack error strings) that are consumed in order.

Implemented methods: ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``,
``conversations.history``, ``conversations.replies`` and ``auth.test``; any other method
answers ``{"ok": false, "error": "unknown_method"}``.

Request bodies may be form-encoded, multipart or JSON (slack_sdk posts ``chat.*`` as JSON
and everything else as a form). ``blocks``, ``attachments`` and ``metadata`` arrive as
JSON-encoded strings in forms and as objects in JSON bodies; the fake decodes both, so
recorded params and stored messages always hold objects.

Usage::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert [post.text for post in fake.posts("C1")] == ["hi"]
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import email.parser
import email.policy
import json
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlsplit

LOOPBACK_HOST = "127.0.0.1"
API_PATH_PREFIX = "/api/"

BOT_USER_ID = "UBOT"
BOT_ID = "B1"
TEAM_ID = "T1"
APP_ID = "A1"

MAX_TEXT_LENGTH = 40_000
DEFAULT_PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 999
MICROS_PER_SECOND = 1_000_000
TS_STEP_MICROS = 100  # spacing of ts values when the fake counts from a fixed first_ts

# Fault kinds that are answered with an HTTP error status instead of HTTP 200 + ok=false.
HTTP_FAULT_STATUS = {"ratelimited": 429, "server_error": 500, "service_unavailable": 503}
HTTP_FAULT_ERROR = {
    "ratelimited": "ratelimited",
    "server_error": "internal_error",
    "service_unavailable": "service_unavailable",
}
TIMEOUT_FAULT = "timeout"

JSON_ENCODED_FIELDS = ("blocks", "attachments", "metadata")
TRUE_STRINGS = frozenset({"1", "true", "True", "TRUE", "yes"})
CURSOR_PREFIX = "next_ts:"

HANDLER_THREAD_JOIN_SECONDS = 5.0
SERVE_POLL_SECONDS = 0.05
SOCKET_TIMEOUT_SECONDS = 30.0


class RecordedCall(NamedTuple):
    """One request the fake received: ``(method, params, received_at)``.

    ``params`` holds the request arguments (query, form or JSON body) with JSON-encoded
    fields decoded and any ``token`` field removed; ``received_at`` is ``time.time()``.
    """

    method: str
    params: dict[str, Any]
    received_at: float


@dataclass
class PostedMessage:
    """A message stored by ``chat.postMessage`` (and possibly edited by ``chat.update``)."""

    channel: str
    ts: str
    text: str
    thread_ts: str | None
    blocks: list[Any] | None
    attachments: list[Any] | None
    metadata: dict[str, Any] | None  # {"event_type": ..., "event_payload": {...}}
    reply_broadcast: bool
    token: str
    received_monotonic: float
    received_at: float
    edited_ts: str | None = None

    @property
    def is_reply(self) -> bool:
        """True for a message posted into another message's thread."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def event_type(self) -> str | None:
        """The metadata's ``event_type``, if the message carried metadata."""
        return None if self.metadata is None else self.metadata.get("event_type")

    @property
    def event_payload(self) -> dict[str, Any] | None:
        """The metadata's ``event_payload``, if the message carried metadata."""
        return None if self.metadata is None else self.metadata.get("event_payload")


@dataclass(frozen=True)
class EphemeralMessage:
    """A message sent with ``chat.postEphemeral``; it never shows up in history."""

    channel: str
    user: str
    message_ts: str
    text: str
    thread_ts: str | None
    blocks: list[Any] | None
    token: str
    received_monotonic: float
    received_at: float


@dataclass
class _ScriptedFault:
    method: str  # a Slack method name, or "*" for any method
    kind: str
    remaining: int
    channel: str | None
    retry_after: int


@dataclass(frozen=True)
class _ApiRequest:
    method: str
    params: dict[str, Any]
    token: str
    received_at: float
    received_monotonic: float


class _ApiReply(NamedTuple):
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class _SlackError(Exception):
    """Raised by a method implementation to answer ``{"ok": false, "error": error}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _RequestBodyError(Exception):
    """The request body could not be parsed; ``error`` is the Slack error string."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


MethodImplementation = Callable[[_ApiRequest], dict[str, Any]]


class FakeSlack:
    """A threaded fake Slack Web API server bound to 127.0.0.1 on an ephemeral port.

    Programmable behaviour (all thread-safe, may be changed while clients are running):

    * ``fail_next(method, kind, count=1, channel=None, retry_after=1)`` scripts faults.
    * ``fail_channel(channel, error)`` fails every ``chat.postMessage`` to a channel.
    * ``latency`` seconds are added to every response; ``timeout_delay`` is how long a
      ``"timeout"`` fault stalls before answering.
    * ``random_faults(rate, seed)`` answers a share of all calls with 429 or 500; some of the
      500s to ``chat.postMessage`` come after the message was stored, as a real outage can.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        timeout_delay: float = 3.0,
        accepted_tokens: Iterable[str] | None = None,
        history_includes_replies: bool = True,
        first_ts: str | None = None,
    ) -> None:
        """Configure the fake; nothing listens until ``start()`` (or ``with``).

        Args:
            latency: seconds added before every response.
            timeout_delay: seconds a ``"timeout"`` fault stalls before answering normally.
            accepted_tokens: if given, any other token gets ``invalid_auth``.
            history_includes_replies: ``conversations.history`` also lists thread replies
                (True, the default). Real Slack lists only top-level messages, thread
                parents and ``reply_broadcast`` replies there; pass False for that.
            first_ts: count ts values from here in 100 µs steps (deterministic); by
                default ts values follow the wall clock, strictly increasing.
        """
        self.latency = latency
        self.timeout_delay = timeout_delay
        self._initial_latency = latency
        self._initial_timeout_delay = timeout_delay
        self._accepted_tokens = None if accepted_tokens is None else frozenset(accepted_tokens)
        self._history_includes_replies = history_includes_replies
        self._fixed_ts_start = None if first_ts is None else _parse_ts(first_ts)

        self._lock = threading.Lock()
        self._state_changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._last_ts_micros = 0
        self._calls: list[RecordedCall] = []
        self._posts: list[PostedMessage] = []
        self._ephemerals: list[EphemeralMessage] = []
        self._messages_by_channel: dict[str, list[PostedMessage]] = {}
        self._message_by_key: dict[tuple[str, str], PostedMessage] = {}
        self._reply_ts_by_thread: dict[tuple[str, str], list[str]] = {}
        self._ts_micros: dict[str, int] = {}
        self._faults: list[_ScriptedFault] = []
        self._channel_errors: dict[str, str] = {}
        self._internal_errors: list[str] = []
        self._fault_rate = 0.0
        self._applied_share = 0.0
        self._rng = random.Random(0)
        self.random_fault_counts: dict[str, int] = {}

        self._method_implementations: dict[str, MethodImplementation] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.conversations": self._users_conversations,
            "views.publish": self._views_publish,
        }
        self.memberships: dict[str, list[str]] = {}
        self.published_views: list[tuple[str, dict[str, Any]]] = []
        self._server: _FakeSlackHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1:0 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        self._stopping.clear()
        server = _FakeSlackHTTPServer(self)
        serve_thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_SECONDS},
            name=f"fake-slack-{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._serve_thread = server, serve_thread
        serve_thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and join every thread; safe to call twice.

        Requests still sleeping (``latency`` or a ``"timeout"`` fault) are abandoned
        without an answer.
        """
        server, serve_thread = self._server, self._serve_thread
        if server is None or serve_thread is None:
            return
        self._stopping.set()
        server.shutdown()
        serve_thread.join()
        server.server_close()
        server.join_handler_threads(HANDLER_THREAD_JOIN_SECONDS)
        self._server = self._serve_thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        exc_traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on (only while running)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``base_url`` for slack_sdk clients, e.g. ``http://127.0.0.1:54321/api/``."""
        return f"http://{LOOPBACK_HOST}:{self.port}{API_PATH_PREFIX}"

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        method: str,
        kind: str,
        count: int = 1,
        channel: str | None = None,
        retry_after: int = 1,
    ) -> None:
        """Make the next ``count`` matching calls of ``method`` (``"*"``: any) fail.

        ``kind`` is ``"ratelimited"`` (HTTP 429 + ``Retry-After: retry_after``),
        ``"server_error"`` (HTTP 500), ``"service_unavailable"`` (HTTP 503), ``"timeout"``
        (stall ``timeout_delay`` seconds, then handle the call normally) or any Slack
        error string (HTTP 200 with ``ok: false``). With ``channel``, only calls whose
        ``channel`` argument matches. Faults are consumed first-scripted first.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if not kind:
            raise ValueError("kind must be a fault kind or a Slack error string")
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
            # slack_sdk's RateLimitErrorRetryHandler does int(header): keep it integral.
            raise ValueError("retry_after must be a non-negative int of seconds")
        with self._lock:
            self._faults.append(_ScriptedFault(method, kind, count, channel, retry_after))

    def random_faults(self, rate: float, seed: int = 0, applied_share: float = 0.25) -> None:
        """From now on, answer ``rate`` of calls (auth.test aside) with HTTP 429 (Retry-After:
        1) or HTTP 500, half each; ``applied_share`` of the 500s to ``chat.postMessage`` are
        answered after the message was stored. ``rate=0`` turns this off."""
        if not 0 <= rate <= 1 or not 0 <= applied_share <= 1:
            raise ValueError("rate and applied_share are shares between 0 and 1")
        with self._lock:
            self._fault_rate = rate
            self._applied_share = applied_share
            self._rng = random.Random(seed)

    def _draw_random_fault(self, method: str) -> str | None:
        """'ratelimited', 'server_error', 'applied_server_error' or None (caller holds no lock)."""
        with self._lock:
            if self._fault_rate == 0 or method == "auth.test":
                return None
            if self._rng.random() >= self._fault_rate:
                return None
            kind = "ratelimited" if self._rng.random() < 0.5 else "server_error"
            if (
                kind == "server_error"
                and method == "chat.postMessage"
                and self._rng.random() < self._applied_share
            ):
                kind = "applied_server_error"
            self.random_fault_counts[kind] = self.random_fault_counts.get(kind, 0) + 1
            return kind

    def fail_channel(self, channel: str, error: str) -> None:
        """Answer ``error`` to every ``chat.postMessage`` to ``channel`` until cleared."""
        with self._lock:
            self._channel_errors[channel] = error

    def clear_channel_failure(self, channel: str) -> None:
        """Undo ``fail_channel`` for ``channel``."""
        with self._lock:
            self._channel_errors.pop(channel, None)

    @property
    def pending_fault_count(self) -> int:
        """How many scripted faults have not been consumed yet."""
        with self._lock:
            return sum(fault.remaining for fault in self._faults)

    def reset(self, *, forget_messages: bool = False) -> None:
        """Forget recorded calls and posts, scripted faults and channel failures.

        ``latency`` and ``timeout_delay`` go back to their constructor values. The
        workspace itself (what ``conversations.history``/``.replies`` return, and what
        ``chat.update`` can edit) survives unless ``forget_messages`` is true, so a test
        can post thread parents, reset, and then count only the posts it cares about.
        The ts counter keeps going either way, so ts values stay unique.
        """
        with self._lock:
            self._calls.clear()
            self._posts.clear()
            self._ephemerals.clear()
            self._faults.clear()
            self._channel_errors.clear()
            self._internal_errors.clear()
            self.latency = self._initial_latency
            self.timeout_delay = self._initial_timeout_delay
            if forget_messages:
                self._messages_by_channel.clear()
                self._message_by_key.clear()
                self._reply_ts_by_thread.clear()
                self._ts_micros.clear()

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[RecordedCall]:
        """Every request received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._calls)

    def calls_for(self, method: str) -> list[RecordedCall]:
        """The recorded calls of one method, in arrival order."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def posts(self, channel: str | None = None) -> list[PostedMessage]:
        """Copies of the messages stored by ``chat.postMessage`` since the last reset.

        In post order, with any later ``chat.update`` edits applied.
        """
        with self._lock:
            return [
                dataclasses.replace(post)
                for post in self._posts
                if channel is None or post.channel == channel
            ]

    def ephemerals(self, channel: str | None = None) -> list[EphemeralMessage]:
        """The recorded ``chat.postEphemeral`` messages in post order."""
        with self._lock:
            return [e for e in self._ephemerals if channel is None or e.channel == channel]

    def wait_for_posts(
        self, count: int, *, channel: str | None = None, timeout: float = 5.0
    ) -> list[PostedMessage]:
        """Block until at least ``count`` posts (to ``channel``) are stored; return them.

        Raises:
            TimeoutError: fewer posts arrived within ``timeout`` seconds.
        """

        def enough() -> bool:
            return sum(1 for p in self._posts if channel is None or p.channel == channel) >= count

        with self._state_changed:
            if not self._state_changed.wait_for(enough, timeout):
                raise TimeoutError(f"fewer than {count} posts to {channel or 'any channel'}")
        return self.posts(channel)

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of bugs inside the fake itself (answered with HTTP 500)."""
        with self._lock:
            return list(self._internal_errors)

    # ------------------------------------------------------------------ request flow

    def _serve(self, method: str, params: dict[str, Any], token: str) -> _ApiReply | None:
        """Answer one API call; None means "drop the connection" (the fake is stopping)."""
        request = _ApiRequest(method, params, token, time.time(), time.monotonic())
        with self._lock:
            self._calls.append(RecordedCall(method, params, request.received_at))
        latency = self.latency
        if latency > 0 and self._stopping.wait(latency):
            return None

        implementation = self._method_implementations.get(method)
        if implementation is None:
            return _ok_false("unknown_method", req_method=method)
        if not token:
            return _ok_false("not_authed")
        if self._accepted_tokens is not None and token not in self._accepted_tokens:
            return _ok_false("invalid_auth")

        fault = self._take_fault(method, params.get("channel"))
        drawn = None if fault is not None else self._draw_random_fault(method)
        if drawn == "applied_server_error":
            with contextlib.suppress(_SlackError):  # stored, or refused: the answer is 500
                implementation(request)
            return _ApiReply(500, {"ok": False, "error": HTTP_FAULT_ERROR["server_error"]}, {})
        if drawn is not None:
            fault = _ScriptedFault(method, drawn, 1, None, 1)
        if fault is not None:
            if fault.kind in HTTP_FAULT_STATUS:
                headers = {}
                if fault.kind == "ratelimited":
                    headers["Retry-After"] = str(fault.retry_after)
                return _ApiReply(
                    HTTP_FAULT_STATUS[fault.kind],
                    {"ok": False, "error": HTTP_FAULT_ERROR[fault.kind]},
                    headers,
                )
            if fault.kind == TIMEOUT_FAULT:
                if self._stopping.wait(self.timeout_delay):
                    return None
            else:
                return _ok_false(fault.kind)

        try:
            return _ApiReply(200, implementation(request), {})
        except _SlackError as error:
            return _ok_false(error.error)

    def _take_fault(self, method: str, channel: object) -> _ScriptedFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method not in (method, "*"):
                    continue
                if fault.channel is not None and fault.channel != channel:
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return dataclasses.replace(fault)
        return None

    def _record_internal_error(self, description: str) -> None:
        with self._lock:
            self._internal_errors.append(description)

    # ------------------------------------------------------------------ ts values

    def _allocate_ts(self) -> str:
        """A new ts, strictly greater than every earlier one (caller holds the lock)."""
        if self._fixed_ts_start is not None:
            candidate = max(self._fixed_ts_start, self._last_ts_micros + TS_STEP_MICROS)
        else:
            candidate = max(time.time_ns() // 1000, self._last_ts_micros + 1)
        self._last_ts_micros = candidate
        ts = _format_ts(candidate)
        self._ts_micros[ts] = candidate
        return ts

    # ------------------------------------------------------------------ methods

    def _auth_test(self, request: _ApiRequest) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-slack.invalid/",
            "team": "Fake Team",
            "user": "newsbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_conversations(self, request: _ApiRequest) -> dict[str, Any]:
        """The channels set in ``memberships[user]`` (tests decide who is where)."""
        user = str(request.params.get("user", ""))
        with self._lock:
            channels = list(self.memberships.get(user, []))
        return {
            "ok": True,
            "channels": [{"id": channel, "name": channel.lower()} for channel in channels],
            "response_metadata": {"next_cursor": ""},
        }

    def _views_publish(self, request: _ApiRequest) -> dict[str, Any]:
        user = _required_string(request.params, "user_id", "user_not_found")
        view = request.params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "home":
            raise _SlackError("invalid_arguments")
        if len(view.get("blocks", [])) > 100:
            raise _SlackError("invalid_blocks")
        with self._lock:
            self.published_views.append((user, view))
        return {"ok": True, "view": {"id": "V1", **view}}

    def _chat_post_message(self, request: _ApiRequest) -> dict[str, Any]:
        params = request.params
        channel = _required_string(params, "channel", "channel_not_found")
        with self._lock:
            channel_error = self._channel_errors.get(channel)
        if channel_error is not None:
            raise _SlackError(channel_error)
        text, blocks, attachments = _message_content(params)
        metadata = _metadata_param(params)
        thread_ts = _string_param(params, "thread_ts")
        with self._state_changed:
            if thread_ts is not None:
                parent = self._message_by_key.get((channel, thread_ts))
                if parent is not None and parent.is_reply:
                    thread_ts = parent.thread_ts  # Slack threads a reply-to-a-reply on the parent
            message = PostedMessage(
                channel=channel,
                ts=self._allocate_ts(),
                text=text,
                thread_ts=thread_ts,
                blocks=blocks,
                attachments=attachments,
                metadata=metadata,
                reply_broadcast=_bool_param(params, "reply_broadcast"),
                token=request.token,
                received_monotonic=request.received_monotonic,
                received_at=request.received_at,
            )
            self._posts.append(message)
            self._messages_by_channel.setdefault(channel, []).append(message)
            self._message_by_key[(channel, message.ts)] = message
            if message.is_reply and thread_ts is not None:
                self._reply_ts_by_thread.setdefault((channel, thread_ts), []).append(message.ts)
            message_json = self._message_json(message)
            self._state_changed.notify_all()
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message_json}

    def _chat_update(self, request: _ApiRequest) -> dict[str, Any]:
        params = request.params
        channel = _required_string(params, "channel", "channel_not_found")
        ts = _required_string(params, "ts", "message_not_found")
        text, blocks, attachments = _message_content(params)
        metadata = _metadata_param(params)
        with self._lock:
            message = self._message_by_key.get((channel, ts))
            if message is None:
                raise _SlackError("message_not_found")
            message.text = text
            if blocks is not None:
                message.blocks = blocks
            if attachments is not None:
                message.attachments = attachments
            if metadata is not None:
                message.metadata = metadata
            message.edited_ts = self._allocate_ts()
            message_json = self._message_json(message)
        return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": message_json}

    def _chat_post_ephemeral(self, request: _ApiRequest) -> dict[str, Any]:
        params = request.params
        channel = _required_string(params, "channel", "channel_not_found")
        user = _required_string(params, "user", "user_not_found")
        text, blocks, _attachments = _message_content(params)
        with self._lock:
            ephemeral = EphemeralMessage(
                channel=channel,
                user=user,
                message_ts=self._allocate_ts(),
                text=text,
                thread_ts=_string_param(params, "thread_ts"),
                blocks=blocks,
                token=request.token,
                received_monotonic=request.received_monotonic,
                received_at=request.received_at,
            )
            self._ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": ephemeral.message_ts}

    def _conversations_history(self, request: _ApiRequest) -> dict[str, Any]:
        params = request.params
        channel = _required_string(params, "channel", "channel_not_found")
        limit = _limit_param(params)
        inclusive = _bool_param(params, "inclusive")
        oldest = _ts_param(params, "oldest", "invalid_ts_oldest")
        latest = _ts_param(params, "latest", "invalid_ts_latest")
        cursor_micros = _cursor_param(params)
        with self._lock:
            newest_first: list[PostedMessage] = []
            for message in reversed(self._messages_by_channel.get(channel, [])):
                micros = self._ts_micros[message.ts]
                if message.is_reply and not (
                    self._history_includes_replies or message.reply_broadcast
                ):
                    continue
                if cursor_micros is not None and micros > cursor_micros:
                    continue
                if _within_bounds(micros, oldest, latest, inclusive=inclusive):
                    newest_first.append(message)
            page, rest = newest_first[:limit], newest_first[limit:]
            messages = [self._message_json(message) for message in page]
        return {
            "ok": True,
            "messages": messages,
            "has_more": bool(rest),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": _encode_cursor(rest[0].ts) if rest else ""},
        }

    def _conversations_replies(self, request: _ApiRequest) -> dict[str, Any]:
        params = request.params
        channel = _required_string(params, "channel", "channel_not_found")
        ts = _required_string(params, "ts", "thread_not_found")
        limit = _limit_param(params)
        inclusive = _bool_param(params, "inclusive")
        oldest = _ts_param(params, "oldest", "invalid_ts_oldest")
        latest = _ts_param(params, "latest", "invalid_ts_latest")
        cursor_micros = _cursor_param(params)
        with self._lock:
            parent = self._message_by_key.get((channel, ts))
            if parent is None:
                raise _SlackError("thread_not_found")
            thread = [parent]  # the parent leads the first page whatever oldest/latest say
            if not parent.is_reply:
                for reply_ts in self._reply_ts_by_thread.get((channel, ts), []):
                    micros = self._ts_micros[reply_ts]
                    if _within_bounds(micros, oldest, latest, inclusive=inclusive):
                        thread.append(self._message_by_key[(channel, reply_ts)])
            if cursor_micros is not None:
                thread = [m for m in thread if self._ts_micros[m.ts] >= cursor_micros]
            page, rest = thread[:limit], thread[limit:]
            messages = [self._message_json(message) for message in page]
        return {
            "ok": True,
            "messages": messages,
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _encode_cursor(rest[0].ts) if rest else ""},
        }

    def _message_json(self, message: PostedMessage) -> dict[str, Any]:
        """The message as Slack returns it (caller holds the lock)."""
        body: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": message.text,
            "ts": message.ts,
        }
        if message.blocks is not None:
            body["blocks"] = message.blocks
        if message.attachments is not None:
            body["attachments"] = message.attachments
        if message.is_reply:
            body["thread_ts"] = message.thread_ts
            body["parent_user_id"] = BOT_USER_ID
        else:
            reply_ts = self._reply_ts_by_thread.get((message.channel, message.ts))
            if reply_ts:
                body["thread_ts"] = message.ts
                body["reply_count"] = len(reply_ts)
                body["reply_users_count"] = 1
                body["latest_reply"] = reply_ts[-1]
                body["reply_users"] = [BOT_USER_ID]
        if message.metadata is not None:
            body["metadata"] = message.metadata
        if message.edited_ts is not None:
            body["edited"] = {"user": BOT_USER_ID, "ts": message.edited_ts}
        return body


# ---------------------------------------------------------------------- HTTP plumbing


class _FakeSlackHTTPServer(ThreadingHTTPServer):
    """One daemon thread per connection; handler threads are tracked so stop() joins them."""

    daemon_threads = True
    request_queue_size = 128  # bursts from several client processes must not overflow
    allow_reuse_address = False

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__((LOOPBACK_HOST, 0), _FakeSlackRequestHandler)
        self.fake = fake
        self._handler_threads: set[threading.Thread] = set()
        self._handler_threads_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._handle_in_thread, args=(request, client_address), daemon=True
        )
        with self._handler_threads_lock:
            self._handler_threads.add(thread)
        thread.start()

    def _handle_in_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._handler_threads_lock:
                self._handler_threads.discard(threading.current_thread())

    def join_handler_threads(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._handler_threads_lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the client went away (e.g. it timed out first): nothing to report
        self.fake._record_internal_error(traceback.format_exc())


class _FakeSlackRequestHandler(BaseHTTPRequestHandler):
    server: _FakeSlackHTTPServer
    timeout = SOCKET_TIMEOUT_SECONDS
    server_version = "FakeSlack/1.0"

    def do_POST(self) -> None:
        self._handle_api_call()

    def do_GET(self) -> None:
        self._handle_api_call()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: thousands of requests per minute must not flood stderr."""

    def _handle_api_call(self) -> None:
        url = urlsplit(self.path)
        if not url.path.startswith(API_PATH_PREFIX):
            self._send_json(_ApiReply(404, {"ok": False, "error": "not_found"}, {}))
            return
        method = url.path[len(API_PATH_PREFIX) :]
        fake = self.server.fake
        try:
            params, token = self._read_params(url.query)
            reply = fake._serve(method, params, token)
        except _RequestBodyError as error:
            reply = _ok_false(error.error)
        except Exception:
            fake._record_internal_error(traceback.format_exc())
            reply = _ApiReply(500, {"ok": False, "error": "fake_slack_internal_error"}, {})
        if reply is None:
            self.close_connection = True
            return
        self._send_json(reply)

    def _read_params(self, query: str) -> tuple[dict[str, Any], str]:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        content_type = self.headers.get_content_type()
        body_is_json = content_type == "application/json"
        if body:
            if body_is_json:
                params.update(_parse_json_body(body))
            elif content_type == "multipart/form-data":
                params.update(_parse_multipart_body(body, self.headers["Content-Type"]))
            else:
                params.update(_parse_form_body(body))
        token = _bearer_token(self.headers.get("Authorization"))
        form_token = params.pop("token", None)
        if not token and isinstance(form_token, str) and not body_is_json:
            token = form_token.strip()
        return _decode_json_fields(params), token

    def _send_json(self, reply: _ApiReply) -> None:
        payload = json.dumps(reply.body).encode("utf-8")
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (ConnectionError, TimeoutError):
            self.close_connection = True


# ---------------------------------------------------------------------- parsing helpers


def _ok_false(error: str, **extra: Any) -> _ApiReply:
    return _ApiReply(200, {"ok": False, "error": error, **extra}, {})


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        return ""
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _parse_json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _RequestBodyError("invalid_json") from error
    if not isinstance(parsed, dict):
        raise _RequestBodyError("invalid_json")
    return parsed


def _parse_form_body(body: bytes) -> dict[str, Any]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as error:
        raise _RequestBodyError("invalid_form_data") from error


def _parse_multipart_body(body: bytes, content_type: str) -> dict[str, Any]:
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(envelope)
    if not message.is_multipart():
        raise _RequestBodyError("invalid_form_data")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        fields[name] = content if part.get_filename() else content.decode("utf-8", "replace")
    return fields


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    """Decode ``blocks``/``attachments``/``metadata`` sent as JSON strings; keep the rest."""
    for name in JSON_ENCODED_FIELDS:
        value = params.get(name)
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except json.JSONDecodeError:
                continue  # left as a string; the method answers the format error
            if isinstance(decoded, dict | list):
                params[name] = decoded
    return params


def _string_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _required_string(params: dict[str, Any], name: str, error: str) -> str:
    value = _string_param(params, name)
    if value is None:
        raise _SlackError(error)
    return value


def _bool_param(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return isinstance(value, str) and value in TRUE_STRINGS


def _limit_param(params: dict[str, Any]) -> int:
    value = params.get("limit")
    if value is None or value == "":
        return DEFAULT_PAGE_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError) as error:
        raise _SlackError("invalid_limit") from error
    if limit <= 0:
        return DEFAULT_PAGE_LIMIT
    return min(limit, MAX_PAGE_LIMIT)


def _ts_param(params: dict[str, Any], name: str, error: str) -> int | None:
    value = _string_param(params, name)
    if value is None:
        return None
    try:
        return _parse_ts(value)
    except ValueError as parse_error:
        raise _SlackError(error) from parse_error


def _within_bounds(micros: int, oldest: int | None, latest: int | None, *, inclusive: bool) -> bool:
    """Whether a ts lies between ``oldest`` and ``latest`` (exclusive unless ``inclusive``)."""
    if oldest is not None and (micros < oldest or (micros == oldest and not inclusive)):
        return False
    return latest is None or micros < latest or (micros == latest and inclusive)


def _cursor_param(params: dict[str, Any]) -> int | None:
    cursor = _string_param(params, "cursor")
    if cursor is None:
        return None
    try:
        decoded = base64.b64decode(cursor, validate=True).decode("ascii")
        if not decoded.startswith(CURSOR_PREFIX):
            raise ValueError(cursor)
        return _parse_ts(decoded[len(CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise _SlackError("invalid_cursor") from error


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}{ts}".encode("ascii")).decode("ascii")


def _message_content(
    params: dict[str, Any],
) -> tuple[str, list[Any] | None, list[Any] | None]:
    """``(text, blocks, attachments)`` of a chat.* call; ``no_text`` if all are missing."""
    text = _string_param(params, "text") or _string_param(params, "markdown_text") or ""
    blocks = _json_list_param(params, "blocks", "invalid_blocks_format")
    attachments = _json_list_param(params, "attachments", "invalid_attachments")
    if not text and not blocks and not attachments:
        raise _SlackError("no_text")
    if len(text) > MAX_TEXT_LENGTH:
        raise _SlackError("msg_too_long")
    return text, blocks, attachments


def _json_list_param(params: dict[str, Any], name: str, error: str) -> list[Any] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, list):
        raise _SlackError(error)
    return value


def _metadata_param(params: dict[str, Any]) -> dict[str, Any] | None:
    value = params.get("metadata")
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise _SlackError("invalid_metadata_format")
    event_type = value.get("event_type")
    event_payload = value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(event_payload, dict):
        raise _SlackError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": event_payload}


def _parse_ts(value: str) -> int:
    """A Slack ts (``"1700000000.000100"``, ``"0"``, ``"1700000000"``) in microseconds."""
    try:
        seconds = Decimal(value.strip())
    except InvalidOperation as error:
        raise ValueError(f"not a Slack ts: {value!r}") from error
    if not seconds.is_finite() or seconds < 0:
        raise ValueError(f"not a Slack ts: {value!r}")
    return int(seconds * MICROS_PER_SECOND)


def _format_ts(micros: int) -> str:
    seconds, fraction = divmod(micros, MICROS_PER_SECOND)
    return f"{seconds}.{fraction:06d}"
