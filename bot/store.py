"""The Redis repository: articles, tracked events, reminders, channel settings, pacing.

With `bot.redis_connect`, the only module that imports redis. Every key of a workspace carries the hash tag `{TEAM}`, so
the Lua scripts that touch a workspace's due set, lease set and reminder hash run unchanged on
Redis Cluster. Reminders live in three structures per workspace:

- `nb:{T}:rem`      hash  reminder id -> compact JSON (state, attempts, due, lease owner ...)
- `nb:{T}:due:{C}`  zset  reminder id -> due time (epoch seconds) of channel C, while scheduled
- `nb:{T}:due`      zset  channel -> its earliest due time (the index a claim starts from)
- `nb:{T}:lease`    zset  reminder id -> lease expiry, while a worker holds it

Due sets per channel keep claims fair: a channel with a long backlog (it can only post about
once a second) cannot hide the reminders of the others.

A worker claims due ids atomically into the lease set; finishing checks the lease owner, so a
worker whose lease was taken over cannot record over the new holder.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import redis

from bot.alerts import AlertPolicy, QuietHours
from bot.dedup import index_terms
from bot.errors import NewsbotError
from bot.redis_connect import connect
from bot.reminders import ArticleRecord, EventState, Reminder, TrackedEvent

TEAMS_KEY = "nb:teams"
EVENTS_PER_TERM = 200
JOBS_STREAM = "nb:jobs"
JOBS_GROUP = "workers"

# Keeps the channel index equal to the earliest due time of each channel's set.
_REINDEX = """
local function reindex(index_key, channel_key, channel)
  local first = redis.call('ZRANGE', channel_key, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', index_key, channel)
  else
    redis.call('ZADD', index_key, first[2], channel)
  end
end
"""

# KEYS: index, lease, rem, due:C1 .. due:Cn   ARGV: now, limit, lease_until, owner, per_channel,
# C1 .. Cn. Expired leases first (a worker died), then up to `per_channel` due reminders of
# each channel, so a batch spans many channels and several workers post to different ones.
_CLAIM = (
    _REINDEX
    + """
local out = {}
local now, limit, lease_until, owner = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local per_channel = tonumber(ARGV[5])
local taken = 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(expired) do
  local raw = redis.call('HGET', KEYS[3], id)
  local r = raw and cjson.decode(raw)
  if r and r.s == 'inflight' then
    r.o = owner
    r.a = (r.a or 0) + 1
    r.rc = 1
    redis.call('HSET', KEYS[3], id, cjson.encode(r))
    redis.call('ZADD', KEYS[2], lease_until, id)
    out[#out + 1] = id
    out[#out + 1] = cjson.encode(r)
    taken = taken + 1
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
for i = 4, #KEYS do
  if taken >= limit then break end
  local channel = ARGV[i + 2]
  local room = math.min(per_channel, limit - taken)
  local due = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', now, 'LIMIT', 0, room)
  for _, id in ipairs(due) do
    redis.call('ZREM', KEYS[i], id)
    local raw = redis.call('HGET', KEYS[3], id)
    if raw then
      local r = cjson.decode(raw)
      r.s = 'inflight'
      r.o = owner
      r.a = (r.a or 0) + 1
      r.rc = 0
      redis.call('HSET', KEYS[3], id, cjson.encode(r))
      redis.call('ZADD', KEYS[2], lease_until, id)
      out[#out + 1] = id
      out[#out + 1] = cjson.encode(r)
      taken = taken + 1
    end
  end
  reindex(KEYS[1], KEYS[i], channel)
end
return out
"""
)

# KEYS: lease, rem, index, due:C   ARGV: id, owner, state, patch, requeue_at ('' = none), C
_FINISH = (
    _REINDEX
    + """
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local r = cjson.decode(raw)
if r.o ~= ARGV[2] then return 0 end
local patch = cjson.decode(ARGV[4])
for k, v in pairs(patch) do r[k] = v end
r.s = ARGV[3]
r.o = nil
r.rc = nil
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(r))
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
  reindex(KEYS[3], KEYS[4], ARGV[6])
end
return 1
"""
)

_RENEW = """
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local r = cjson.decode(raw)
if r.o ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
"""

# Replace a channel's scheduled reminders; posted, in-flight and failed ones stay as they are.
# KEYS: index, rem, due:C   ARGV: C, then (id, due, body) triples; an empty body cancels.
_RESCHEDULE = (
    _REINDEX
    + """
local n = 0
for i = 2, #ARGV, 3 do
  local id, due, body = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local raw = redis.call('HGET', KEYS[2], id)
  local state = nil
  if raw then state = cjson.decode(raw).s end
  if state == nil or state == 'scheduled' then
    if body == '' then
      if state == 'scheduled' then
        local r = cjson.decode(raw)
        r.s = 'cancelled'
        redis.call('HSET', KEYS[2], id, cjson.encode(r))
        redis.call('ZREM', KEYS[3], id)
        n = n + 1
      end
    else
      local new = cjson.decode(body)
      local old = nil
      if raw then old = cjson.decode(raw) end
      -- The same time again changes nothing (attempts and backoff stay); a new time keeps the
      -- attempts, so a post that may have happened is still looked for before another.
      if old == nil or tonumber(old.d) ~= tonumber(new.d) or old.g ~= new.g then
        if old then
          new.a = old.a
          new.w = old.w
        end
        redis.call('HSET', KEYS[2], id, cjson.encode(new))
        redis.call('ZADD', KEYS[3], due, id)
        n = n + 1
      end
    end
  end
end
reindex(KEYS[1], KEYS[3], ARGV[1])
return n
"""
)


# KEYS: index, rem, due:C   ARGV: id, until, C. A new generation: posts of the old one don't
# count for it. A reminder in flight is not touched (its worker owns it).
_SNOOZE = (
    _REINDEX
    + """
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local r = cjson.decode(raw)
if r.s == 'inflight' then return 0 end
r.s = 'scheduled'
r.d = tonumber(ARGV[2])
r.g = tonumber(ARGV[2])
r.a = 0
r.w = nil
r.p = nil
r.l = nil
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(r))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
reindex(KEYS[1], KEYS[3], ARGV[3])
return 1
"""
)

# KEYS: events hash   ARGV: id, body. An event already stored keeps the state users gave it
# and the other outlets' reports merged into it.
_PUT_EVENT = """
local new = cjson.decode(ARGV[2])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local old = cjson.decode(raw)
  new.s = old.s
  if old.sr and not new.sr then new.sr = old.sr end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(new))
return 1
"""

# One digest per period: KEYS[1] holds {"p": period, "s": state, "o": owner, "t": claimed}.
_CLAIM_DIGEST = """
local raw = redis.call('GET', KEYS[1])
local period, owner, now, lease = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local answer = 'claimed'
if raw then
  local d = cjson.decode(raw)
  if d.p == period then
    if d.s == 'posted' then return 'done' end
    if now - tonumber(d.t) < lease then return 'busy' end
    answer = 'recover'
  elseif d.p > period then
    return 'done'
  end
end
redis.call('SET', KEYS[1], cjson.encode({p = period, s = 'claimed', o = owner, t = now}))
return answer
"""


# A job's run lease: renewed only by its holder.
_RENEW_JOB = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: lock   ARGV: owner. Deletes a lock only while this owner still holds it.
RELEASE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class StoreError(NewsbotError):
    """Redis is unreachable or holds something this version cannot read."""


@dataclass(frozen=True)
class Claimed:
    """A reminder a worker now holds. `reclaimed`: a previous holder's lease ran out."""

    team: str
    reminder: Reminder
    owner: str
    reclaimed: bool


@dataclass(frozen=True)
class SaveResult:
    article: str
    new_article: bool
    events: int
    reminders_changed: int


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class RedisStore:
    """Workspace-scoped storage over one Redis connection pool."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._claim = client.register_script(_CLAIM)
        self._finish = client.register_script(_FINISH)
        self._renew = client.register_script(_RENEW)
        self._reschedule = client.register_script(_RESCHEDULE)
        self._claim_digest = client.register_script(_CLAIM_DIGEST)
        self._snooze = client.register_script(_SNOOZE)
        self._put_event = client.register_script(_PUT_EVENT)
        self._renew_job = client.register_script(_RENEW_JOB)
        self._release_job = client.register_script(RELEASE_IF_OWNER)

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        """A single server, a Sentinel set or a Cluster (see `bot.redis_connect`)."""
        return cls(connect(url))

    @property
    def client(self) -> redis.Redis:
        return self._redis

    @staticmethod
    def key(team: str, name: str) -> str:
        return f"nb:{{{team}}}:{name}"

    @classmethod
    def due_key(cls, team: str, channel: str) -> str:
        return cls.key(team, f"due:{channel}")

    def ping(self) -> None:
        try:
            self._redis.ping()
        except redis.RedisError as error:
            raise StoreError(f"Redis is not reachable: {error}") from error

    def forget_team(self, team: str) -> None:
        """Delete every key of a workspace (the offline run's scratch workspace, tests)."""
        keys = list(self._redis.scan_iter(match=f"nb:{{{team}}}:*", count=1000))
        for start in range(0, len(keys), 500):
            self._redis.delete(*keys[start : start + 500])
        self._redis.srem(TEAMS_KEY, team)

    # ---------------------------------------------------------------- channel settings

    def channel_policy(self, team: str, channel: str, default_zone: str = "UTC") -> AlertPolicy:
        raw = cast(str | None, self._redis.hget(self.key(team, "chan"), channel))
        data = json.loads(raw) if raw else {}
        quiet = data.get("q", [20, 8])
        return AlertPolicy(zone=data.get("z", default_zone), quiet=QuietHours(quiet[0], quiet[1]))

    def set_channel_policy(self, team: str, channel: str, policy: AlertPolicy) -> None:
        value = json.dumps({"z": policy.zone, "q": [policy.quiet.start, policy.quiet.end]})
        self._redis.hset(self.key(team, "chan"), channel, value)

    # ---------------------------------------------------------------- articles and events

    def article(self, team: str, article: str) -> ArticleRecord | None:
        raw = cast(str | None, self._redis.hget(self.key(team, "art"), article))
        return None if raw is None else ArticleRecord.from_json(article, json.loads(raw))

    def set_article_thread(self, team: str, article: str, thread_ts: str) -> None:
        """The post that now anchors an article stored quietly (it had nothing to announce)."""
        record = self.article(team, article)
        if record is not None:
            body = record.to_json() | {"t": thread_ts}
            self._redis.hset(self.key(team, "art"), article, json.dumps(body))

    def event(self, team: str, event: str) -> TrackedEvent | None:
        raw = cast(str | None, self._redis.hget(self.key(team, "ev"), event))
        return None if raw is None else TrackedEvent.from_json(event, json.loads(raw))

    def events_of(self, team: str, article: str) -> list[TrackedEvent]:
        ids = cast(list[str], self._redis.lrange(self.key(team, f"art:{article}:ev"), 0, -1))
        events = [self.event(team, event_id) for event_id in ids]
        return [e for e in events if e is not None]

    def save_article(
        self,
        team: str,
        article: ArticleRecord,
        tracked: Iterable[tuple[TrackedEvent, list[Reminder]]],
    ) -> SaveResult:
        """Store an article, its tracked events and their reminders; idempotent.

        An event already stored keeps its state (done, not relevant); its scheduled reminders
        are replaced when the window changed, and nothing else is touched.
        """
        tracked = list(tracked)
        new_article = bool(
            self._redis.hsetnx(self.key(team, "art"), article.id, json.dumps(article.to_json()))
        )
        changed = 0
        event_list = self.key(team, f"art:{article.id}:ev")
        known = set(cast(list[str], self._redis.lrange(event_list, 0, -1)))
        for event, _ in tracked:
            # In Lua, so a Done or Not relevant clicked meanwhile is kept, not written over.
            self._put_event(
                keys=[self.key(team, "ev")], args=[event.id, json.dumps(event.to_json())]
            )
        pipe = self._redis.pipeline(transaction=True)
        for event, _ in tracked:
            pipe.zadd(
                self.key(team, f"chev:{article.channel}"),
                {event.id: event.window.latest.toordinal()},
            )
            if event.id not in known:
                pipe.rpush(event_list, event.id)
                # Recent events by what they name, to find another report of one quickly.
                for term in index_terms(event.terms):
                    term_key = self.key(team, f"evix:{article.channel}:{term}")
                    pipe.lpush(term_key, event.id)
                    pipe.ltrim(term_key, 0, EVENTS_PER_TERM - 1)
        pipe.zadd(
            self.key(team, f"charts:{article.channel}"),
            {article.id: int(_epoch(article.stored_at))},
            nx=True,
        )
        pipe.execute()
        self._redis.sadd(TEAMS_KEY, team)  # another hash slot: not in the MULTI above
        for event, reminders in tracked:
            stored = self.event(team, event.id)
            if stored is not None and stored.state != "open":
                continue
            planned = {r.id for r in reminders}
            dropped = [
                Reminder.from_json(rid, data)
                for rid, data in self._reminders_of(team, event.id)
                if rid not in planned and data["s"] == "scheduled"
            ]
            changed += self._replace_reminders(team, reminders, cancel=dropped)
        return SaveResult(article.id, new_article, len(tracked), changed)

    def _replace_reminders(
        self, team: str, reminders: list[Reminder], cancel: list[Reminder] | None = None
    ) -> int:
        """Write the planned reminders; `cancel` ones (planned before, not any more) go.
        One script run per channel, since each channel has its own due set."""
        argv_by_channel: dict[str, list[str]] = {}
        for reminder in reminders:
            argv_by_channel.setdefault(reminder.channel, [reminder.channel]).extend(
                [reminder.id, str(int(_epoch(reminder.due))), _dumps(reminder.to_json())]
            )
        for reminder in cancel or []:
            argv_by_channel.setdefault(reminder.channel, [reminder.channel]).extend(
                [reminder.id, "0", ""]
            )
        return sum(
            self._run_reschedule(team, channel, argv) for channel, argv in argv_by_channel.items()
        )

    def _run_reschedule(self, team: str, channel: str, argv: list[str]) -> int:
        keys = [self.key(team, "due"), self.key(team, "rem"), self.due_key(team, channel)]
        return int(cast(int, self._reschedule(keys=keys, args=argv)))

    def set_event_state(self, team: str, event: str, state: EventState) -> int:
        """Mark an event done or not relevant and cancel its scheduled reminders."""
        stored = self.event(team, event)
        if stored is None:
            return 0
        record = {**stored.to_json(), "s": state}
        self._redis.hset(self.key(team, "ev"), event, json.dumps(record))
        cancelled = [
            Reminder.from_json(rid, data)
            for rid, data in self._reminders_of(team, event)
            if data["s"] == "scheduled"
        ]
        return self._replace_reminders(team, [], cancel=cancelled)

    def reopen_event(self, team: str, event: str, now: datetime) -> int:
        """Track an ignored event again: its cancelled reminders still ahead come back."""
        stored = self.event(team, event)
        if stored is None:
            return 0
        self._redis.hset(self.key(team, "ev"), event, json.dumps({**stored.to_json(), "s": "open"}))
        revived = [
            Reminder.from_json(rid, {**data, "s": "scheduled"})
            for rid, data in self._reminders_of(team, event)
            if data["s"] == "cancelled" and int(data["d"]) > _epoch(now)
        ]
        pipe = self._redis.pipeline(transaction=True)
        for reminder in revived:
            # The hash and both due sets change in one MULTI, so no claim sees half of it.
            pipe.hset(self.key(team, "rem"), reminder.id, _dumps(reminder.to_json()))
            due = int(_epoch(reminder.due))
            pipe.zadd(self.due_key(team, reminder.channel), {reminder.id: due})
            pipe.zadd(self.key(team, "due"), {reminder.channel: due}, lt=True)
        pipe.execute()
        self._redis.sadd(TEAMS_KEY, team)
        return len(revived)

    def snooze_event(self, team: str, event: str, until: datetime) -> int:
        """Move the event's next scheduled reminder (or, when all went out, the last posted
        one) to `until`. A reminder being delivered right now is left alone."""
        pending = [
            Reminder.from_json(rid, data)
            for rid, data in self._reminders_of(team, event)
            if data["s"] in ("scheduled", "posted")
        ]
        if not pending:
            return 0
        target = min(pending, key=lambda r: (r.state != "scheduled", r.due))
        keys = [self.key(team, "due"), self.key(team, "rem"), self.due_key(team, target.channel)]
        moved = int(
            cast(
                int,
                self._snooze(keys=keys, args=[target.id, str(int(_epoch(until))), target.channel]),
            )
        )
        self._redis.sadd(TEAMS_KEY, team)
        return moved

    def _reminders_of(self, team: str, event: str) -> Iterator[tuple[str, dict[str, Any]]]:
        ids = [f"{event}.{code}" for code in ("h", "b", "f")]
        values = cast(list[str | None], self._redis.hmget(self.key(team, "rem"), ids))
        for rid, raw in zip(ids, values, strict=True):
            if raw is not None:
                yield rid, json.loads(raw)

    def channel_events(
        self, team: str, channel: str, first: date, last: date
    ) -> list[tuple[TrackedEvent, ArticleRecord]]:
        """Open events of `channel` whose window meets [first, last], soonest first."""
        ids = cast(
            list[str],
            self._redis.zrangebyscore(self.key(team, f"chev:{channel}"), first.toordinal(), "+inf"),
        )
        if not ids:
            return []
        # Two round trips however many events: this answers slash commands.
        raw_events = cast(list[str | None], self._redis.hmget(self.key(team, "ev"), ids))
        events = [
            TrackedEvent.from_json(event_id, json.loads(raw))
            for event_id, raw in zip(ids, raw_events, strict=True)
            if raw is not None
        ]
        events = [e for e in events if e.state == "open" and e.window.earliest <= last]
        if not events:
            return []
        article_ids = sorted({e.article for e in events})
        raw_articles = cast(list[str | None], self._redis.hmget(self.key(team, "art"), article_ids))
        articles = {
            key: ArticleRecord.from_json(key, json.loads(raw))
            for key, raw in zip(article_ids, raw_articles, strict=True)
            if raw is not None
        }
        found = [(e, articles[e.article]) for e in events if e.article in articles]
        return sorted(found, key=lambda pair: (pair[0].window.earliest, pair[0].window.latest))

    def channel_articles(self, team: str, channel: str, since: datetime) -> list[ArticleRecord]:
        """Articles first stored in `channel` at or after `since`, oldest first."""
        ids = cast(
            list[str],
            self._redis.zrangebyscore(
                self.key(team, f"charts:{channel}"), int(_epoch(since)), "+inf"
            ),
        )
        found = [self.article(team, article) for article in ids]
        return [a for a in found if a is not None and not a.title.startswith("Slack thread")]

    # ---------------------------------------------------------------- digests

    def set_digest(self, team: str, channel: str, schedule: dict[str, Any] | None) -> None:
        if schedule is None:
            self._redis.hdel(self.key(team, "digest"), channel)
        else:
            self._redis.hset(self.key(team, "digest"), channel, json.dumps(schedule))
            self._redis.sadd(TEAMS_KEY, team)

    def digests(self, team: str) -> dict[str, dict[str, Any]]:
        raw = cast(dict[str, str], self._redis.hgetall(self.key(team, "digest")))
        return {channel: json.loads(body) for channel, body in raw.items()}

    def claim_digest(
        self, team: str, channel: str, period: str, *, owner: str, now: datetime, lease_s: int = 120
    ) -> str:
        """'claimed' when this caller owns the digest of `period`; 'recover' when an earlier
        owner's lease ran out before it recorded a post (look for that post first); 'done'
        when it was posted; 'busy' when someone holds it now."""
        return str(
            self._claim_digest(
                keys=[self.key(team, f"digestrun:{channel}")],
                args=[period, owner, str(int(_epoch(now))), str(lease_s)],
            )
        )

    def record_digest(self, team: str, channel: str, period: str, ts: str) -> None:
        body = json.dumps({"p": period, "s": "posted", "ts": ts})
        self._redis.set(self.key(team, f"digestrun:{channel}"), body)

    def first_delivery(self, team: str, event_id: str, ttl_s: int = 3600) -> bool:
        """True the first time an Events API event id is seen; Slack's retries get False."""
        return bool(self._redis.set(self.key(team, f"seen:{event_id}"), "1", nx=True, ex=ttl_s))

    # ---------------------------------------------------------------- the job stream

    def enqueue_job(self, job: dict[str, str]) -> str:
        """Add a job for the workers (at most ~100,000 kept).

        The job gets an `origin`, made here once: should the client send the XADD again after
        a dropped connection that Redis had already obeyed, both entries carry the same
        origin, and workers run and answer it once (see `job_done`)."""
        fields: dict[Any, Any] = {"origin": f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:16]}"}
        fields.update(job)
        return str(self._redis.xadd(JOBS_STREAM, fields, maxlen=100_000, approximate=True))

    def job_done(self, origin: str) -> bool:
        """True when a job of this origin was finished (kept two days)."""
        return bool(self._redis.exists(f"{JOBS_STREAM}:done:{origin}"))

    def mark_job_done(self, origin: str) -> None:
        self._redis.set(f"{JOBS_STREAM}:done:{origin}", "1", ex=2 * 24 * 3600)

    def ensure_job_group(self) -> None:
        try:
            self._redis.xgroup_create(JOBS_STREAM, JOBS_GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read_jobs(
        self, consumer: str, count: int, block_ms: int, reclaim_idle_ms: int
    ) -> list[tuple[str, dict[str, str]]]:
        """Jobs a crashed consumer left pending first, then new ones."""
        reclaimed: list[Any] = self._redis.xautoclaim(
            JOBS_STREAM, JOBS_GROUP, consumer, reclaim_idle_ms, start_id="0-0", count=count
        )
        jobs = [(str(i), dict(f)) for i, f in reclaimed[1] if f]
        if jobs:
            return jobs
        answer = cast(
            list[Any] | None,
            self._redis.xreadgroup(
                JOBS_GROUP, consumer, {JOBS_STREAM: ">"}, count=count, block=block_ms
            ),
        )
        if not answer:
            return []
        return [(str(i), dict(f)) for i, f in answer[0][1]]

    def ack_job(self, job_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.xack(JOBS_STREAM, JOBS_GROUP, job_id)
        pipe.xdel(JOBS_STREAM, job_id)
        pipe.execute()

    def take_job(self, job_id: str, owner: str, ttl_ms: int) -> bool:
        """Hold a job while running it. A stream entry idle long enough is handed to another
        consumer even though its first one is still at work (a slow extraction): the holder
        renews this lease, and a consumer that cannot take it leaves the job alone."""
        return bool(self._redis.set(f"{JOBS_STREAM}:run:{job_id}", owner, nx=True, px=ttl_ms))

    def renew_job(self, job_id: str, owner: str, ttl_ms: int) -> bool:
        return bool(self._renew_job(keys=[f"{JOBS_STREAM}:run:{job_id}"], args=[owner, ttl_ms]))

    def release_job(self, job_id: str, owner: str) -> None:
        self._release_job(keys=[f"{JOBS_STREAM}:run:{job_id}"], args=[owner])

    def job_deliveries(self, job_id: str) -> int:
        """How many times the job was handed to a consumer (0 when it is no longer pending)."""
        entries: list[dict[str, Any]] = self._redis.xpending_range(
            JOBS_STREAM, JOBS_GROUP, min=job_id, max=job_id, count=1
        )
        return int(entries[0]["times_delivered"]) if entries else 0

    @staticmethod
    def unavailable(error: BaseException) -> bool:
        """Redis could not be reached or answered too late (the work can be tried again)."""
        return isinstance(error, (StoreError, redis.ConnectionError, redis.TimeoutError))

    def pending_jobs(self) -> int:
        try:
            info: dict[str, Any] = self._redis.xpending(JOBS_STREAM, JOBS_GROUP)
        except redis.ResponseError:
            return 0
        return int(info.get("pending", 0))

    # ---------------------------------------------------------------- reminders

    def reminder(self, team: str, reminder: str) -> Reminder | None:
        raw = cast(str | None, self._redis.hget(self.key(team, "rem"), reminder))
        return None if raw is None else Reminder.from_json(reminder, json.loads(raw))

    def reminders(self, team: str) -> list[Reminder]:
        raw = cast(dict[str, str], self._redis.hgetall(self.key(team, "rem")))
        return [Reminder.from_json(rid, json.loads(body)) for rid, body in raw.items()]

    def add_reminders(self, team: str, reminders: list[Reminder]) -> None:
        """Store reminders as they are (bulk loads and tests); schedules those scheduled."""
        pipe = self._redis.pipeline(transaction=False)
        for reminder in reminders:
            pipe.hset(self.key(team, "rem"), reminder.id, _dumps(reminder.to_json()))
            if reminder.state == "scheduled":
                due = int(_epoch(reminder.due))
                pipe.zadd(self.due_key(team, reminder.channel), {reminder.id: due})
                pipe.zadd(self.key(team, "due"), {reminder.channel: due}, lt=True)
        pipe.sadd(TEAMS_KEY, team)
        pipe.execute()

    def scheduled_channels(self, team: str) -> list[str]:
        return cast(list[str], self._redis.zrange(self.key(team, "due"), 0, -1))

    def scheduled_count(self, team: str) -> int:
        """How many reminders of `team` wait in the channels' due sets."""
        pipe = self._redis.pipeline(transaction=False)
        for channel in self.scheduled_channels(team):
            pipe.zcard(self.due_key(team, channel))
        return sum(int(n) for n in pipe.execute())

    def teams(self) -> list[str]:
        return sorted(cast(set[str], self._redis.smembers(TEAMS_KEY)))

    def next_due(self, team: str) -> datetime | None:
        """The earliest moment anything of `team` becomes claimable (due or lease expiry)."""
        moments: list[float] = []
        for name in ("due", "lease"):
            first = cast(
                list[tuple[str, float]],
                self._redis.zrange(self.key(team, name), 0, 0, withscores=True),
            )
            moments += [score for _, score in first]
        return datetime.fromtimestamp(min(moments), UTC) if moments else None

    def claim_due(
        self,
        team: str,
        now: datetime,
        limit: int,
        lease_until: datetime,
        owner: str,
        *,
        per_channel: int = 1_000_000,
    ) -> list[Claimed]:
        channels = cast(
            list[str],
            self._redis.zrangebyscore(self.key(team, "due"), "-inf", _epoch(now), 0, limit),
        )
        keys = [self.key(team, "due"), self.key(team, "lease"), self.key(team, "rem")]
        keys += [self.due_key(team, channel) for channel in channels]
        args = [str(_epoch(now)), str(limit), str(_epoch(lease_until)), owner, str(per_channel)]
        args += channels
        flat = cast(list[str], self._claim(keys=keys, args=args))
        claimed: list[Claimed] = []
        for rid, body in zip(flat[::2], flat[1::2], strict=True):
            data = json.loads(body)
            claimed.append(Claimed(team, Reminder.from_json(rid, data), owner, bool(data["rc"])))
        return claimed

    def renew(self, claim: Claimed, lease_until: datetime) -> bool:
        keys = [self.key(claim.team, "lease"), self.key(claim.team, "rem")]
        args = [claim.reminder.id, claim.owner, str(_epoch(lease_until))]
        return bool(self._renew(keys=keys, args=args))

    def finish(
        self,
        claim: Claimed,
        state: str,
        patch: dict[str, Any],
        requeue_at: datetime | None = None,
    ) -> bool:
        """Record the outcome of a claim; False when the lease now belongs to someone else."""
        keys = [
            self.key(claim.team, "lease"),
            self.key(claim.team, "rem"),
            self.key(claim.team, "due"),
            self.due_key(claim.team, claim.reminder.channel),
        ]
        args = [
            claim.reminder.id,
            claim.owner,
            state,
            _dumps(patch) if patch else "{}",
            "" if requeue_at is None else str(int(_epoch(requeue_at))),
            claim.reminder.channel,
        ]
        return bool(self._finish(keys=keys, args=args))

    # ---------------------------------------------------------------- pacing

    def hold_channel_slot(self, team: str, channel: str, spacing_ms: int) -> None:
        """Keep `channel` closed for `spacing_ms` from now."""
        self._redis.set(self.key(team, f"pace:{channel}"), "1", px=spacing_ms)

    def take_channel_slot(self, team: str, channel: str, spacing_ms: int) -> int:
        """0 when this caller may post to `channel` now, else milliseconds to wait."""
        key = self.key(team, f"pace:{channel}")
        if self._redis.set(key, "1", px=spacing_ms, nx=True):
            return 0
        remaining = self._redis.pttl(key)
        return max(int(remaining), 1)


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))
