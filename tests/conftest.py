"""Shared fixtures: the seed article, its expected extraction, a private Redis, and a guard
that keeps every test's connections on this machine."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.local_redis import LocalCluster, LocalRedis, LocalSentinel
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
    """A private redis-server on a free port, with an append-only file, for the whole run.

    NEWSBOT_TEST_REDIS=cluster (a 3-master Redis Cluster) or =sentinel (a master, a replica and a
    sentinel) runs the same tests through those deployments instead; tests that stop or restart
    the server itself need the single one and skip otherwise.
    """
    topology = os.environ.get("NEWSBOT_TEST_REDIS", "single")
    server: Any
    if topology == "cluster":
        server = LocalCluster().start()
    elif topology == "sentinel":
        server = LocalSentinel().start()
    else:
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


class NonLoopbackConnection(AssertionError):
    """A test tried to connect beyond this machine; tests only ever talk to loopback."""


def _require_loopback(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # AF_UNIX and friends never leave the machine
    host = str(address[0] if isinstance(address, tuple) else address)
    if host == "localhost":
        return
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        message = f"a test connected to a name, not an address: {address!r}"
        raise NonLoopbackConnection(message) from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"a test tried to connect to {address!r}, beyond loopback")


@pytest.fixture(scope="session", autouse=True)
def loopback_only() -> Iterator[None]:
    """Make any connect() beyond loopback fail loudly, so no test sends a packet outside.

    An AssertionError rather than an OSError, so code under test cannot mistake it for a
    network failure and carry on.
    """
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _require_loopback(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _require_loopback(self, address)
        return real_connect_ex(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        yield
