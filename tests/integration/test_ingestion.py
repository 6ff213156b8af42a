"""Links and feeds into channels, end to end in one process: a local news site, the real
fetcher, page reader, extractor and Redis, and the fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from bot.blocks import alert_message
from bot.dedup import url_key
from bot.feed_poller import FeedPoller
from bot.fetcher import Fetcher
from bot.ingest_store import IngestStore
from bot.jobs import SlackAnnouncer, add_feed_job, ingest_url_job, run_job
from bot.store import RedisStore
from tests.fakes.news_pages import FeedItem, news_page, rss
from tests.fakes.news_site import NewsSite
from tests.fakes.slack_api import FakeSlack

TEAM, CHANNEL, USER = "T1", "C1", "U1"
PUBLISHED = datetime(2026, 4, 18, 9, 30, tzinfo=timezone(timedelta(hours=-4)))  # a Saturday
NOW = datetime(2026, 4, 18, 15, 0, tzinfo=UTC)
FILLER = [
    "The dispute has weighed on markets for weeks, and traders said they were watching closely "
    "for any sign of compromise between the two sides.",
    "Analysts said the outcome would shape trade policy for years, with exporters in several "
    "industries warning of job losses if no deal is reached.",
    "Officials declined to say which proposals were on the table, citing the sensitivity of "
    "the talks and the number of governments involved.",
]
VOTE = [
    "Lawmakers in the state senate will vote on the water bill next Tuesday, the majority "
    "leader said, after months of hearings on the drought.",
    *FILLER,
]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as served:
        yield served


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url)


@pytest.fixture
def fetcher() -> Fetcher:
    # Test-only: the local site is on loopback, which production refuses.
    return Fetcher(allow_networks=("127.0.0.1/32",))


def _page(site: NewsSite, path: str, title: str, paragraphs: list[str], **options: object) -> str:
    options.setdefault("published", PUBLISHED)
    url = site.url(path)
    html = news_page(title, paragraphs, url, **options)  # type: ignore[arg-type]
    return site.add(path, html.encode("utf-8"))


def _ingest(store: RedisStore, client: WebClient, fetcher: Fetcher, url: str, job_id: str) -> str:
    payload = ingest_url_job(TEAM, CHANNEL, url, user=USER)
    return run_job(store, client, job_id, payload, NOW, fetcher=fetcher)


def test_a_link_is_read_dated_from_its_page_posted_once_and_tracked(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite, fetcher: Fetcher
) -> None:
    url = _page(site, "/politics/water-vote", "Senate to vote on water bill", VOTE)
    assert _ingest(store, client, fetcher, url, "1776524400000-0") == "tracked"
    assert _ingest(store, client, fetcher, url, "1776524400000-0") == "known"  # rerun
    posts = slack.posts(CHANNEL)
    assert len(posts) == 1
    header = posts[0].blocks[0]["text"]["text"]  # type: ignore[index]
    assert header == "Senate to vote on water bill"
    article_id = IngestStore(store).article_for_url(TEAM, CHANNEL, url_key(url))
    assert article_id is not None
    article = store.article(TEAM, article_id)
    assert article is not None and article.thread_ts == posts[0].ts
    assert article.published == PUBLISHED  # from the page's JSON-LD, with its offset
    (event,) = store.events_of(TEAM, article_id)
    # "next Tuesday" read from Saturday 18 April, the page's date, not from the fetch.
    assert event.window.earliest == event.window.latest == date(2026, 4, 21)
    assert {r.kind for r in store.reminders(TEAM)} == {"heads_up", "follow_up"}
    # The same link again, with tracking parameters: told, not read again.
    fetches = site.count("/politics/water-vote")
    again = url + "?utm_source=twitter&utm_medium=social#comments"
    assert _ingest(store, client, fetcher, again, "1776524500000-0") == "known"
    assert site.count("/politics/water-vote") == fetches
    assert "already tracking" in slack.ephemerals(CHANNEL)[-1].text
    assert len(slack.posts(CHANNEL)) == 1


@pytest.mark.parametrize(
    ("date_in", "published", "note"),
    [
        ("meta", PUBLISHED, False),
        ("time_tag", PUBLISHED, False),
        ("url", datetime(2026, 4, 18, 12, tzinfo=UTC), False),
        ("none", NOW, True),
    ],
)
def test_the_date_comes_from_metadata_then_the_url_then_the_fetch_time_with_a_note(
    store: RedisStore,
    client: WebClient,
    slack: FakeSlack,
    site: NewsSite,
    fetcher: Fetcher,
    date_in: str,
    published: datetime,
    note: bool,
) -> None:
    path = "/2026/04/18/water-vote.html" if date_in == "url" else "/water-vote"
    url = _page(site, path, "Senate to vote on water bill", VOTE, date_in=date_in)
    assert _ingest(store, client, fetcher, url, "1776524400000-1") == "tracked"
    article_id = IngestStore(store).article_for_url(TEAM, CHANNEL, url_key(url))
    article = store.article(TEAM, article_id or "")
    assert article is not None
    assert article.published.date() == published.date()
    if date_in != "url":
        assert article.published == published
    texts = str(slack.posts(CHANNEL)[0].blocks)
    assert ("relative dates are read from" in texts) is note


def test_a_refused_link_is_explained_and_nothing_is_fetched_or_stored(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite
) -> None:
    url = _page(site, "/story", "Senate to vote on water bill", VOTE)
    strict = Fetcher()  # production rules: loopback refused
    assert _ingest(store, client, strict, url, "1776524400000-2") == "refused"
    assert site.count() == 0
    assert "loopback" in slack.ephemerals(CHANNEL)[-1].text
    assert slack.posts(CHANNEL) == []
    assert store.reminders(TEAM) == []


def test_a_pdf_and_a_missing_page_are_explained(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite, fetcher: Fetcher
) -> None:
    pdf = site.add("/report.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    assert _ingest(store, client, fetcher, pdf, "1776524400000-3") == "refused"
    assert "PDF" in slack.ephemerals(CHANNEL)[-1].text
    assert _ingest(store, client, fetcher, site.url("/gone"), "1776524400000-4") == "unreadable"
    assert "404" in slack.ephemerals(CHANNEL)[-1].text
    assert slack.posts(CHANNEL) == []


def test_a_syndicated_copy_adds_a_source_not_an_article(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite, fetcher: Fetcher
) -> None:
    first = _page(site, "/wire/water-vote", "Senate to vote on water bill", VOTE)
    copy = _page(
        site, "/partner/news/senate-water", "State senate sets vote on drought bill",
        [*VOTE, "This article was first published by Meridian Wire Service."],
        template="daily", site_name="The Daily Ledger",
    )  # fmt: skip
    assert _ingest(store, client, fetcher, first, "1776524400000-5") == "tracked"
    assert _ingest(store, client, fetcher, copy, "1776524400000-6") == "syndicated"
    assert len(slack.posts(CHANNEL)) == 1
    ingest = IngestStore(store)
    article_id = ingest.article_for_url(TEAM, CHANNEL, url_key(first))
    assert ingest.article_for_url(TEAM, CHANNEL, url_key(copy)) == article_id
    sites = sorted(source.site for source in ingest.sources(TEAM, article_id or ""))
    assert sites == ["Meridian Wire Service", "The Daily Ledger"]
    assert len(store.reminders(TEAM)) == 2  # one event, its two reminders


OUTLETS = [
    ("wire", "Meridian Wire Service", "Rubio says US could walk away from Ukraine talks",
     "A new meeting between U.S., European and Ukrainian officials is expected in London "
     "early next week, Secretary of State Marco Rubio said on Friday."),
    ("daily", "The Daily Ledger", "Ukraine negotiators to meet again",
     "Negotiators from Washington, Kyiv and European capitals will meet again in London next "
     "week, according to a State Department statement."),
    ("magazine", "Northern Review", "Peace push moves to London",
     "Talks on ending the war in Ukraine are set to resume in London on Monday or Tuesday, a "
     "senior official told reporters."),
    ("wire", "Harbor Times", "Envoys head for London",
     "European, Ukrainian and American envoys are due to reconvene in London in the coming "
     "days, diplomats said on Friday."),
    ("daily", "Capital Courier", "Next round of Ukraine talks in London",
     "The next round of Ukraine peace talks will take place in London next week, the British "
     "Foreign Office confirmed."),
]  # fmt: skip
OTHER_TOPICS = [
    ["The talks have stalled over security guarantees and the future of occupied territory.",
     "European leaders have pressed Washington to keep sanctions in place until a ceasefire.",
     "Kyiv has said it will not accept any deal that rewards aggression."],
    ["Diplomats described the mood as cautious after a difficult round in Paris.",
     "Energy infrastructure and prisoner exchanges are also on the agenda.",
     "Moscow has not said whether it will send a delegation."],
    ["Officials in Brussels said the bloc stands ready to support any agreement.",
     "The White House has signalled frustration with the slow pace of progress.",
     "Ukrainian officials insisted on a full ceasefire as a first step."],
    ["The meeting follows a flurry of phone calls between foreign ministers.",
     "Analysts warned that expectations for a breakthrough remain low.",
     "Britain has offered to host further rounds if they are needed."],
    ["Ministers are expected to discuss a monitoring mission for any truce.",
     "Critics in Congress questioned the administration's strategy.",
     "Markets showed little reaction to the news."],
]  # fmt: skip


def test_five_outlets_reporting_one_meeting_make_one_event_with_five_sources(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite, fetcher: Fetcher
) -> None:
    urls = []
    for number, ((template, name, title, lead), more) in enumerate(
        zip(OUTLETS, OTHER_TOPICS, strict=True)
    ):
        urls.append(
            _page(
                site,
                f"/{number}/london-talks",
                title,
                [lead, *more],
                template=template,
                site_name=name,
            )
        )
    outcomes = [
        _ingest(store, client, fetcher, url, f"17765244{number:05d}-0")
        for number, url in enumerate(urls)
    ]
    assert outcomes == ["tracked"] * 5
    ingest = IngestStore(store)
    first = ingest.article_for_url(TEAM, CHANNEL, url_key(urls[0])) or ""
    events = [
        e for number in range(5)
        for e in store.events_of(TEAM, ingest.article_for_url(TEAM, CHANNEL, url_key(urls[number])) or "")
    ]  # fmt: skip
    (event,) = events  # the later reports joined the first one's event
    assert event.article == first
    assert len(event.sources) == 4
    # "early next week" and "Monday or Tuesday" narrow "next week" and "the coming days".
    assert (event.window.earliest, event.window.latest) == (date(2026, 4, 20), date(2026, 4, 21))
    reminders = store.reminders(TEAM)
    assert {r.event for r in reminders} == {event.id}
    heads_up = next(r for r in reminders if r.kind == "heads_up")
    assert heads_up.due.date() == date(2026, 4, 20)
    # The alert lists the other outlets.
    article = store.article(TEAM, first)
    assert article is not None
    others = [store.article(TEAM, a) for a in event.sources]
    message = alert_message(heads_up, event, article, NOW, "UTC",
                            also_reported=[a for a in others if a is not None])  # fmt: skip
    context = str(message.blocks[1])
    assert all(title in context for _, _, title, _ in OUTLETS[1:])
    # Each later report's post says the meeting is already tracked.
    later = slack.posts(CHANNEL)[1:]
    assert len(later) == 4
    assert all("Already tracked here from another report" in str(p.blocks) for p in later)


def test_a_feed_is_followed_polled_conditionally_and_its_updates_read(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite, fetcher: Fetcher
) -> None:
    vote = _page(site, "/a/vote", "Senate to vote on water bill", VOTE)
    quiet = _page(site, "/a/quiet", "Markets steady", FILLER)
    sport = _page(
        site,
        "/a/sport",
        "Sports: senate team wins",
        ["The senate team will play next Tuesday, the coach said.", *FILLER],
    )
    items = [
        FeedItem("Senate to vote on water bill", vote, "g-vote", PUBLISHED),
        FeedItem("Markets steady", quiet, "g-quiet", PUBLISHED),
        FeedItem("Sports: senate team wins", sport, "g-sport", PUBLISHED),
    ]
    feed = site.add("/rss.xml", rss(items).encode(), content_type="application/rss+xml")
    job = add_feed_job(TEAM, CHANNEL, USER, feed, only=[], exclude=["sports"])
    assert run_job(store, client, "1776524400000-9", job, NOW, fetcher=fetcher) == "subscribed"
    assert "subscribed this channel" in slack.posts(CHANNEL)[0].text
    poller = FeedPoller(store, fetcher, SlackAnnouncer(client).post)
    report = poller.poll_due(NOW)
    assert (report.polled, report.queued) == (1, 2)  # the sports item is left out by its title
    _run_queued(store, client, fetcher)
    posts = slack.posts(CHANNEL)
    assert [p.blocks[0]["text"]["text"] for p in posts[1:]] == ["Senate to vote on water bill"]  # type: ignore[index]
    assert store.channel_articles(TEAM, CHANNEL, NOW - timedelta(days=30))  # both stored
    # Not due yet; then due, and unchanged: a 304, nothing queued.
    assert poller.poll_due(NOW + timedelta(minutes=5)).polled == 0
    report = poller.poll_due(NOW + timedelta(minutes=11))
    assert (report.polled, report.not_modified, report.queued) == (1, 1, 0)
    # The vote moves: the page and its feed item change; the item is read again and the
    # reminders move, without a second post of the article.
    moved = [VOTE[0].replace("next Tuesday", "next Thursday"), *VOTE[1:]]
    _page(site, "/a/vote", "Senate vote moved to Thursday", moved)
    items[0] = FeedItem("Senate vote moved to Thursday", vote, "g-vote", PUBLISHED,
                        updated=PUBLISHED + timedelta(hours=3))  # fmt: skip
    site.add("/rss.xml", rss(items).encode(), content_type="application/rss+xml")
    report = poller.poll_due(NOW + timedelta(minutes=22))
    assert report.queued == 1
    _run_queued(store, client, fetcher)
    heads_up = next(r for r in store.reminders(TEAM) if r.kind == "heads_up")
    assert heads_up.due.date() == date(2026, 4, 23)
    assert len([p for p in slack.posts(CHANNEL) if not p.is_reply]) == 2
    # The same items again (a feed that re-lists old entries): nothing new.
    site.add("/rss.xml", rss(list(reversed(items))).encode(), content_type="application/rss+xml")
    assert poller.poll_due(NOW + timedelta(minutes=33)).queued == 0


def test_a_failing_feed_backs_off_and_the_channel_is_told_once(
    store: RedisStore, client: WebClient, slack: FakeSlack, site: NewsSite, fetcher: Fetcher
) -> None:
    items = [FeedItem("Markets steady", site.url("/a/quiet"), "g-quiet", PUBLISHED)]
    feed = site.add("/feed.xml", rss(items).encode(), content_type="application/rss+xml")
    job = add_feed_job(TEAM, CHANNEL, USER, feed, only=[], exclude=[])
    assert run_job(store, client, "1776524400000-8", job, NOW, fetcher=fetcher) == "subscribed"
    site.fail("/feed.xml", [500] * 6)
    poller = FeedPoller(store, fetcher, SlackAnnouncer(client).post)
    ingest = IngestStore(store)
    moment, gaps = NOW, []
    for _ in range(6):
        due = _next_poll(store, TEAM)
        gaps.append(round((due - moment).total_seconds() / 60) if due > moment else 0)
        moment = max(moment, due)
        poller.poll_due(moment)
    assert gaps[1:] == [20, 40, 80, 160, 320]  # doubling from the 10-minute interval
    notices = [p for p in slack.posts(CHANNEL) if "has failed" in p.text]
    assert len(notices) == 1 and "500" in notices[0].text
    assert ingest.poll_state(TEAM, CHANNEL, ingest.subscriptions(TEAM, CHANNEL)[0].id).failures == 6
    poller.poll_due(_next_poll(store, TEAM))  # the site answers again
    assert any("works again" in p.text for p in slack.posts(CHANNEL))
    assert ingest.poll_state(TEAM, CHANNEL, ingest.subscriptions(TEAM, CHANNEL)[0].id).failures == 0


def _next_poll(store: RedisStore, team: str) -> datetime:
    ((_, score),) = store.client.zrange(store.key(team, "feeddue"), 0, 0, withscores=True)
    return datetime.fromtimestamp(score, UTC)


def _run_queued(store: RedisStore, client: WebClient, fetcher: Fetcher) -> None:
    store.ensure_job_group()
    while batch := store.read_jobs("test", count=50, block_ms=10, reclaim_idle_ms=60_000):
        for job_id, job in batch:
            run_job(store, client, job_id, job, NOW, fetcher=fetcher)
            store.ack_job(job_id)
