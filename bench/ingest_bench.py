"""Measures the whole ingestion path beside extraction alone, on the same texts, in one run.

A local news site (loopback) serves an RSS feed of N articles (500 by default) as realistic HTML
pages (three site templates, dates in JSON-LD, meta tags or a <time> tag). The ingest side is
what one worker does for a followed feed: poll the feed (one fetch), queue a job per item on the
Redis job stream, and for each job fetch the page through the SSRF-checked fetcher, read it
(trafilatura + metadata dates), look for the same link and a syndicated copy, extract the
events, look for the same events from other reports, and store article, events and reminders in
a private Redis. Posting to Slack is replaced by a recorder (no network beyond loopback).

The baseline side calls `bot.extraction.extract` on the very texts the pages were built from,
with their publication dates, in the same process after the same warm-up.

Texts: each article keeps the lead paragraph of one of the 60 corpus articles and adds seven
paragraphs drawn (seeded) from the whole corpus, so the N texts are distinct stories to the
deduplicator (a few collapse as syndicated copies; the JSON reports how many).

The last line of stdout is one JSON object: `rate_ingest`, `rate_extract_only`, `ratio`
(ingest / extract-only; the target is at least 0.8), and details.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.append(str(PROJECT_ROOT))

FULL_COUNT = 500
QUICK_COUNT = 80
SEED = 20260418
PARAGRAPHS_ADDED = 7
TEAM, CHANNEL = "TBENCH", "CBENCH"


class RecordingAnnouncer:
    """Stands in for Slack: keeps what would be posted, answers with a ts."""

    def __init__(self) -> None:
        self.posts = 0

    def post(self, channel: str, thread_ts: str, message: Any, job_id: str) -> str:
        self.posts += 1
        return f"{1_700_000_000 + self.posts}.000100"


def build_articles(count: int) -> list[tuple[str, list[str], datetime]]:
    from tests.fakes.news_pages import load_corpus

    corpus = list(load_corpus())
    pool = [p for article in corpus for p in article.paragraphs[1:]]
    rng = random.Random(SEED)
    articles = []
    for number in range(count):
        base = corpus[number % len(corpus)]
        body = [base.paragraphs[0], *rng.sample(pool, PARAGRAPHS_ADDED)]
        articles.append((f"{base.title} ({number + 1})", body, base.published))
    return articles


def run(count: int) -> dict[str, Any]:
    from bot.extraction import extract
    from bot.feed_poller import FeedPoller
    from bot.feeds import FeedFilter
    from bot.fetcher import Fetcher
    from bot.ingest import Ingestor, LinkRequest
    from bot.ingest_store import IngestStore, Subscription
    from bot.local_redis import LocalRedis
    from bot.store import RedisStore
    from config.logging import configure_logging
    from tests.fakes.news_pages import FeedItem, news_page, rss
    from tests.fakes.news_site import NewsSite

    configure_logging("WARNING")  # as the other benches: per-article info lines off
    articles = build_articles(count)
    templates = ("wire", "daily", "magazine")
    placements = ("jsonld", "meta", "time_tag")
    redis_server = LocalRedis().start()
    site = NewsSite().start()
    try:
        store = RedisStore.from_url(redis_server.url)
        items = []
        for number, (title, body, published) in enumerate(articles):
            path = f"/news/{number:04d}/story.html"
            html = news_page(
                title, body, site.url(path), published=published,
                template=templates[number % 3], date_in=placements[number % 3], seed=number,
            )  # fmt: skip
            site.add(path, html.encode("utf-8"))
            items.append(FeedItem(title, site.url(path), f"item-{number}", published))
        feed_url = site.add(
            "/feed.xml", rss(items).encode("utf-8"), content_type="application/rss+xml"
        )
        texts = ["\n\n".join(body) for _, body, _ in articles]

        # Warm-up: load spaCy and touch every code path once, outside both timings.
        extract(texts[0], articles[0][2], None)

        started = time.perf_counter()
        for text, (_, _, published) in zip(texts, articles, strict=True):
            extract(text, published, None)
        extract_seconds = time.perf_counter() - started

        fetcher = Fetcher(allow_networks=("127.0.0.1/32",))  # the site is on loopback
        announcer = RecordingAnnouncer()
        ingestor = Ingestor(store, fetcher, announcer)
        now = max(published for _, _, published in articles).astimezone(UTC)
        subscription = Subscription(
            id="benchfeed", channel=CHANNEL, url=feed_url, title="bench", filter=FeedFilter(),
            interval=timedelta(minutes=10), added_by="bench", added_at=now,
        )  # fmt: skip
        IngestStore(store).subscribe(TEAM, subscription, first_poll=now)
        store.ensure_job_group()
        poller = FeedPoller(
            store, fetcher, announcer.post, first_poll_items=count,
            first_poll_age=timedelta(days=36500),
        )  # fmt: skip
        statuses: Counter[str] = Counter()
        latencies: list[float] = []
        started = time.perf_counter()
        report = poller.poll_due(now)
        while batch := store.read_jobs("bench", count=50, block_ms=1, reclaim_idle_ms=600_000):
            for job_id, job in batch:
                one = time.perf_counter()
                request = LinkRequest(
                    team=TEAM, channel=CHANNEL, url=job["url"], job_id=job_id,
                    feed_published=datetime.fromisoformat(job["published"]),
                    announce="if_events",
                )  # fmt: skip
                statuses[ingestor.ingest_url(request, now).status] += 1
                store.ack_job(job_id)
                latencies.append(time.perf_counter() - one)
        ingest_seconds = time.perf_counter() - started
        stored_events = store.client.hlen(store.key(TEAM, "ev"))
        reminders = store.client.hlen(store.key(TEAM, "rem"))
    finally:
        site.stop()
        redis_server.cleanup()
    rate_ingest = count / ingest_seconds
    rate_extract = count / extract_seconds
    latencies.sort()
    return {
        "articles": count,
        "queued": report.queued,
        "statuses": dict(statuses),
        "posts": announcer.posts,
        "events_stored": int(stored_events),
        "reminders_stored": int(reminders),
        "ingest_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "ingest_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "rate_ingest": round(rate_ingest, 2),
        "rate_extract_only": round(rate_extract, 2),
        "ratio": round(rate_ingest / rate_extract, 3),
        "target_ratio": 0.8,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} articles")
    parser.add_argument("--count", type=int, default=None, help="number of articles")
    args = parser.parse_args()
    count = args.count or (QUICK_COUNT if args.quick else FULL_COUNT)
    try:
        result = run(count)
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
