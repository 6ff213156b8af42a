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
    # Test-only networks the fetcher may reach (see Settings.fetch_allow_networks).
    fetch_allow_networks: tuple[str, ...] = ()
