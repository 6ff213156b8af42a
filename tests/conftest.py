"""Shared fixtures: the seed article, its expected extraction, and a private Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.local_redis import LocalRedis
from bot.store import RedisStore

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


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    """A private redis-server on a free port, with an append-only file, for the whole run."""
    server = LocalRedis(appendonly=True).start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def store(redis_server: LocalRedis) -> Iterator[RedisStore]:
    """A store over the private server, emptied before each test."""
    repository = RedisStore.from_url(redis_server.url)
    repository.client.flushall()
    try:
        yield repository
    finally:
        repository.client.close()
