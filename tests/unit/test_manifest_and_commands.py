"""The app manifest asks for what the handlers use; `/news` text parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import (
    CommandError,
    Deadlines,
    Help,
    SetQuiet,
    SetZone,
    TrackText,
    TrackUrl,
    parse,
)

MANIFEST = Path(__file__).resolve().parents[2] / "config" / "slack_manifest.yaml"


def test_manifest_routes_commands_and_buttons_to_the_events_endpoint() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert "command: /news" in text
    assert text.count("/slack/events") == 3  # the command, interactivity and events
    assert "callback_id: summarize_thread" in text and "- app_mention" in text
    for scope in (
        "commands",
        "chat:write",
        "channels:history",
        "groups:history",
        "app_mentions:read",
    ):
        assert f"- {scope}" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help()),
        ("deadlines", Deadlines(14)),
        ("deadlines 30", Deadlines(30)),
        ("deadlines 7d", Deadlines(7)),
        ("settings tz Europe/Paris", SetZone("Europe/Paris")),
        ("settings quiet 21-07", SetQuiet(21, 7)),
        ("settings quiet 20:00-08:00", SetQuiet(20, 8)),
        ("track <https://news.example/a|news.example/a>", TrackUrl("https://news.example/a")),
        ("track https://news.example/b", TrackUrl("https://news.example/b")),
    ],
)
def test_commands(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_pasted_article() -> None:
    parsed = parse("track The board will vote on the merger next Tuesday, the company said.")
    assert isinstance(parsed, TrackText)


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text: str) -> None:
    parsed = parse(text)
    if isinstance(parsed, CommandError):
        assert parsed.message and len(parsed.message) < 400
