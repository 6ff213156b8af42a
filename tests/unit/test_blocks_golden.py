"""Golden files for the Block Kit builders: a change to what users see shows up as a diff.

Regenerate after an intended change with `NEWSBOT_UPDATE_GOLDEN=1 pytest tests/unit/test_blocks_golden.py`.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import (
    alert_message,
    article_message,
    channel_summary_message,
    deadlines_message,
    home_view,
)
from bot.model import DateWindow
from bot.reminders import ArticleRecord, Reminder, TrackedEvent

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"
NOW = datetime(2025, 4, 23, 7, 0, tzinfo=UTC)
ARTICLE = ArticleRecord(
    id="a1", channel="C1", thread_ts="1.0", title="Rubio in Paris", url="https://news.example/a",
    published=datetime(2025, 4, 18, 10, 0, tzinfo=UTC), zone="Europe/Paris", stored_at=NOW,
    lead="Rubio said the U.S. may move on from peace efforts.",
)  # fmt: skip
MEETING = TrackedEvent(
    id="a1.1", article="a1", kind="meeting", what="a new meeting in London",
    trigger="early in the week", window=DateWindow(date(2025, 4, 21), date(2025, 4, 22)),
    conditional=False, clock=None, zone=None,
)  # fmt: skip
DEADLINE = TrackedEvent(
    id="a1.0", article="a1", kind="deadline", what="the U.S. may move on without progress",
    trigger="in the coming days", window=DateWindow(date(2025, 4, 19), date(2025, 4, 25)),
    conditional=True, clock="17:00", zone="ET",
)  # fmt: skip


def _reminder(kind: str) -> Reminder:
    return Reminder(
        id=f"a1.1.{kind[0]}", event="a1.1", channel="C1", thread_ts="1.0",
        kind=kind, due=NOW,  # type: ignore[arg-type]
    )  # fmt: skip


CASES: dict[str, Any] = {
    "alert_heads_up": lambda: alert_message(_reminder("heads_up"), MEETING, ARTICLE, NOW, "Europe/Paris"),
    "alert_follow_up": lambda: alert_message(_reminder("follow_up"), MEETING, ARTICLE, NOW, "Europe/Paris"),
    "article": lambda: article_message("Rubio in Paris", ["One.", "Two."], [DEADLINE, MEETING]),
    "deadlines": lambda: deadlines_message([(DEADLINE, ARTICLE, ""), (MEETING, ARTICLE, "")], 14, "Europe/Paris"),
    "summary": lambda: channel_summary_message([ARTICLE], [(MEETING, ARTICLE)], 7),
    "home": lambda: home_view([(DEADLINE, ARTICLE), (MEETING, ARTICLE)], date(2025, 4, 18), "UTC"),
}  # fmt: skip


def _as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    return {"text": value.text, "blocks": value.blocks, "metadata": value.metadata}


@pytest.mark.parametrize("name", sorted(CASES))
def test_builder_output_matches_its_golden_file(name: str) -> None:
    produced = _as_json(CASES[name]())
    path = GOLDEN / f"{name}.json"
    if os.environ.get("NEWSBOT_UPDATE_GOLDEN"):
        path.write_text(json.dumps(produced, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert produced == json.loads(path.read_text(encoding="utf-8"))
