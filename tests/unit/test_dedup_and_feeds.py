"""Recognising the same link, the same story and the same event; reading feeds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import AddFeed, CommandError, ListFeeds, RemoveFeed, SetAutotrack, parse
from bot.dedup import (
    EventSignature,
    canonical_url,
    event_terms,
    narrowest,
    near_duplicate,
    resemblance,
    same_event,
    sketch,
    url_key,
)
from bot.errors import BadInput
from bot.feeds import FeedFilter, next_poll_delay, parse_feed
from bot.model import DateWindow
from handlers.links import shared_links

STORY = (
    "Finance ministers of the euro area will meet in Luxembourg on Thursday to settle the "
    "bloc's response to the new tariffs, officials said. The meeting follows weeks of talks "
    "between capitals that failed to agree on how hard to hit back. France and Italy want "
    "swift countermeasures on industrial goods, while Germany has argued for more time to "
    "negotiate with Washington before any list is published. A draft seen by reporters lists "
    "steel, aluminium, motorcycles and orange juice among the targets. The Commission said it "
    "would present its final proposal to ministers and expects a decision by the end of the "
    "month. Diplomats cautioned that the meeting could slip if the United States signals a "
    "new offer in the coming days."
)


def test_tracking_parameters_fragment_www_and_scheme_do_not_make_a_new_article() -> None:
    a = "https://WWW.Example.com/world/2026/04/18/talks.html?utm_source=tw&utm_medium=social#top"
    b = "http://example.com/world/2026/04/18/talks.html?fbclid=abc"
    c = "https://example.com/world/2026/04/18/talks.html/"
    assert url_key(a) == url_key(b) == url_key(c) == "example.com/world/2026/04/18/talks.html"
    assert canonical_url(a) == "https://www.example.com/world/2026/04/18/talks.html"
    # A parameter that selects the page is kept.
    assert url_key("https://x.org/story?id=5&ref=home") == "x.org/story?id=5"
    assert url_key("https://x.org/story?id=5") != url_key("https://x.org/story?id=6")


def test_a_syndicated_copy_is_near_and_another_story_is_far() -> None:
    copy = (
        "This story was originally published by Wire Service. "
        + STORY.replace("officials said", "officials told reporters")
        + " Copyright 2026."
    )
    trimmed = STORY.rsplit(". ", 2)[0] + "."  # the copy lost its last two sentences
    # The same news in another outlet's own words is a different text.
    other = (
        "Euro-area finance chiefs gather in Luxembourg this Thursday to decide how to answer "
        "Washington's new tariffs, after capitals spent weeks unable to agree. Paris and Rome "
        "push for quick retaliation on industrial products; Berlin wants to keep negotiating. "
        "The Commission will table its final list, which may include steel and motorcycles, and "
        "a decision is expected before the month ends, unless a US offer delays the talks."
    )
    assert near_duplicate(sketch(STORY), sketch(copy))
    assert near_duplicate(sketch(STORY), sketch(trimmed))
    assert resemblance(sketch(STORY), sketch(other)) < 0.1
    assert not near_duplicate(sketch(STORY), sketch(other))


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=300))
def test_a_text_resembles_itself_and_index_keys_are_its_smallest_hashes(words: list[str]) -> None:
    text = " ".join(words)
    value = sketch(text)
    assert resemblance(value, value) == 1.0
    assert value.index_keys() == [f"{h:x}" for h in sorted(value.hashes)[:8]]


def _signature(
    kind: str,
    days: tuple[int, int],
    sentence: str,
    places: tuple[str, ...] = (),
    *,
    orgs: tuple[str, ...] = (),
    what: str = "",
) -> EventSignature:
    window = DateWindow(date(2026, 4, days[0]), date(2026, 4, days[1]))
    return EventSignature(kind, window, event_terms(sentence, what, (), orgs, places))


def test_one_meeting_told_in_other_words_is_one_event_and_two_meetings_are_two() -> None:
    a = _signature(
        "meeting",
        (21, 22),
        "A new meeting between US and Ukrainian officials is expected in London early next week.",
        ("London",),
    )
    b = _signature(
        "meeting",
        (21, 27),
        "Negotiators will reconvene in London next week, diplomats said.",
        ("London",),
    )
    c = _signature(
        "deadline",
        (19, 25),
        "Envoys are due to resume talks in London in the coming days.",
        ("London",),
    )
    assert same_event(a, b) and same_event(b, c) and same_event(a, c)
    eu = _signature(
        "meeting",
        (21, 27),
        "EU finance ministers will meet in Brussels next week.",
        ("Brussels",),
        orgs=("EU",),
        what="EU finance ministers will meet in Brussels",
    )
    nato = _signature(
        "meeting",
        (21, 27),
        "NATO defence ministers will meet in Brussels next week.",
        ("Brussels",),
        orgs=("NATO",),
        what="NATO defence ministers will meet in Brussels",
    )
    assert not same_event(eu, nato)
    later = _signature(
        "meeting",
        (28, 30),
        "A new meeting is expected in London at the end of the month.",
        ("London",),
    )
    assert not same_event(a, later)  # windows apart
    assert narrowest(a.window, b.window) == DateWindow(date(2026, 4, 21), date(2026, 4, 22))


NOW = datetime(2026, 4, 18, 12, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire World</title>
<item><title>Talks in London</title><link>https://wire.example/a</link><guid>a-1</guid>
<pubDate>Sat, 18 Apr 2026 09:30:00 -0400</pubDate><description>&lt;p&gt;Envoys meet&lt;/p&gt;</description></item>
<item><title>No guid</title><link>https://wire.example/b</link></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom News</title><id>urn:x</id><updated>2026-04-18T10:00:00Z</updated>
<entry><title>Vote on Tuesday</title><link href="https://atom.example/v"/><id>urn:v</id>
<published>2026-04-18T08:00:00+02:00</published><updated>2026-04-18T09:00:00+02:00</updated></entry></feed>"""


def test_rss_atom_and_json_feed_items() -> None:
    rss = parse_feed(RSS, "https://wire.example/rss")
    assert rss.title == "Wire World"
    assert [i.link for i in rss.items] == ["https://wire.example/a", "https://wire.example/b"]
    assert rss.items[0].published == datetime(2026, 4, 18, 13, 30, tzinfo=UTC)
    assert rss.items[0].summary == "Envoys meet"
    atom = parse_feed(ATOM, "https://atom.example/feed")
    assert atom.items[0].title == "Vote on Tuesday"
    assert atom.items[0].published == datetime(2026, 4, 18, 6, tzinfo=UTC)
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "JF", "items": [
        {"id": "1", "url": "https://jf.example/1", "title": "One", "date_published": "2026-04-18T10:00:00Z"},
        {"id": "2", "title": "no link"}, "junk",
    ]}).encode()  # fmt: skip
    jf = parse_feed(body, "https://jf.example/feed.json")
    assert [(i.title, i.published) for i in jf.items] == [
        ("One", datetime(2026, 4, 18, 10, tzinfo=UTC))
    ]


def test_an_updated_item_keeps_its_key_and_changes_its_version() -> None:
    before = parse_feed(RSS, "u").items[0]
    again = parse_feed(RSS, "u").items[0]
    after = parse_feed(
        RSS.replace(b"Talks in London", b"Talks in London moved to Monday"), "u"
    ).items[0]
    assert before == again
    assert after.key == before.key and after.version != before.version


@pytest.mark.parametrize(
    "body", [b"<html><body>Hello</body></html>", b'{"a": 1}', b"not a feed", b"{"]
)
def test_what_is_not_a_feed_says_so(body: bytes) -> None:
    with pytest.raises(BadInput):
        parse_feed(body, "https://x.example/")


def test_filters_match_whole_words_and_phrases() -> None:
    only = FeedFilter(only=("tariffs", "trade war"))
    assert only.accepts("New TARIFFS announced") and only.accepts("the trade  war deepens")
    assert not only.accepts("tariffed goods") and not only.accepts("trade and war")
    exclude = FeedFilter(exclude=("sports",))
    assert exclude.accepts("Politics") and not exclude.accepts("Sports: the final")


def test_backoff_doubles_to_a_cap() -> None:
    ten = timedelta(minutes=10)
    assert next_poll_delay(ten, 0) == ten
    assert next_poll_delay(ten, 1) == timedelta(minutes=20)
    assert next_poll_delay(ten, 3) == timedelta(minutes=80)
    assert next_poll_delay(ten, 30) == timedelta(hours=6)


def test_feed_and_autotrack_commands() -> None:
    assert parse("feeds add https://x.org/rss --only tariffs,trade --not sports") == AddFeed(
        "https://x.org/rss", ("tariffs", "trade"), ("sports",)
    )
    assert parse("feeds add <https://x.org/rss|x.org/rss>") == AddFeed("https://x.org/rss")
    assert parse("feeds") == ListFeeds() == parse("feeds list")
    assert parse("feeds remove 2") == RemoveFeed("2")
    assert parse("feeds remove https://x.org/rss") == RemoveFeed("https://x.org/rss")
    assert parse("settings autotrack on") == SetAutotrack(True)
    for bad in ("feeds add", "feeds add ftp://x.org", "feeds add https://x.org sports",
                "feeds remove", "feeds zap", "settings autotrack maybe"):  # fmt: skip
        assert isinstance(parse(bad), CommandError), bad


def test_links_in_slack_markup() -> None:
    text = "see <https://a.example/x|a.example/x> and <https://b.example/y> <@U1> <#C1|general> <https://a.example/x>"
    assert shared_links(text) == ["https://a.example/x", "https://b.example/y"]
    assert shared_links("<mailto:a@b.c|a@b.c>") == []
