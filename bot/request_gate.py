"""What may reach Bolt from `/slack/events`: a signed request whose body has Slack's shape.

Bolt 1.x reads a request before it checks the signature, and trusts Slack's schema while it
routes: a body that is not UTF-8, a timestamp header that is not a number, a signature with a
non-ASCII character, an `event` that is a list or null, `actions: []`, an action without an
`action_id`, a `team` that is a number, a view without a type or a `workflow_step_edit` without
its step raise inside Bolt, which answers 500 and logs a traceback (for the first three, to
anybody who can reach the port). `bot.web.parse_slack_body` already turns unreadable JSON into
an empty body; the shapes above get past it.

`gate` checks the signature first (401), then the shape (400, logged as one line without a
traceback), and hands the request on unchanged; Bolt checks the signature again.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import structlog

log = structlog.get_logger(__name__)

REPLAY_WINDOW_S = 5 * 60  # Slack's advice, and Bolt's
MAX_DEPTH = 6  # body.event.message.user is as deep as the checked objects go
# Fields that are a string (or null) wherever Slack sends them in the objects checked below.
_STRINGS = ("type", "id", "team_id", "user_id", "channel_id", "enterprise_id", "api_app_id",
            "event_id", "callback_id", "trigger_id", "action_id", "block_id", "ts", "thread_ts",
            "event_ts", "message_ts", "subtype", "tab", "challenge", "response_url", "user_team",
            "app_installed_team_id", "function_execution_id", "bot_access_token")  # fmt: skip
_REFERENCES = ("team", "user", "channel", "enterprise")  # an id, or an object with its "id"
_OBJECTS = ("message", "previous_message", "container", "item", "assistant_thread",
            "function_data", "workflow_step", "state")  # fmt: skip
_LISTS = ("authorizations", "actions", "response_urls")
# Interaction types whose routing in Bolt reads body["callback_id"] without looking.
_NEEDS_CALLBACK = ("shortcut", "message_action", "interactive_message", "dialog_submission",
                   "dialog_cancellation", "workflow_step_edit")  # fmt: skip
_JSON_RESPONSE = [("Content-Type", "application/json")]


def _signature(body: bytes, timestamp: str, secret: bytes) -> str:
    digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def read_body(raw: bytes, content_type: str) -> dict[str, Any] | None:
    """The body as Bolt would read it (JSON, or a form with or without `payload`), or None."""
    try:
        text = raw.decode("utf-8")
        if not text:
            return {}
        if content_type.split(";", maxsplit=1)[0] == "application/json" or text.startswith("{"):
            parsed = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):  # not UTF-8, bad JSON, a bad form, `[[[[…`
        return None
    return parsed if isinstance(parsed, dict) else None


def malformed(body: dict[str, Any]) -> str | None:
    """Why `body` is not something Slack sends, for the fields Bolt and the handlers read."""
    if problem := _fields(body, "body"):
        return problem
    kind = body.get("type")
    if kind == "event_callback" and not isinstance(body.get("event"), dict):
        return "event is not an object"
    if "event" in body:
        event = body["event"]
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event has no type"
        if problem := _fields(event, "event"):
            return problem
    if "view" in body and not (
        isinstance(view := body["view"], dict)
        and isinstance(view.get("type"), str)
        and isinstance(view.get("callback_id"), str)
    ):
        return "view has no type or callback_id"
    if kind in ("block_actions", "interactive_message") and not body.get("actions"):
        return "actions is empty"
    if kind == "block_actions" and not all(
        isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in body["actions"]
    ):
        return "an action has no action_id"
    if kind in _NEEDS_CALLBACK and not isinstance(body.get("callback_id"), str):
        return "callback_id is missing"
    step_save = kind == "view_submission" and body.get("view", {}).get("type") == "workflow_step"
    if (kind == "workflow_step_edit" or step_save) and not isinstance(
        body.get("workflow_step"), dict
    ):
        return "workflow_step is missing"
    return None


def _fields(node: dict[str, Any], where: str) -> str | None:
    """The first field of `node` (and of the objects it holds) of a type Slack never sends."""
    if where.count(".") >= MAX_DEPTH:
        return f"{where} is nested deeper than Slack nests"
    for key in _STRINGS:
        if not isinstance(node.get(key, ""), str | None):
            return f"{where}.{key} is not a string"
    for key in _REFERENCES:
        value = node.get(key)
        if isinstance(value, dict):
            if problem := _fields(value, f"{where}.{key}"):
                return problem
        elif not isinstance(value, str | None):
            return f"{where}.{key} is neither an id nor an object"
    for key in _OBJECTS:
        value = node.get(key)
        if isinstance(value, dict):
            if problem := _fields(value, f"{where}.{key}"):
                return problem
        elif value is not None:
            return f"{where}.{key} is not an object"
    for key in _LISTS:
        value = node.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return f"{where}.{key} is not a list of objects"
        for index, item in enumerate(value):
            if problem := _fields(item, f"{where}.{key}[{index}]"):
                return problem
    return None


def gate(
    slack: WSGIApplication, signing_secret: str, clock: Callable[[], float] = time.time
) -> WSGIApplication:
    """`slack` (Bolt's WSGI handler) behind the signature and shape checks."""
    secret = signing_secret.encode()

    def refuse(start_response: StartResponse, status: str, error: str) -> Iterable[bytes]:
        start_response(status, _JSON_RESPONSE)
        return [json.dumps({"error": error}).encode()]

    def route(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
        except ValueError:
            return refuse(start_response, "400 Bad Request", "bad content length")
        raw: bytes = environ["wsgi.input"].read(length) if length else b""
        stamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))
        if not _valid(raw, stamp, signature, secret, clock()):
            if raw == b"ssl_check=1" or raw.startswith(b"ssl_check=1&"):
                start_response("200 OK", _JSON_RESPONSE)  # Slack's certificate check, as Bolt
                return [b""]
            log.info("slack_request_refused", reason="signature")
            return refuse(start_response, "401 Unauthorized", "invalid request")
        body = read_body(raw, str(environ.get("CONTENT_TYPE", "")))
        problem = "not UTF-8 JSON or a form" if body is None else malformed(body)
        if body is None or problem:
            log.warning("slack_request_refused", reason=problem)
            return refuse(start_response, "400 Bad Request", "malformed request")
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return slack(environ, start_response)

    return route


def _valid(body: bytes, timestamp: str, signature: str, secret: bytes, now: float) -> bool:
    if not re.fullmatch(r"[0-9]{1,12}", timestamp) or not signature.isascii():
        return False  # slack_sdk's verifier raises on these instead of saying no
    if abs(now - int(timestamp)) > REPLAY_WINDOW_S:
        return False
    return hmac.compare_digest(_signature(body, timestamp, secret), signature)
