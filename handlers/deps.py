"""What handlers need from the rest of the bot, passed in once at registration."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dispatch import Clock
from bot.store import RedisStore


@dataclass(frozen=True)
class HandlerDeps:
    store: RedisStore
    clock: Clock
    default_zone: str = "UTC"
