"""One `REDIS_URL` for the three ways Redis runs: a single server, a Sentinel set, a Cluster.

- `redis://[[user]:password@]host:port/db`, `rediss://...` (TLS), `unix:///path?db=0`:
  one server, read by redis-py as it is.
- `redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db]`: ask the sentinels
  which server is the master of `service`; after a failover the client finds the new one.
  `?sentinel_password=...` when the sentinels have their own password.
- `redis+cluster://[[user]:password@]host:port[,host:port...]` (`rediss+cluster://` for TLS):
  any reachable nodes of a Redis Cluster; the client learns the slot map from them. A cluster
  has only database 0.

Every key of a workspace carries the hash tag `{TEAM}`, so the Lua scripts and MULTI blocks
that touch several keys run unchanged on a cluster. This module and `bot.store` are the only
ones that import redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from bot.errors import NewsbotError

SINGLE_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")

# A failover (Sentinel promoting a replica, a cluster moving a slot's master) takes seconds:
# retry a dropped connection with backoff for about that long instead of failing the caller.
_RETRIES = 6
_BACKOFF_CAP_S = 1.0
_SOCKET_TIMEOUT_S = 5.0
_CONNECT_TIMEOUT_S = 2.0


class RedisUrlError(NewsbotError):
    """REDIS_URL cannot be read; the message says which part and what is expected."""


@dataclass(frozen=True)
class RedisTarget:
    """What a REDIS_URL names: the kind of deployment, its nodes and its options."""

    kind: str  # "single" | "sentinel" | "cluster"
    url: str
    nodes: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    tls: bool = False

    def describe(self) -> str:
        """The target without credentials, for logs and error messages."""
        hosts = ",".join(f"{host}:{port}" for host, port in self.nodes)
        if self.kind == "cluster":
            return f"Redis Cluster at {hosts}"
        if self.kind == "sentinel":
            return f"Redis master {self.service!r} (db {self.db}) via Sentinel at {hosts}"
        parts = urlsplit(self.url)
        where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
        return f"Redis at {where}"


def parse_redis_url(url: str) -> RedisTarget:
    """Read a REDIS_URL; RedisUrlError names what is wrong with it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in SINGLE_SCHEMES:
        return RedisTarget(kind="single", url=url.strip(), tls=scheme == "rediss")
    if scheme not in SENTINEL_SCHEMES + CLUSTER_SCHEMES:
        known = ", ".join(f"{s}://" for s in SINGLE_SCHEMES + SENTINEL_SCHEMES + CLUSTER_SCHEMES)
        raise RedisUrlError(f"REDIS_URL scheme {parts.scheme or '(none)'!r} is not one of {known}")
    credentials, _, hostlist = parts.netloc.rpartition("@")
    username, password = _credentials(credentials)
    nodes = tuple(_node(item, scheme) for item in hostlist.split(",") if item.strip())
    if not nodes:
        raise RedisUrlError(f"REDIS_URL names no host:port after {scheme}://")
    options = parse_qs(parts.query)
    tls = scheme.startswith("rediss")
    path = [segment for segment in parts.path.split("/") if segment]
    if scheme in CLUSTER_SCHEMES:
        if path and path != ["0"]:
            raise RedisUrlError("a Redis Cluster has only database 0; drop the path from REDIS_URL")
        return RedisTarget(
            kind="cluster", url=url, nodes=nodes, username=username, password=password, tls=tls
        )
    if not path or len(path) > 2:
        raise RedisUrlError(
            "a Sentinel REDIS_URL ends with /SERVICE or /SERVICE/DB, "
            "e.g. redis+sentinel://10.0.0.5:26379,10.0.0.6:26379/newsbot/0"
        )
    db = 0
    if len(path) == 2:
        if not path[1].isdigit():
            raise RedisUrlError(f"REDIS_URL database {path[1]!r} is not a number")
        db = int(path[1])
    sentinel_password = options.get("sentinel_password", [None])[0]
    return RedisTarget(
        kind="sentinel", url=url, nodes=nodes, service=unquote(path[0]), db=db,
        username=username, password=password, sentinel_password=sentinel_password, tls=tls,
    )  # fmt: skip


def _credentials(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    user, has_password, password = text.partition(":")
    return (unquote(user) or None, unquote(password) if has_password else None)


def _node(item: str, scheme: str) -> tuple[str, int]:
    host, _, port = item.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        default = "26379" if "sentinel" in scheme else "7000"
        raise RedisUrlError(f"REDIS_URL node {item.strip()!r} is not host:port (e.g. {default})")
    return host, int(port)


def _retry() -> Retry:
    return Retry(ExponentialWithJitterBackoff(base=0.05, cap=_BACKOFF_CAP_S), _RETRIES)


_RETRY_ON = [RedisConnectionError, RedisTimeoutError, ReadOnlyError]


def connect(url: str) -> redis.Redis:
    """A client for whatever REDIS_URL names, answering str (decode_responses=True).

    A cluster client is returned typed as `redis.Redis`: both share the command methods the
    store uses, and the store keeps every multi-key operation inside one hash slot.
    """
    target = parse_redis_url(url)
    common: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": _SOCKET_TIMEOUT_S,
        "socket_connect_timeout": _CONNECT_TIMEOUT_S,
        "retry": _retry(),
        "retry_on_error": _RETRY_ON,
    }
    if target.kind == "single":
        return redis.Redis.from_url(target.url, health_check_interval=30, **common)
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.tls:
        auth["ssl"] = True
    if target.kind == "cluster":
        cluster = RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],  # type: ignore[no-untyped-call]
            **common,
            **auth,
        )
        return cast(redis.Redis, cluster)
    sentinel_kwargs: dict[str, Any] = {
        "socket_timeout": _SOCKET_TIMEOUT_S,
        "socket_connect_timeout": _CONNECT_TIMEOUT_S,
        "password": target.sentinel_password,
    }
    if target.tls:
        sentinel_kwargs["ssl"] = True
    sentinel = Sentinel(list(target.nodes), sentinel_kwargs=sentinel_kwargs)  # type: ignore[no-untyped-call]
    master = sentinel.master_for(target.service, db=target.db, **common, **auth)  # type: ignore[no-untyped-call]
    return cast(redis.Redis, master)
