"""Shared fixtures: the seed article and its expected extraction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@dataclass(frozen=True)
class Seed:
    text: str
    published: datetime
    zone: str
    expected: dict[str, Any]


@pytest.fixture(scope="session")
def seed() -> Seed:
    stem = SEEDS / "ap-rubio-paris-2025-04-18"
    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    return Seed(
        text=stem.with_suffix(".txt").read_text(encoding="utf-8"),
        published=datetime.fromisoformat(meta["published"]),
        zone="Europe/Paris",
        expected=json.loads((SEEDS / f"{stem.name}.expected.json").read_text(encoding="utf-8")),
    )


def nth_span(text: str, trigger: str, occurrence: int) -> tuple[int, int]:
    """Character span of the `occurrence`-th (1-based) `trigger` in `text`."""
    position = -1
    for _ in range(occurrence):
        position = text.find(trigger, position + 1)
        assert position >= 0, f"{trigger!r} occurs fewer than {occurrence} times"
    return position, position + len(trigger)
