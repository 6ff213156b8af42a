"""The same store on the other two deployments REDIS_URL can name: a 3-master Redis Cluster
(the reminder scenarios of test_reminder_store, the job stream, feed claims, one hash slot per
workspace) and a Sentinel set whose master dies (Sentinel promotes the replica, the store goes
on with nothing lost).

The whole suite also runs through either with NEWSBOT_TEST_REDIS=cluster or =sentinel."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.local_redis import LocalCluster, LocalSentinel
from bot.store import JOBS_STREAM, RedisStore
from tests.conftest import Seed
from tests.integration import test_reminder_store as on_one_server
from tests.reminder_fixtures import store_due_reminders

TEAM = "T1"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(masters=3) as running:
        yield running


@pytest.fixture
def cluster_store(cluster: LocalCluster) -> Iterator[RedisStore]:
    store = RedisStore.from_url(cluster.url)
    store.client.flushall()
    try:
        yield store
    finally:
        store.client.close()


SCENARIOS: list[Callable[..., None]] = [
    on_one_server.test_seed_reminders_land_at_the_expected_local_times,
    on_one_server.test_storing_the_same_article_again_changes_nothing,
    on_one_server.test_an_updated_story_that_narrows_the_window_reschedules,
    on_one_server.test_done_cancels_the_remaining_reminders_and_snooze_moves_one,
    on_one_server.test_concurrent_claims_never_hand_out_a_reminder_twice,
    on_one_server.test_recovery_after_all_workers_were_down,
    on_one_server.test_a_lease_taken_over_after_a_crash_finds_the_post_instead_of_posting,
    on_one_server.test_a_channel_with_a_long_backlog_does_not_hide_the_others,
    on_one_server.test_reingest_keeps_attempts_and_done_and_cancels_dropped_reminders,
    on_one_server.test_one_workspaces_backlog_does_not_hold_up_another,
    on_one_server.test_a_reminder_that_keeps_crashing_is_given_up,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_reminder_scenarios_on_a_cluster(
    scenario: Callable[..., None], cluster_store: RedisStore, cluster: LocalCluster, seed: Seed
) -> None:
    given: dict[str, Any] = {"store": cluster_store, "redis_server": cluster, "seed": seed}
    wanted = inspect.signature(scenario).parameters
    scenario(**{name: given[name] for name in wanted})


def test_a_workspaces_keys_share_one_slot_and_workspaces_spread(
    cluster_store: RedisStore,
) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    client: Any = cluster_store.client  # a RedisCluster, typed as the store's client
    masters: set[int] = set()
    for team in [f"T{n:03d}" for n in range(24)]:
        store_due_reminders(cluster_store, team, 20, 4, now)
        keys = list(client.scan_iter(match=f"nb:{{{team}}}:*"))
        assert len(keys) > 5
        assert len({client.keyslot(k) for k in keys}) == 1, team
        masters.add(client.get_node_from_key(keys[0]).port)
    # 24 workspaces over 3 masters: each master holds some of them.
    assert len(masters) == 3


def test_job_stream_reclaim_and_ack_on_a_cluster(cluster_store: RedisStore) -> None:
    cluster_store.ensure_job_group()
    cluster_store.ensure_job_group()  # a second worker starting: the group already exists
    ids = [cluster_store.enqueue_job({"kind": "noop", "n": str(n)}) for n in range(5)]
    first = cluster_store.read_jobs("w1", count=10, block_ms=100, reclaim_idle_ms=60_000)
    assert [job_id for job_id, _ in first] == ids
    # w1 dies holding them; w2 takes them over once they are idle long enough.
    time.sleep(0.05)
    taken = cluster_store.read_jobs("w2", count=10, block_ms=100, reclaim_idle_ms=10)
    assert [job_id for job_id, _ in taken] == ids
    for job_id, _ in taken:
        cluster_store.ack_job(job_id)
    assert cluster_store.pending_jobs() == 0
    assert cluster_store.client.xlen(JOBS_STREAM) == 0


def test_sentinel_failover_keeps_every_reminder_and_the_store_working() -> None:
    with LocalSentinel() as sentinels:
        store = RedisStore.from_url(sentinels.url)
        now = datetime(2025, 1, 1, tzinfo=UTC)
        store_due_reminders(store, TEAM, 200, 10, now)
        claimed = store.claim_due(TEAM, now, 50, now + timedelta(minutes=5), "w1")
        assert len(claimed) == 50
        # Wait until the replica holds every write, as Redis promises only then.
        assert store.client.execute_command("WAIT", 1, 5000) == 1
        old_master = sentinels.master_port()
        sentinels.kill_master()
        deadline = time.monotonic() + 60
        while sentinels.master_port() == old_master:
            assert time.monotonic() < deadline, "Sentinel did not promote the replica"
            time.sleep(0.2)
        # The same client object, without a restart: it asks the sentinels for the new master.
        rest = store.claim_due(TEAM, now, 1000, now + timedelta(minutes=5), "w2")
        assert len(rest) == 150
        assert {c.reminder.id for c in rest}.isdisjoint(c.reminder.id for c in claimed)
        assert len(store.reminders(TEAM)) == 200
        store.client.close()
