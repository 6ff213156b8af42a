"""App Home: the upcoming deadlines of the channels the user is in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks import home_view
from handlers.deps import HandlerDeps
from handlers.payload import string_at

HOME_DAYS = 60


def register(app: App, deps: HandlerDeps) -> None:
    @app.event("app_home_opened")
    def on_home(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        team, user = string_at(body, "team_id"), string_at(event, "user")
        if not team or not user:
            return  # not a request Slack sends
        # Only channels the user is in: a private channel's deadlines stay with its members.
        response = client.users_conversations(
            user=user, types="public_channel,private_channel", limit=200
        )
        channels = [c["id"] for c in response.get("channels") or []]
        today = deps.clock.now().date()
        rows = [
            row
            for channel in channels
            for row in deps.store.channel_events(
                team, channel, today, today + timedelta(days=HOME_DAYS)
            )
        ]
        rows.sort(key=lambda row: (row[0].window.earliest, row[0].window.latest))
        client.views_publish(user_id=user, view=home_view(rows, today, deps.default_zone))
