"""REDIS_URL for one server, a Sentinel set and a Cluster: what is read, what is refused."""

from __future__ import annotations

import pytest

from bot.redis_connect import RedisUrlError, parse_redis_url


def test_single_server_urls_pass_through() -> None:
    for url in ("redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/2", "unix:///s?db=1"):
        target = parse_redis_url(url)
        assert (target.kind, target.url) == ("single", url)
    assert parse_redis_url("rediss://h:1/0").tls


def test_cluster_url_lists_its_seed_nodes_and_credentials() -> None:
    target = parse_redis_url("redis+cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2:7001")
    assert target.kind == "cluster"
    assert target.nodes == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    assert (target.username, target.password) == ("app", "s@cret")
    assert "s@cret" not in target.describe() and "10.0.0.2:7001" in target.describe()
    assert parse_redis_url("rediss+cluster://[::1]:7000/0").nodes == (("::1", 7000),)


def test_sentinel_url_names_service_and_database() -> None:
    target = parse_redis_url(
        "redis+sentinel://:pw@s1:26379,s2:26379/newsbot/3?sentinel_password=sp"
    )
    assert (target.kind, target.service, target.db) == ("sentinel", "newsbot", 3)
    assert (target.password, target.sentinel_password) == ("pw", "sp")
    assert parse_redis_url("redis+sentinel://s1:26379/newsbot").db == 0


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://127.0.0.1:6379", "scheme 'http'"),
        ("127.0.0.1:6379", "is not one of"),
        ("redis+cluster://", "names no host"),
        ("redis+cluster://10.0.0.1", "is not host:port"),
        ("redis+cluster://10.0.0.1:99999", "is not host:port"),
        ("redis+cluster://10.0.0.1:7000/2", "only database 0"),
        ("redis+sentinel://s1:26379", "/SERVICE"),
        ("redis+sentinel://s1:26379/newsbot/zero", "not a number"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url: str, complaint: str) -> None:
    with pytest.raises(RedisUrlError, match=complaint):
        parse_redis_url(url)
