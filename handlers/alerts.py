"""Buttons on alert messages: Done, Snooze (1 day, 3 days), Not relevant, Open article."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks import (
    ACTION_DONE,
    ACTION_IGNORE,
    ACTION_NOT_RELEVANT,
    ACTION_OPEN_ARTICLE,
    ACTION_SNOOZE_1D,
    ACTION_SNOOZE_3D,
    ACTION_TRACK,
)
from bot.event_actions import ActionOutcome, mark_event, reopen, snooze
from handlers.deps import HandlerDeps
from handlers.payload import string_at

log = structlog.get_logger(__name__)


def _context(body: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(team, user, event id, channel) of a click, or None when the payload lacks them."""
    team = string_at(body, "team", "id") or string_at(body, "user", "team_id")
    actions = body.get("actions")
    event = string_at(actions[0], "value") if isinstance(actions, list) and actions else ""
    if not team or not event:
        log.warning("malformed_action_ignored", type=string_at(body, "type"))
        return None
    return team, string_at(body, "user", "id"), event, string_at(body, "channel", "id")


def _replace_buttons(client: WebClient, body: dict[str, Any], outcome: ActionOutcome) -> None:
    message = body.get("message")
    channel, ts = string_at(body, "channel", "id"), string_at(message, "ts")
    if not isinstance(message, dict) or not channel or not ts:
        return
    kept = message.get("blocks")
    blocks = [
        b for b in (kept if isinstance(kept, list) else [])
        if isinstance(b, dict) and b.get("type") != "actions"
    ]  # fmt: skip
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": outcome.note}]})
    client.chat_update(channel=channel, ts=ts, text=string_at(message, "text"), blocks=blocks)


def register(app: App, deps: HandlerDeps) -> None:
    def on_mark(state: str) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            if (context := _context(body)) is None:
                return
            team, user, event, _ = context
            _replace_buttons(client, body, mark_event(deps.store, team, event, state, user))

        return handler

    def on_snooze(days: int) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            if (context := _context(body)) is None:
                return
            team, user, event, channel = context
            zone = deps.store.channel_policy(team, channel, deps.default_zone).zone
            outcome = snooze(
                deps.store, team, event, days=days, user=user, now=deps.clock.now(), zone=zone
            )
            _replace_buttons(client, body, outcome)

        return handler

    def on_track(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        if (context := _context(body)) is None:
            return
        team, user, event, _ = context
        outcome = reopen(deps.store, team, event, user, deps.clock.now())
        if outcome.changed:
            _note(client, body, outcome)

    def on_ignore(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        if (context := _context(body)) is None:
            return
        team, user, event, _ = context
        _note(client, body, mark_event(deps.store, team, event, "not_relevant", user))

    def on_open(ack: Ack) -> None:
        ack()  # the button carries the URL; Slack opens it

    app.action(ACTION_DONE)(on_mark("done"))
    app.action(ACTION_NOT_RELEVANT)(on_mark("not_relevant"))
    app.action(ACTION_SNOOZE_1D)(on_snooze(1))
    app.action(ACTION_SNOOZE_3D)(on_snooze(3))
    app.action(ACTION_OPEN_ARTICLE)(on_open)
    app.action(ACTION_TRACK)(on_track)
    app.action(ACTION_IGNORE)(on_ignore)


def _note(client: WebClient, body: dict[str, Any], outcome: ActionOutcome) -> None:
    """Tell the clicker what changed, without touching the shared article message."""
    channel, user = string_at(body, "channel", "id"), string_at(body, "user", "id")
    if channel and user:
        client.chat_postEphemeral(channel=channel, user=user, text=outcome.note)
