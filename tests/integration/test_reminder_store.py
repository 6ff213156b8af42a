"""Reminders in a real Redis: where they land, idempotent ingest, refinements, user actions,
atomic claims, recovery after a crash, and a Redis restart with its append-only file."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.alerts import AlertPolicy, QuietHours
from bot.blocks import SlackMessage
from bot.dispatch import (
    Dispatcher,
    DispatchSettings,
    NoPacer,
    PostResult,
    SimulatedClock,
)
from bot.local_redis import LocalRedis
from bot.model import DateWindow
from bot.reminders import ArticleRecord, Reminder, TrackedEvent
from bot.store import RedisStore
from bot.tracking import ArticleInput, track_article
from tests.conftest import Seed
from tests.reminder_fixtures import store_due_reminders

TEAM = "T1"
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def _article(text: str, published: datetime, zone: str, url: str | None = None) -> ArticleInput:
    return ArticleInput(
        team=TEAM, channel="C1", thread_ts="1700000000.000100", title="A story", text=text,
        published=published, zone=zone, url=url,
    )  # fmt: skip


def _local_due(store: RedisStore, zone: ZoneInfo) -> list[tuple[str, str]]:
    return sorted(
        (r.due.astimezone(zone).strftime("%Y-%m-%d %H:%M"), r.kind) for r in store.reminders(TEAM)
    )


def test_seed_reminders_land_at_the_expected_local_times(store: RedisStore, seed: Seed) -> None:
    store.set_channel_policy(TEAM, "C1", AlertPolicy(zone="Europe/Paris"))
    result = track_article(store, _article(seed.text, seed.published, seed.zone), seed.published)
    assert len(result.events) == 4  # the London meeting is one event
    assert _local_due(store, PARIS) == [
        ("2025-04-19 09:00", "heads_up"),
        ("2025-04-19 09:00", "heads_up"),
        ("2025-04-19 09:00", "heads_up"),
        ("2025-04-21 09:00", "heads_up"),
        ("2025-04-23 09:00", "follow_up"),
        ("2025-04-26 09:00", "follow_up"),
        ("2025-04-26 09:00", "follow_up"),
        ("2025-05-19 09:00", "follow_up"),
    ]


def test_storing_the_same_article_again_changes_nothing(store: RedisStore, seed: Seed) -> None:
    first = track_article(store, _article(seed.text, seed.published, seed.zone), seed.published)
    before = store.client.hgetall(store.key(TEAM, "rem"))
    later = seed.published + timedelta(hours=5)
    second = track_article(store, _article(seed.text, seed.published, seed.zone), later)
    assert first.saved.new_article and not second.saved.new_article
    assert second.saved.reminders_changed == 0
    assert store.client.hgetall(store.key(TEAM, "rem")) == before


def test_an_updated_story_that_narrows_the_window_reschedules(store: RedisStore) -> None:
    published = datetime(2025, 4, 17, 18, 0, tzinfo=PARIS)  # a Thursday
    store.set_channel_policy(TEAM, "C1", AlertPolicy(zone="Europe/Paris"))
    url = "https://news.example/london-talks"
    first = "Officials said a new meeting is expected in London in the coming days."
    track_article(store, _article(first, published, "Europe/Paris", url), published)
    assert _local_due(store, PARIS)[0] == ("2025-04-18 09:00", "heads_up")
    updated = (
        first + " Rubio said he could join that meeting, and it is expected early in the week."
    )
    result = track_article(store, _article(updated, published, "Europe/Paris", url), published)
    assert result.saved.reminders_changed == 2
    assert _local_due(store, PARIS) == [
        ("2025-04-21 09:00", "heads_up"),
        ("2025-04-23 09:00", "follow_up"),
    ]


def test_quiet_hours_hold_an_alert_until_morning(store: RedisStore) -> None:
    store.set_channel_policy(TEAM, "C1", AlertPolicy("America/New_York", QuietHours(20, 8)))
    late_evening = datetime(2025, 6, 3, 21, 30, tzinfo=NEW_YORK)
    track_article(
        store, _article("The council will vote today on the budget.", late_evening,
                        "America/New_York"), late_evening,
    )  # fmt: skip
    heads_up = next(r for r in store.reminders(TEAM) if r.kind == "heads_up")
    assert heads_up.due.astimezone(NEW_YORK) == datetime(2025, 6, 4, 8, 0, tzinfo=NEW_YORK)


def test_channel_time_zone_across_the_spring_dst_change(store: RedisStore) -> None:
    store.set_channel_policy(TEAM, "C1", AlertPolicy("America/New_York"))
    friday = datetime(2025, 3, 7, 10, 0, tzinfo=NEW_YORK)  # EST; clocks go forward on the 9th
    track_article(
        store, _article("The council will vote on Monday at 7 p.m. ET.", friday,
                        "America/New_York"), friday,
    )  # fmt: skip
    due = {r.kind: r.due for r in store.reminders(TEAM)}
    assert due["heads_up"] == datetime(2025, 3, 10, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert due["before_time"] == datetime(2025, 3, 10, 22, 0, tzinfo=UTC)  # 18:00 EDT
    assert due["follow_up"] == datetime(2025, 3, 11, 13, 0, tzinfo=UTC)


def test_done_cancels_the_remaining_reminders_and_snooze_moves_one(
    store: RedisStore, seed: Seed
) -> None:
    result = track_article(store, _article(seed.text, seed.published, seed.zone), seed.published)
    decision = next(e for e in result.events if e.kind == "decision")
    assert store.set_event_state(TEAM, decision.id, "done") == 2
    states = {r.id: r.state for r in store.reminders(TEAM) if r.event == decision.id}
    assert set(states.values()) == {"cancelled"}
    assert store.event(TEAM, decision.id).state == "done"  # type: ignore[union-attr]
    meeting = next(e for e in result.events if e.kind == "meeting")
    until = datetime(2025, 4, 24, 7, 0, tzinfo=UTC)
    assert store.snooze_event(TEAM, meeting.id, until) == 1
    heads_up = store.reminder(TEAM, f"{meeting.id}.h")
    assert heads_up is not None and heads_up.due == until and heads_up.state == "scheduled"
    # A second ingest keeps the user's decision: no reminder of the done event comes back.
    track_article(store, _article(seed.text, seed.published, seed.zone), seed.published)
    assert {r.state for r in store.reminders(TEAM) if r.event == decision.id} == {"cancelled"}


def _reminders(
    count: int, due: datetime, channels: int = 5, store: RedisStore | None = None
) -> list[Reminder]:
    """`count` heads-up reminders over `channels` channels; with `store`, their events and
    article are stored too, so a dispatcher can render them."""
    if store is not None:
        article = ArticleRecord(
            id="art", channel="C0", thread_ts="1.0", title="A story", url=None,
            published=due, zone="UTC", stored_at=due,
        )  # fmt: skip
        window = DateWindow(due.date(), due.date())
        events = [
            TrackedEvent(
                id=f"ev{i}",
                article="art",
                kind="meeting",
                what=f"meeting {i}",
                trigger="today",
                window=window,
                conditional=False,
                clock=None,
                zone=None,
            )
            for i in range(count)
        ]
        store.save_article(TEAM, article, [(event, []) for event in events])
    return [
        Reminder(
            id=f"ev{i}.h",
            event=f"ev{i}",
            channel=f"C{i % channels}",
            thread_ts="1.0",
            kind="heads_up",
            due=due,
        )
        for i in range(count)
    ]


def test_concurrent_claims_never_hand_out_a_reminder_twice(
    store: RedisStore, redis_server: LocalRedis
) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    store.add_reminders(TEAM, _reminders(1000, now))
    taken: list[list[str]] = [[] for _ in range(4)]

    def claimer(slot: int) -> None:
        client = RedisStore.from_url(redis_server.url)
        while claims := client.claim_due(TEAM, now, 25, now + timedelta(minutes=1), f"w{slot}"):
            taken[slot].extend(c.reminder.id for c in claims)

    threads = [threading.Thread(target=claimer, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [rid for ids in taken for rid in ids]
    assert len(everything) == len(set(everything)) == 1000


class RecordingPoster:
    """Keeps posts in memory; `lost_first` drops the record of the first post, as a crash
    between posting and recording would."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []

    def post(self, channel: str, thread_ts: str, message: SlackMessage) -> PostResult:
        rid = message.metadata["event_payload"]["reminder_id"]
        self.posts.append((rid, message.text))
        return PostResult(ok=True, ts=f"{len(self.posts)}.000000")

    def find_posted(
        self, channel: str, thread_ts: str, reminder: Reminder, since: datetime
    ) -> str | None:
        for index, (rid, _) in enumerate(self.posts, start=1):
            if rid == reminder.id:
                return f"{index}.000000"
        return None


def test_recovery_after_all_workers_were_down(store: RedisStore, seed: Seed) -> None:
    track_article(store, _article(seed.text, seed.published, seed.zone), seed.published)
    # Back up three days after the first heads-up and ten days after publication.
    clock = SimulatedClock(datetime(2025, 4, 22, 9, 0, tzinfo=UTC))
    poster = RecordingPoster()
    report = Dispatcher(store, poster, clock, "w1", pacer=NoPacer()).run_once()
    assert report.posted == 4  # three heads-ups of 19 Apr, the meeting's of 21 Apr
    assert all("Late: this was due" in text for _, text in poster.posts)
    assert {r.late for r in store.reminders(TEAM) if r.state == "posted"} == {True}
    # Far too late: more than seven days stale is skipped with a note, not posted.
    clock.current = datetime(2025, 5, 30, 9, 0, tzinfo=UTC)
    report = Dispatcher(store, poster, clock, "w1", pacer=NoPacer()).run_once()
    skipped = [r for r in store.reminders(TEAM) if r.state == "skipped"]
    assert report.skipped == len(skipped) == 4  # follow-ups of 23 Apr, 26 Apr (2), 19 May
    assert all("more than 7 days" in r.reason for r in skipped)


def test_a_lease_taken_over_after_a_crash_finds_the_post_instead_of_posting(
    store: RedisStore,
) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    store.add_reminders(TEAM, _reminders(3, now, channels=1, store=store))
    # Worker w1 claims and posts, then dies before recording.
    crashed = store.claim_due(TEAM, now, 10, now + timedelta(seconds=30), "w1")
    poster = RecordingPoster()
    for claim in crashed[:2]:
        poster.post("C0", "1.0", SlackMessage("x", [], {"event_payload": {
            "reminder_id": claim.reminder.id}}))  # fmt: skip
    clock = SimulatedClock(now + timedelta(seconds=31))
    settings = DispatchSettings(threads=1)
    report = Dispatcher(store, poster, clock, "w2", settings=settings, pacer=NoPacer()).run_once()
    assert (report.recovered, report.posted) == (2, 1)
    assert sorted(rid for rid, _ in poster.posts) == sorted(c.reminder.id for c in crashed)
    assert {r.state for r in store.reminders(TEAM)} == {"posted"}
    # The crashed worker's late record is refused: the lease is no longer its own.
    assert not store.finish(crashed[0], "posted", {"p": "9.9"})


def test_redis_restart_with_append_only_file_loses_nothing(tmp_path: Path) -> None:
    due = datetime(2030, 1, 1, tzinfo=UTC)
    server = LocalRedis(appendonly=True, data_dir=tmp_path).start()
    try:
        RedisStore.from_url(server.url).add_reminders(TEAM, _reminders(500, due))
        server.kill()
        server.start()
        store = RedisStore.from_url(server.url)
        assert len(store.reminders(TEAM)) == 500
        claims = store.claim_due(TEAM, due, 1000, due + timedelta(minutes=1), "w1")
        assert len(claims) == 500
    finally:
        server.cleanup()


def test_a_channel_with_a_long_backlog_does_not_hide_the_others(store: RedisStore) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    backlog = _reminders(2000, now - timedelta(hours=1), channels=1)
    others = [
        Reminder(
            id=f"q{i}.h", event=f"q{i}", channel="CQUIET", thread_ts="1.0", kind="heads_up", due=now
        )
        for i in range(5)
    ]
    store.add_reminders(TEAM, backlog + others)
    claims = store.claim_due(TEAM, now, 50, now + timedelta(minutes=1), "w1", per_channel=5)
    assert sorted(c.reminder.channel for c in claims) == ["C0"] * 5 + ["CQUIET"] * 5


def test_reingest_keeps_attempts_and_done_and_cancels_dropped_reminders(store: RedisStore) -> None:
    friday = datetime(2025, 3, 7, 10, 0, tzinfo=NEW_YORK)
    url = "https://news.example/vote"
    with_time = "The council will vote on Monday at 7 p.m. ET, the clerk said."
    track_article(store, _article(with_time, friday, "America/New_York", url), friday)
    kinds = {r.kind for r in store.reminders(TEAM) if r.state == "scheduled"}
    assert kinds == {"heads_up", "before_time", "follow_up"}
    # An updated story drops the clock time: the hour-before reminder goes.
    updated = "The council will vote on Monday, the clerk said."
    track_article(store, _article(updated, friday, "America/New_York", url), friday)
    states = {r.kind: r.state for r in store.reminders(TEAM)}
    assert states == {"heads_up": "scheduled", "before_time": "cancelled", "follow_up": "scheduled"}
    # A retry in progress keeps its attempts when the same story comes in again.
    heads_up = next(r for r in store.reminders(TEAM) if r.kind == "heads_up")
    [claim] = [
        c
        for c in store.claim_due(TEAM, heads_up.due, 10, heads_up.due + timedelta(minutes=1), "w1")
        if c.reminder.id == heads_up.id
    ]
    store.finish(
        claim,
        "scheduled",
        {"w": "retrying: http_500"},
        requeue_at=heads_up.due + timedelta(seconds=5),
    )
    track_article(store, _article(updated, friday, "America/New_York", url), friday)
    again = store.reminder(TEAM, heads_up.id)
    assert again is not None and again.attempts == 1
    # Done clicked: a later ingest does not reopen the event.
    store.set_event_state(TEAM, heads_up.event, "done")
    track_article(store, _article(updated, friday, "America/New_York", url), friday)
    assert store.event(TEAM, heads_up.event).state == "done"  # type: ignore[union-attr]


def test_snooze_leaves_a_reminder_in_flight_alone(store: RedisStore) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    [reminder] = _reminders(1, now, channels=1, store=store)
    store.add_reminders(TEAM, [reminder])
    [claim] = store.claim_due(TEAM, now, 10, now + timedelta(minutes=1), "w1")
    assert store.snooze_event(TEAM, reminder.event, now + timedelta(days=1)) == 0
    assert store.finish(claim, "posted", {"p": "1.1"})


def test_one_workspaces_backlog_does_not_hold_up_another(store: RedisStore) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    store.add_reminders(TEAM, _reminders(30, now - timedelta(hours=1), channels=1, store=store))
    [other] = store_due_reminders(store, "T2", 1, 1, now)
    poster = RecordingPoster()
    settings = DispatchSettings(threads=1, batch=5)
    Dispatcher(
        store, poster, SimulatedClock(now), "w1", settings=settings, pacer=NoPacer()
    ).run_once()
    order = [rid for rid, _ in poster.posts]
    assert len(order) == 31
    assert order.index(other.id) <= 5  # served in the first round, not after T1's 30


def test_a_reminder_that_keeps_crashing_is_given_up(store: RedisStore) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    store.add_reminders(TEAM, _reminders(1, now, channels=1, store=store))

    class CrashingPoster(RecordingPoster):
        def post(self, channel: str, thread_ts: str, message: SlackMessage) -> PostResult:
            raise RuntimeError("boom")

    clock = SimulatedClock(now)
    settings = DispatchSettings(threads=1, max_attempts=3)
    dispatcher = Dispatcher(
        store, CrashingPoster(), clock, "w1", settings=settings, pacer=NoPacer()
    )
    for _ in range(6):
        dispatcher.run_once()
        clock.current += timedelta(minutes=5)
    [stored] = store.reminders(TEAM)
    assert stored.state == "failed" and "crashed" in stored.reason
