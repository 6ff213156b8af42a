"""Buttons on alert messages: Done, Snooze (1 day, 3 days), Not relevant, Open article."""

from __future__ import annotations

from typing import Any

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


def _context(body: dict[str, Any]) -> tuple[str, str, str, str]:
    team = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")
    user = body.get("user", {}).get("id", "")
    event = body["actions"][0]["value"]
    channel = (body.get("channel") or {}).get("id", "")
    return team, user, event, channel


def _replace_buttons(client: WebClient, body: dict[str, Any], outcome: ActionOutcome) -> None:
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    if not message or not channel:
        return
    blocks = [b for b in message.get("blocks", []) if b.get("type") != "actions"]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": outcome.note}]})
    client.chat_update(
        channel=channel, ts=message["ts"], text=message.get("text", ""), blocks=blocks
    )


def register(app: App, deps: HandlerDeps) -> None:
    def on_mark(state: str) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            team, user, event, _ = _context(body)
            _replace_buttons(client, body, mark_event(deps.store, team, event, state, user))

        return handler

    def on_snooze(days: int) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            team, user, event, channel = _context(body)
            zone = deps.store.channel_policy(team, channel, deps.default_zone).zone
            outcome = snooze(
                deps.store, team, event, days=days, user=user, now=deps.clock.now(), zone=zone
            )
            _replace_buttons(client, body, outcome)

        return handler

    def on_track(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team, user, event, _ = _context(body)
        outcome = reopen(deps.store, team, event, user, deps.clock.now())
        if outcome.changed:
            _note(client, body, outcome)

    def on_ignore(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team, user, event, _ = _context(body)
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
    channel = (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    if channel and user:
        client.chat_postEphemeral(channel=channel, user=user, text=outcome.note)
