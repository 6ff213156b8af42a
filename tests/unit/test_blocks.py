"""The alert builder: wording per kind, late marking, and Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.blocks import MAX_SECTION_CHARS, alert_message
from bot.model import DateWindow
from bot.reminders import ArticleRecord, Reminder, TrackedEvent

NOW = datetime(2025, 4, 23, 7, 0, tzinfo=UTC)
ARTICLE = ArticleRecord(
    id="a1", channel="C1", thread_ts="1.0", title="Rubio in Paris", url="https://news.example/a",
    published=datetime(2025, 4, 18, 10, 0, tzinfo=UTC), zone="Europe/Paris", stored_at=NOW,
)  # fmt: skip
EVENT = TrackedEvent(
    id="a1.1", article="a1", kind="meeting", what="a new meeting in London",
    trigger="early in the week", window=DateWindow(date(2025, 4, 21), date(2025, 4, 22)),
    conditional=False, clock=None, zone=None,
)  # fmt: skip


def _reminder(kind: str, late: bool = False) -> Reminder:
    return Reminder(
        id=f"a1.1.{kind[0]}", event="a1.1", channel="C1", thread_ts="1.0",
        kind=kind, due=NOW, late=late,  # type: ignore[arg-type]
    )  # fmt: skip


def test_follow_up_asks_whether_it_happened() -> None:
    message = alert_message(_reminder("follow_up"), EVENT, ARTICLE, NOW, "Europe/Paris")
    assert "a new meeting in London" in message.text
    assert "closed yesterday: did it happen?" in message.text
    assert message.metadata["event_payload"] == {
        "reminder_id": "a1.1.f",
        "event_id": "a1.1",
        "generation": int(NOW.timestamp()),
    }
    [button_row] = [b for b in message.blocks if b["type"] == "actions"]
    assert button_row["elements"][-1]["url"] == "https://news.example/a"


def test_late_heads_up_says_so() -> None:
    message = alert_message(_reminder("heads_up", late=True), EVENT, ARTICLE, NOW, "Europe/Paris")
    assert "is open" in message.text
    assert "Late: this was due Wed 23 Apr 09:00 CEST" in message.text


def test_huge_text_stays_within_block_kit_limits() -> None:
    huge = TrackedEvent(
        id="a1.2", article="a1", kind="other", what="x" * 10_000, trigger="y" * 5_000,
        window=EVENT.window, conditional=True, clock=None, zone=None,
    )  # fmt: skip
    article = ArticleRecord(**{**ARTICLE.__dict__, "title": "t" * 10_000, "url": None})
    message = alert_message(_reminder("heads_up"), huge, article, NOW, "UTC")
    assert len(message.blocks) <= 50
    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        if block["type"] == "context":
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
        if block["type"] == "actions":
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
            assert all("url" not in e for e in block["elements"])
    assert len(message.text) <= 4000
