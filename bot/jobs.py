"""Jobs the web process queues and the workers run: reading a pasted article, summarizing a
thread, and posting the result.

A job is at-least-once (a crashed worker's job is reclaimed), so the post carries the job id in
its message metadata and a rerun looks for it before posting again; storing is idempotent.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import SlackMessage, article_message, section
from bot.errors import BadInput, FetchFailed, NewsbotError
from bot.extraction import extract
from bot.feeds import DEFAULT_INTERVAL, FeedFilter, feed_id, parse_feed
from bot.fetcher import Fetcher
from bot.ingest import Extract, Ingestor, LinkRequest
from bot.ingest_store import IngestStore, Subscription
from bot.metrics import Metrics
from bot.reminders import ArticleRecord, article_id, schedule, track
from bot.slack_client import MAX_PAGES, find_by_metadata, is_transient, metadata_of
from bot.store import RedisStore
from bot.summary import summarize, title_of
from bot.thread_summary import ThreadMessage, summarize_thread, summary_message
from bot.tracking import ArticleInput, track_article

log = structlog.get_logger(__name__)
ARTICLE_EVENT_TYPE = "newsbot_article"


def track_text_job(team: str, channel: str, user: str, text: str) -> dict[str, str]:
    return {"type": "track_text", "team": team, "channel": channel, "user": user, "text": text}


def summarize_thread_job(team: str, channel: str, thread_ts: str, user: str) -> dict[str, str]:
    return {
        "type": "summarize_thread", "team": team, "channel": channel, "thread_ts": thread_ts,
        "user": user,
    }  # fmt: skip


def ingest_url_job(
    team: str,
    channel: str,
    url: str,
    *,
    user: str = "",
    announce: str = "always",
    reply_to: str = "",
    feed: str = "",
    mark: str = "",
    published: datetime | None = None,
) -> dict[str, str]:
    """Read a link into a channel: asked for by `user`, shared in message `reply_to`, or an
    item (`mark`) of feed `feed`."""
    return {
        "type": "ingest_url", "team": team, "channel": channel, "url": url, "user": user,
        "announce": announce, "reply_to": reply_to, "feed": feed, "mark": mark,
        "published": published.isoformat() if published else "",
    }  # fmt: skip


def add_feed_job(
    team: str, channel: str, user: str, url: str, *, only: list[str], exclude: list[str]
) -> dict[str, str]:
    return {
        "type": "add_feed", "team": team, "channel": channel, "user": user, "url": url,
        "only": json.dumps(only), "exclude": json.dumps(exclude),
    }  # fmt: skip


class SlackAnnouncer:
    """Posts for ingestion, once per job: a rerun finds its earlier post by metadata."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, channel: str, thread_ts: str, message: SlackMessage, job_id: str) -> str:
        earlier = _earlier_post(self._client, channel, job_id, thread_ts or None)
        if earlier is not None:
            return earlier
        response = self._client.chat_postMessage(
            channel=channel, thread_ts=thread_ts or None, text=message.text,
            blocks=message.blocks, unfurl_links=False,
            metadata={"event_type": ARTICLE_EVENT_TYPE, "event_payload": {"job_id": job_id}},
        )  # fmt: skip
        return str(response["ts"])


def run_job(
    store: RedisStore,
    client: WebClient,
    job_id: str,
    job: dict[str, str],
    now: datetime,
    *,
    fetcher: Fetcher | None = None,
    metrics: Metrics | None = None,
) -> str:
    """Carry out one job; returns what happened (for logs and tests)."""
    extract_events = metrics.timed_extract(extract) if metrics is not None else extract
    if job.get("type") == "summarize_thread":
        return _summarize_thread(store, client, job_id, job, now)
    if job.get("type") in ("ingest_url", "add_feed"):
        if fetcher is None:
            raise NewsbotError("this process cannot fetch links (no fetcher configured)")
        if job["type"] == "add_feed":
            return _add_feed(store, client, fetcher, job_id, job, now=now)
        return _ingest_url(
            store, client, fetcher, job_id, job, now=now, extract_events=extract_events
        )
    if job.get("type") != "track_text":
        log.warning("job_unknown_type", job=job_id, type=job.get("type"))
        return "unknown"
    team, channel, user, text = job["team"], job["channel"], job["user"], job["text"]
    zone = store.channel_policy(team, channel).zone
    key = article_id(channel, text)
    if store.article(team, key) is not None and _earlier_post(client, channel, job_id) is None:
        _tell(client, channel, user, "I'm already tracking that article in this channel.")
        return "duplicate"
    try:
        events = extract_events(text, now, zone)
    except BadInput as error:
        _tell(client, channel, user, f"I couldn't read that: {error}.")
        return "refused"
    tracked = [event for event, _ in track(events, key)]
    ts = _earlier_post(client, channel, job_id)
    if ts is None:
        message = article_message(
            title_of(text), summarize(text), tracked,
            date_note="Pasted text has no date of its own: relative dates are read from today.",
        )  # fmt: skip
        response = client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False,
            metadata={"event_type": ARTICLE_EVENT_TYPE,
                      "event_payload": {"job_id": job_id, "article_id": key}},
        )  # fmt: skip
        ts = str(response["ts"])
    article = ArticleInput(
        team=team, channel=channel, thread_ts=ts, title=title_of(text), text=text,
        published=now, zone=zone,
    )  # fmt: skip
    result = track_article(store, article, now, events=events)
    log.info("article_tracked", team=team, channel=channel, events=len(result.events))
    return "tracked"


def _ingest_url(
    store: RedisStore,
    client: WebClient,
    fetcher: Fetcher,
    job_id: str,
    job: dict[str, str],
    *,
    now: datetime,
    extract_events: Extract = extract,
) -> str:
    team, channel, user = job["team"], job["channel"], job.get("user", "")
    feed = job.get("feed", "")
    ingest = IngestStore(store)
    subscription = ingest.subscription(team, channel, feed) if feed else None
    if feed and subscription is None:
        return "unsubscribed"
    request = LinkRequest(
        team=team, channel=channel, url=job["url"], job_id=job_id, user=user,
        feed_published=datetime.fromisoformat(job["published"]) if job.get("published") else None,
        filter=subscription.filter if subscription else None,
        announce="if_events" if job.get("announce") == "if_events" else "always",
        reply_to=job.get("reply_to", ""),
    )  # fmt: skip
    ingestor = Ingestor(store, fetcher, SlackAnnouncer(client), extract_events=extract_events)
    try:
        outcome = ingestor.ingest_url(request, now)
    except FetchFailed as error:
        if feed and error.transient:
            ingest.forget_items(team, channel, feed, [job.get("mark", "")])
        if user:
            _tell(client, channel, user, f"I couldn't read {job['url']}: {error}")
        log.warning("link_unreadable", team=team, channel=channel, url=job["url"],
                    error=str(error), feed=feed)  # fmt: skip
        return "unreadable"
    except BadInput as error:
        if user:
            _tell(client, channel, user, f"I couldn't read {job['url']}: {error}")
        log.info("link_refused", team=team, channel=channel, url=job["url"], error=str(error))
        return "refused"
    if user and outcome.status in ("known", "syndicated"):
        _tell(client, channel, user, outcome.message)
    return outcome.status


def _add_feed(
    store: RedisStore,
    client: WebClient,
    fetcher: Fetcher,
    job_id: str,
    job: dict[str, str],
    *,
    now: datetime,
) -> str:
    team, channel, user, url = job["team"], job["channel"], job["user"], job["url"]
    ingest = IngestStore(store)
    if ingest.subscription(team, channel, feed_id(url)) is not None:
        _tell(client, channel, user, f"This channel already follows {url}.")
        return "known"
    try:
        fetched = fetcher.fetch(url, accept="feed")
        parsed = parse_feed(fetched.body, fetched.url)
    except BadInput as error:
        _tell(client, channel, user, f"I can't follow {url}: {error}")
        return "refused"
    subscription = Subscription(
        id=feed_id(url), channel=channel, url=url, title=parsed.title,
        filter=FeedFilter(tuple(json.loads(job.get("only") or "[]")),
                          tuple(json.loads(job.get("exclude") or "[]"))),
        interval=DEFAULT_INTERVAL, added_by=user, added_at=now,
    )  # fmt: skip
    if not ingest.subscribe(team, subscription, first_poll=now):
        return "known"
    filters = subscription.filter.describe()
    text = (
        f":newspaper: <@{user}> subscribed this channel to *{parsed.title}* ({url}), checked "
        f"every {int(subscription.interval.total_seconds() // 60)} minutes"
        + (f", {filters}" if filters else "")
        + ". New articles that announce a deadline or a meeting will appear here."
    )
    SlackAnnouncer(client).post(
        channel, "", SlackMessage(text=text, blocks=[section(text)]), job_id
    )
    return "subscribed"


def read_thread(client: WebClient, channel: str, thread_ts: str) -> list[ThreadMessage]:
    """Every message of a thread, page after page, without the bot's own alerts and summaries."""
    messages: list[ThreadMessage] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        response = client.conversations_replies(
            channel=channel, ts=thread_ts, limit=200, cursor=cursor, include_all_metadata=True
        )
        page: list[dict[str, Any]] = response.get("messages") or []
        messages += [
            ThreadMessage(str(m.get("user", "")), str(m.get("text", "")), str(m["ts"]))
            for m in page
            if m.get("text") and not _ours(m)
        ]
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return messages


def _ours(message: dict[str, Any]) -> bool:
    return metadata_of(message)[0].startswith("newsbot_")


def _summarize_thread(
    store: RedisStore, client: WebClient, job_id: str, job: dict[str, str], now: datetime
) -> str:
    team, channel, thread_ts, user = job["team"], job["channel"], job["thread_ts"], job["user"]
    if _earlier_post(client, channel, job_id, thread_ts) is not None:
        return "already_posted"
    try:
        messages = read_thread(client, channel, thread_ts)
    except SlackApiError as error:
        _tell(
            client, channel, user, f"I couldn't read that thread ({error.response.get('error')})."
        )
        return "unreadable"
    policy = store.channel_policy(team, channel)
    summary = summarize_thread(messages, policy.zone)
    # Deadlines found in a thread are stored but not followed until someone presses Track.
    key = article_id(channel, f"thread:{thread_ts}")
    tracked = track([d.event for d in summary.deadlines], key)
    if tracked:
        record = ArticleRecord(
            id=key, channel=channel, thread_ts=thread_ts, title="Slack thread", url=None,
            published=now, zone=policy.zone, stored_at=now,
        )  # fmt: skip
        plans = [(t, schedule(t, src, record, policy, now)) for t, src in tracked]
        store.save_article(team, record, plans)
        for event, _ in tracked:
            stored = store.event(team, event.id)
            if stored is not None and stored.state == "open":
                store.set_event_state(team, event.id, "not_relevant")
    message = summary_message(summary, [t.id for t, _ in tracked])
    client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks,
        metadata={"event_type": ARTICLE_EVENT_TYPE, "event_payload": {"job_id": job_id}},
    )  # fmt: skip
    return "summarized"


def _earlier_post(
    client: WebClient, channel: str, job_id: str, thread_ts: str | None = None
) -> str | None:
    """The ts of a post this job already made (a rerun after a crash must not post twice)."""
    # A stream id starts with its creation time in ms: only later posts can be this job's.
    oldest = f"{int(job_id.split('-', 1)[0]) / 1000 - 60:.6f}" if job_id[:1].isdigit() else "0"

    def made_by_this_job(message: dict[str, Any]) -> bool:
        event_type, payload = metadata_of(message)
        return event_type == ARTICLE_EVENT_TYPE and payload.get("job_id") == job_id

    try:
        return find_by_metadata(client, channel, thread_ts or "", made_by_this_job, oldest)
    except SlackApiError as error:
        if is_transient(error):
            raise  # unknown whether this job posted: the job is retried, not posted blind
        return None


def _tell(client: WebClient, channel: str, user: str, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as error:
        log.warning("ephemeral_failed", channel=channel, error=str(error.response.get("error")))
