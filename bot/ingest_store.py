"""What ingestion keeps in Redis, beside the articles and events of `bot.store`: links already
read, content fingerprints, the outlets that reported an article or an event, channel switches,
and feed subscriptions with their polling state.

It works through a `RedisStore` (the one module that talks to Redis) and keeps its keys under
the same `{TEAM}` hash tag, so the feed claim script runs unchanged on Redis Cluster:

- `nb:{T}:url:{C}`          hash  URL identity -> article id (every link that led to it)
- `nb:{T}:fp:{C}`           hash  article id -> content sketch (hex hashes)
- `nb:{T}:fpb:{C}`          hash  one of a sketch's smallest hashes -> article ids
- `nb:{T}:asrc:{A}`         hash  URL identity -> {url, site, title}: the outlets of article A
- `nb:{T}:autotrack`        set   channels that read links shared in them
- `nb:{T}:feeds:{C}`        hash  feed id -> subscription
- `nb:{T}:feedst:{C}:{F}`   str   poll state (validators, failures)
- `nb:{T}:feedseen:{C}:{F}` zset  item key:version -> last time seen
- `nb:{T}:feeddue`          zset  "C|F" -> next poll (epoch seconds)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from bot.dedup import EventSignature, Sketch, index_terms, near_duplicate, same_event
from bot.errors import NewsbotError
from bot.feeds import FeedFilter, PollState
from bot.reminders import TrackedEvent
from bot.store import RELEASE_IF_OWNER, TEAMS_KEY, RedisStore

SEEN_ITEMS_KEPT = timedelta(days=30)

# KEYS: feeddue   ARGV: now, lease_until, limit. Takes due subscriptions for this poller by
# pushing them to the end of their lease; the poller sets the real next time when done.
_CLAIM_FEEDS = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
end
return due
"""


class Busy(NewsbotError):
    """Another worker holds the channel's ingestion lock for too long."""


@dataclass(frozen=True)
class Subscription:
    """A feed a channel follows."""

    id: str
    channel: str
    url: str
    title: str
    filter: FeedFilter
    interval: timedelta
    added_by: str
    added_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "u": self.url,
            "h": self.title,
            "o": list(self.filter.only),
            "x": list(self.filter.exclude),
            "i": int(self.interval.total_seconds()),
            "b": self.added_by,
            "a": self.added_at.isoformat(),
        }

    @classmethod
    def from_json(cls, key: str, channel: str, data: dict[str, Any]) -> Subscription:
        return cls(
            id=key,
            channel=channel,
            url=data["u"],
            title=data.get("h", data["u"]),
            filter=FeedFilter(tuple(data.get("o", ())), tuple(data.get("x", ()))),
            interval=timedelta(seconds=int(data.get("i", 600))),
            added_by=data.get("b", ""),
            added_at=datetime.fromisoformat(data["a"]),
        )


@dataclass(frozen=True)
class Source:
    url: str
    site: str
    title: str


class IngestStore:
    """Ingestion state of every workspace, over the bot's Redis store."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self._redis = store.client
        self._claim_feeds = self._redis.register_script(_CLAIM_FEEDS)
        self._unlock = self._redis.register_script(RELEASE_IF_OWNER)

    def _key(self, team: str, name: str) -> str:
        return self.store.key(team, name)

    # ---------------------------------------------------------------- one writer per channel

    @contextmanager
    def channel_lock(self, team: str, channel: str, ttl_s: int = 60, wait_s: float = 30.0
                     ) -> Iterator[None]:  # fmt: skip
        """Deduplication reads then writes: one ingesting worker per channel at a time, so two
        reports of one story arriving together still become one."""
        key, token = self._key(team, f"lock:{channel}"), uuid.uuid4().hex
        deadline = time.monotonic() + wait_s
        while not self._redis.set(key, token, nx=True, ex=ttl_s):
            if time.monotonic() > deadline:
                raise Busy(f"channel {channel} is busy ingesting; try again")
            time.sleep(0.05)
        try:
            yield
        finally:
            self._unlock(keys=[key], args=[token])

    # ---------------------------------------------------------------- links and fingerprints

    def article_for_url(self, team: str, channel: str, key: str) -> str | None:
        return self.article_for_any_url(team, channel, [key])

    def article_for_any_url(self, team: str, channel: str, keys: list[str]) -> str | None:
        found = cast(list[str | None], self._redis.hmget(self._key(team, f"url:{channel}"), keys))
        return next((article for article in found if article is not None), None)

    def remember_article(
        self, team: str, channel: str, article: str, *, url_keys: list[str], value: Sketch,
        source: Source,
    ) -> None:  # fmt: skip
        """Everything that finds this article again: its links, its sketch, its first source."""
        band_key = self._key(team, f"fpb:{channel}")
        keys = value.index_keys()
        current = cast(list[str | None], self._redis.hmget(band_key, keys))
        pipe = self._redis.pipeline(transaction=True)
        for url in url_keys:
            pipe.hset(self._key(team, f"url:{channel}"), url, article)
        pipe.hset(self._key(team, f"fp:{channel}"), article, value.to_text())
        for band, ids in zip(keys, current, strict=True):
            known = ids.split() if ids else []
            if article not in known:
                pipe.hset(band_key, band, " ".join([*known, article]))
        body = _source_json(source)
        pipe.hsetnx(self._key(team, f"asrc:{article}"), url_keys[0], body)
        pipe.execute()

    def remember_urls(self, team: str, channel: str, keys: list[str], article: str) -> None:
        if keys:
            mapping: dict[str | bytes, str | bytes] = dict.fromkeys(keys, article)
            self._redis.hset(self._key(team, f"url:{channel}"), mapping=mapping)  # type: ignore[arg-type]

    def same_story(self, team: str, channel: str, value: Sketch) -> str | None:
        """An article of the channel whose text is a near-copy of the one sketched."""
        found = cast(
            list[str | None],
            self._redis.hmget(self._key(team, f"fpb:{channel}"), value.index_keys()),
        )
        # Most shared index hashes first; a common boilerplate shingle must not flood the lookup.
        counts: dict[str, int] = {}
        for ids in found:
            for article in (ids or "").split():
                counts[article] = counts.get(article, 0) + 1
        candidates = sorted(counts, key=lambda a: -counts[a])[:50]
        if not candidates:
            return None
        values = cast(
            list[str | None], self._redis.hmget(self._key(team, f"fp:{channel}"), candidates)
        )
        for article, raw in zip(candidates, values, strict=True):
            if raw is not None and near_duplicate(value, Sketch.from_text(raw)):
                return article
        return None

    def add_source(self, team: str, article: str, key: str, source: Source) -> bool:
        """Record that `source` reported `article`; False if it was known already."""
        body = _source_json(source)
        return bool(self._redis.hsetnx(self._key(team, f"asrc:{article}"), key, body))

    def sources(self, team: str, article: str) -> list[Source]:
        raw = cast(dict[str, str], self._redis.hgetall(self._key(team, f"asrc:{article}")))
        found = [json.loads(body) for body in raw.values()]
        return [Source(d["u"], d.get("s", ""), d.get("h", "")) for d in found]

    # ---------------------------------------------------------------- the same event, twice

    def same_events(
        self, team: str, channel: str, signatures: list[EventSignature], exclude_article: str
    ) -> list[TrackedEvent | None]:
        """For each signature, an event of the channel from another article that it describes
        too, or None. Two round trips for all of them, reading only the recent events that
        share a name or a concept with one of the signatures (see `dedup.index_terms`)."""
        # A shared name is needed unless neither side has one; then a shared concept is.
        terms = sorted({t for s in signatures for t in _lookup_terms(s.terms)})
        if not terms:
            return [None] * len(signatures)
        pipe = self._redis.pipeline(transaction=False)
        for term in terms:
            pipe.lrange(self._key(team, f"evix:{channel}:{term}"), 0, -1)
        listed = cast(list[list[str]], pipe.execute())
        ids = sorted(
            {i for found in listed for i in found if not i.startswith(exclude_article + ".")}
        )
        raw = cast(list[str | None], self._redis.hmget(self._key(team, "ev"), ids)) if ids else []
        known = [
            TrackedEvent.from_json(event_id, json.loads(body))
            for event_id, body in zip(ids, raw, strict=True)
            if body is not None
        ]
        found: list[TrackedEvent | None] = []
        for signature in signatures:
            match = next(
                (e for e in known
                 if same_event(EventSignature(e.kind, e.window, e.terms), signature)),
                None,
            )  # fmt: skip
            found.append(match)
        return found

    # ---------------------------------------------------------------- channel switches

    def set_autotrack(self, team: str, channel: str, on: bool) -> None:
        if on:
            self._redis.sadd(self._key(team, "autotrack"), channel)
        else:
            self._redis.srem(self._key(team, "autotrack"), channel)

    def autotrack(self, team: str, channel: str) -> bool:
        return bool(self._redis.sismember(self._key(team, "autotrack"), channel))

    # ---------------------------------------------------------------- feeds

    def subscribe(self, team: str, subscription: Subscription, first_poll: datetime) -> bool:
        """Follow a feed in a channel; False when the channel follows it already."""
        feeds = self._key(team, f"feeds:{subscription.channel}")
        body = json.dumps(subscription.to_json())
        if not self._redis.hsetnx(feeds, subscription.id, body):
            return False
        member = f"{subscription.channel}|{subscription.id}"
        self._redis.zadd(self._key(team, "feeddue"), {member: first_poll.timestamp()})
        self._redis.sadd(TEAMS_KEY, team)
        return True

    def unsubscribe(self, team: str, channel: str, feed: str) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hdel(self._key(team, f"feeds:{channel}"), feed)
        pipe.zrem(self._key(team, "feeddue"), f"{channel}|{feed}")
        pipe.delete(self._key(team, f"feedst:{channel}:{feed}"))
        pipe.delete(self._key(team, f"feedseen:{channel}:{feed}"))
        removed = pipe.execute()
        return bool(removed[0])

    def subscriptions(self, team: str, channel: str) -> list[Subscription]:
        raw = cast(dict[str, str], self._redis.hgetall(self._key(team, f"feeds:{channel}")))
        found = [Subscription.from_json(k, channel, json.loads(v)) for k, v in raw.items()]
        return sorted(found, key=lambda s: s.added_at)

    def subscription(self, team: str, channel: str, feed: str) -> Subscription | None:
        raw = cast(str | None, self._redis.hget(self._key(team, f"feeds:{channel}"), feed))
        return None if raw is None else Subscription.from_json(feed, channel, json.loads(raw))

    def claim_feeds(
        self, team: str, now: datetime, lease: timedelta, limit: int = 20
    ) -> list[tuple[str, str]]:
        """(channel, feed) pairs due now, held by this poller until the lease ends."""
        members = cast(
            list[str],
            self._claim_feeds(
                keys=[self._key(team, "feeddue")],
                args=[now.timestamp(), (now + lease).timestamp(), limit],
            ),
        )
        return [cast(tuple[str, str], tuple(m.split("|", 1))) for m in members]

    def next_poll(self, team: str, channel: str, feed: str, when: datetime) -> None:
        # XX: a subscription removed while it was being polled stays removed.
        self._redis.zadd(
            self._key(team, "feeddue"), {f"{channel}|{feed}": when.timestamp()}, xx=True
        )

    def poll_state(self, team: str, channel: str, feed: str) -> PollState:
        raw = cast(str | None, self._redis.get(self._key(team, f"feedst:{channel}:{feed}")))
        return PollState() if raw is None else PollState.from_json(json.loads(raw))

    def set_poll_state(self, team: str, channel: str, feed: str, state: PollState) -> None:
        self._redis.set(self._key(team, f"feedst:{channel}:{feed}"), json.dumps(state.to_json()))

    def unseen_items(
        self, team: str, channel: str, feed: str, marks: list[str], now: datetime
    ) -> list[str]:
        """Which of the item marks (key:version) were not seen before; all are marked seen."""
        key = self._key(team, f"feedseen:{channel}:{feed}")
        if not marks:
            return []
        pipe = self._redis.pipeline(transaction=True)
        for mark in marks:
            pipe.zadd(key, {mark: now.timestamp()}, ch=False, nx=True)
        added = pipe.execute()
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(key, dict.fromkeys(marks, now.timestamp()), xx=True)
        pipe.zremrangebyscore(key, "-inf", (now - SEEN_ITEMS_KEPT).timestamp())
        pipe.execute()
        return [mark for mark, fresh in zip(marks, added, strict=True) if fresh]

    def forget_items(self, team: str, channel: str, feed: str, marks: list[str]) -> None:
        """Unmark items whose reading failed, so the next poll tries them again."""
        if marks:
            self._redis.zrem(self._key(team, f"feedseen:{channel}:{feed}"), *marks)

    def seen_count(self, team: str, channel: str, feed: str) -> int:
        return int(self._redis.zcard(self._key(team, f"feedseen:{channel}:{feed}")))


def _lookup_terms(terms: tuple[str, ...]) -> list[str]:
    named = [t for t in index_terms(terms) if not t.startswith("~")]
    return named or index_terms(terms)


def _source_json(source: Source) -> str:
    return json.dumps({"u": source.url, "s": source.site, "h": source.title})
