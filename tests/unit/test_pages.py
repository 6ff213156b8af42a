"""Reading a fetched page: the article's title and text without the site around it, and the
publication moment (with its offset) that anchors the article's relative dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.feeds import parse_feed
from bot.pages import Page, decode_html, parse_timestamp, read_page, zone_for_offset
from tests.fakes.news_pages import (
    COMMENTS,
    DATE_PLACEMENTS,
    TEMPLATES,
    Template,
    article_url,
    atom,
    feed_items,
    json_feed,
    load_corpus,
    news_page,
    rss,
)

EDT = timezone(timedelta(hours=-4))
PUBLISHED = datetime(2026, 4, 18, 9, 30, tzinfo=EDT)  # a Saturday morning in New York
FETCHED = datetime(2026, 4, 18, 15, 0, tzinfo=UTC)
TITLE = "Senate to vote on water bill as drought deepens"
PARAGRAPHS = (
    "WASHINGTON — The Senate will vote next Tuesday on a bill that would give rural water "
    "districts first call on federal drought funds, the majority leader said on Saturday.",
    "The measure, which passed the House in March, would set aside $2.4 billion over five "
    "years for wells, pipelines and storage in counties where reservoirs have fallen below "
    "a third of capacity.",
    "“We cannot ask farmers to wait another season,” the majority leader told reporters "
    "outside the Capitol. “The vote is Tuesday, and I expect it to pass.”",
    "Opponents say the bill favours agriculture over cities. A coalition of mayors has asked "
    "for amendments by April 24, the deadline the committee set for written comments.",
    "The Congressional Budget Office is due to publish its cost estimate within 10 days.",
)
# The table-layout template ("legacy") is read less cleanly; it has its own test below.
SEMANTIC_TEMPLATES: tuple[Template, ...] = ("wire", "daily", "magazine")
BOILERPLATE = (
    "cookies",
    "Most read",
    "Most Read",
    "Read more",
    "Newsletter",
    "newsletter",
    "All rights reserved",
    "Obituaries",
    "Privacy policy",
    "Share on Facebook",
    "Leave a Reply",
    "Advertisement",
    "Related stories",
    *COMMENTS,
)


def _page(
    *,
    date_in: str = "jsonld",
    template: Template = "wire",
    published: datetime | None = PUBLISHED,
    fetched_at: datetime = FETCHED,
    feed_published: datetime | None = None,
    **options: object,
) -> Page:
    url = article_url(TITLE, published, date_in=date_in)  # type: ignore[arg-type]
    html = news_page(
        TITLE,
        PARAGRAPHS,
        url,
        published=published,
        date_in=date_in,  # type: ignore[arg-type]
        template=template,
        **options,  # type: ignore[arg-type]
    )
    return read_page(html.encode("utf-8"), url, fetched_at, feed_published=feed_published)


# --- the publication moment ------------------------------------------------------------------


def test_jsonld_in_a_graph_gives_the_time_and_its_offset() -> None:
    page = _page(date_in="jsonld", template="magazine", jsonld_shape="graph")
    assert page.published == PUBLISHED
    assert page.published.utcoffset() == timedelta(hours=-4)
    assert page.date_source == "metadata"
    assert page.date_note is None
    # An offset is not a zone name; the fixed-offset zone reads clock times like the page did.
    assert page.zone == "Etc/GMT+4"
    assert page.site_name == "Meridian Wire Service"
    assert page.byline is not None and " " in page.byline  # the author @id resolved
    assert page.canonical_url == article_url(TITLE, PUBLISHED)


@pytest.mark.parametrize("shape", ["object", "list", "graph"])
def test_jsonld_date_published_wins_over_date_modified(shape: str) -> None:
    page = _page(date_in="jsonld", jsonld_shape=shape, modified=PUBLISHED + timedelta(days=2))
    assert page.published == PUBLISHED


@pytest.mark.parametrize("template", TEMPLATES)
def test_meta_tags_give_the_published_not_the_modified_time(template: Template) -> None:
    page = _page(date_in="meta", template=template, modified=PUBLISHED + timedelta(hours=5))
    assert page.published == PUBLISHED
    assert page.published.utcoffset() == timedelta(hours=-4)
    assert page.date_source == "metadata"


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_time_element_gives_the_time_and_offset(template: Template) -> None:
    page = _page(date_in="time_tag", template=template)
    assert page.published == PUBLISHED
    assert page.published.utcoffset() == timedelta(hours=-4)
    assert page.date_source == "metadata"


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_date_only_in_the_url_is_that_day_at_noon_utc(template: Template) -> None:
    page = _page(date_in="url", template=template)
    # Noon keeps 18 April the same calendar day from UTC-11 to UTC+11.
    assert page.published == datetime(2026, 4, 18, 12, tzinfo=UTC)
    assert page.date_source == "url"
    assert page.zone is None
    assert page.date_note is None


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_date_anywhere_falls_back_to_the_fetch_time_with_a_note(template: Template) -> None:
    page = _page(date_in="none", template=template)
    assert page.published == FETCHED
    assert page.date_source == "fetched"
    assert page.zone is None
    assert page.date_note == (
        "No publication date on the page: relative dates are read from the time it was "
        "fetched (18 Apr 2026 15:00 UTC)."
    )


def test_the_feed_date_comes_before_the_fetch_time() -> None:
    feed_date = datetime(2026, 4, 18, 10, 15, tzinfo=EDT)
    page = _page(date_in="none", feed_published=feed_date)
    assert page.published == feed_date
    assert page.date_source == "feed"
    assert page.zone == "Etc/GMT+4"
    assert page.date_note is not None and "feed" in page.date_note
    assert "18 Apr 2026 14:15 UTC" in page.date_note


def test_the_page_date_comes_before_the_feed_date() -> None:
    page = _page(date_in="meta", feed_published=PUBLISHED + timedelta(hours=3))
    assert page.published == PUBLISHED
    assert page.date_source == "metadata"


def test_a_date_in_the_future_is_ignored_with_a_note() -> None:
    future = FETCHED + timedelta(days=30)
    page = _page(date_in="jsonld", published=future)
    assert page.date_source == "fetched"
    assert page.published == FETCHED
    assert page.date_note is not None
    assert "in the future" in page.date_note and "18 Apr 2026 15:00 UTC" in page.date_note


def test_a_future_date_falls_through_to_the_feed_date() -> None:
    feed_date = FETCHED - timedelta(hours=2)
    page = _page(date_in="meta", published=FETCHED + timedelta(days=3), feed_published=feed_date)
    assert page.date_source == "feed"
    assert page.published == feed_date


def test_a_page_dated_a_few_hours_ahead_of_the_fetch_is_trusted() -> None:
    # A newsroom east of the fetcher: its "today" may be the fetcher's tomorrow.
    ahead = (FETCHED + timedelta(hours=10)).astimezone(timezone(timedelta(hours=12)))
    page = _page(date_in="jsonld", published=ahead)
    assert page.published == ahead
    assert page.date_source == "metadata"


def _hand_page(head: str, body_paragraphs: tuple[str, ...] = PARAGRAPHS) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body_paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE}</title>{head}</head>"
        f"<body><article><h1>{TITLE}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_a_date_without_a_time_is_noon_in_the_pages_own_offset() -> None:
    html = _hand_page(
        _jsonld(
            {
                "@context": "https://schema.org",
                "@type": "ReportageNewsArticle",
                "datePublished": "2026-04-17",
                "dateModified": "2026-04-17T21:40:00+02:00",
            }
        )
    )
    page = read_page(html, "https://news.example/a", FETCHED)
    assert page.published == datetime(2026, 4, 17, 12, tzinfo=timezone(timedelta(hours=2)))
    assert page.zone == "Etc/GMT-2"


def test_date_created_stands_in_for_date_published_and_a_type_list_is_read() -> None:
    html = _hand_page(
        _jsonld(
            [
                {"@type": "Organization", "name": "Harbour News"},
                {"@type": ["NewsArticle", "Thing"], "dateCreated": "2026-04-17T08:00:00Z"},
            ]
        )
    )
    page = read_page(html, "https://news.example/a", FETCHED)
    assert page.published == datetime(2026, 4, 17, 8, tzinfo=UTC)
    assert page.zone is None  # "Z" is how CMSs store time, not the newsroom's zone


def test_date_modified_alone_is_used_last_and_said_so() -> None:
    html = _hand_page(_jsonld({"@type": "NewsArticle", "dateModified": "2026-04-17T22:00:00Z"}))
    page = read_page(html, "https://news.example/a", FETCHED)
    assert page.published == datetime(2026, 4, 17, 22, tzinfo=UTC)
    assert page.date_note is not None and "last updated" in page.date_note


def test_a_naive_timestamp_is_taken_as_utc() -> None:
    html = _hand_page('<meta property="article:published_time" content="2026-04-17T18:45:00">')
    page = read_page(html, "https://news.example/a", FETCHED)
    assert page.published == datetime(2026, 4, 17, 18, 45, tzinfo=UTC)


def test_a_half_hour_offset_gets_a_zone_that_keeps_it() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    page = _page(date_in="jsonld", published=datetime(2026, 4, 18, 11, tzinfo=ist))
    assert page.zone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("hours", "minutes", "zone"),
    [
        (-4, 0, "Etc/GMT+4"),
        (13, 0, "Etc/GMT-13"),
        (5, 45, "Asia/Kathmandu"),
        (0, 0, None),
        (-2, -30, None),  # Newfoundland summer time: no zone keeps it all year
    ],
)
def test_zone_for_offset(hours: int, minutes: int, zone: str | None) -> None:
    offset = timedelta(hours=hours, minutes=minutes)
    at = datetime(2026, 1, 30, 18, tzinfo=timezone(offset))
    assert zone_for_offset(offset, at) == zone
    if zone is not None:
        assert at.astimezone(ZoneInfo(zone)).utcoffset() == offset


@given(
    st.datetimes(
        min_value=datetime(1995, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=0)),
    st.integers(min_value=-12 * 4, max_value=14 * 4),
    st.booleans(),
)
def test_iso_timestamps_keep_their_instant_and_offset(
    moment: datetime, quarter_hours: int, extended: bool
) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=15 * quarter_hours)))
    written = local.isoformat()
    if not extended:
        written = written[:-3] + written[-2:]  # +0530 instead of +05:30
    stamp = parse_timestamp(written)
    assert stamp is not None
    parsed = stamp.moment(None)
    assert parsed == local and parsed.utcoffset() == local.utcoffset()


def test_rfc_822_dates_are_read() -> None:
    stamp = parse_timestamp("Sat, 18 Apr 2026 09:30:00 -0400")
    assert stamp is not None and stamp.moment(None) == PUBLISHED


def test_fetched_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        read_page(_hand_page(""), "https://news.example/a", datetime(2026, 4, 18, 15))


# --- title and text --------------------------------------------------------------------------


@pytest.mark.parametrize("template", SEMANTIC_TEMPLATES)
@pytest.mark.parametrize("date_in", DATE_PLACEMENTS)
def test_title_and_body_come_without_the_site_around_them(template: Template, date_in: str) -> None:
    page = _page(date_in=date_in, template=template)
    assert page.title == TITLE
    assert page.text.split("\n\n") == list(PARAGRAPHS)
    for boilerplate in BOILERPLATE:
        assert boilerplate not in page.text, boilerplate


@pytest.mark.parametrize("template", SEMANTIC_TEMPLATES)
def test_corpus_articles_come_back_whole(template: Template) -> None:
    article = next(iter(load_corpus()))
    url = article_url(article.title, article.published)
    html = news_page(
        article.title, article.paragraphs, url, published=article.published, template=template
    )
    page = read_page(html, url, article.published + timedelta(hours=1))
    assert page.title == article.title
    assert page.text.split("\n\n") == list(article.paragraphs)
    assert page.published == article.published


def test_a_table_layout_page_loses_its_navigation_and_comments() -> None:
    page = _page(template="legacy")
    assert page.title == TITLE
    paragraphs = page.text.split("\n\n")
    # Every paragraph, in order, each on its own (trafilatura joins a table cell into one line).
    positions = [paragraphs.index(paragraph) for paragraph in PARAGRAPHS]
    assert positions == sorted(positions)
    for boilerplate in ("Obituaries", "Most read", "cookies", "Reader comments", "Newsletter",
                        "All rights reserved", *COMMENTS):  # fmt: skip
        assert boilerplate not in page.text, boilerplate


@pytest.mark.parametrize(
    "body",
    [
        # A single-page app before its JavaScript runs.
        '<div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>',
        # A paywall / login wall.
        '<div class="login"><h2>Sign in to continue reading</h2><form><input type="email">'
        "<button>Continue</button></form></div>",
        "",
    ],
)
def test_a_page_without_an_article_is_refused_with_a_reason(body: str) -> None:
    html = f"<html><head><title>News</title></head><body>{body}</body></html>"
    with pytest.raises(BadInput) as raised:
        read_page(html, "https://news.example/a", FETCHED)
    message = str(raised.value)
    assert message.startswith("I found")
    assert "JavaScript or a login" in message


def test_an_empty_document_is_refused() -> None:
    with pytest.raises(BadInput, match="no article text"):
        read_page(b"   ", "https://news.example/a", FETCHED)


def test_a_teaser_is_too_short_to_read() -> None:
    html = _hand_page("", ("Subscribe to read the full story about the Senate water vote.",))
    with pytest.raises(BadInput, match=r"only \d+ words"):
        read_page(html, "https://news.example/a", FETCHED)


# --- encodings and XHTML ---------------------------------------------------------------------


CURLY = (
    "“We cannot ask farmers to wait another season,” the majority leader said — and the "
    "Senate’s vote, she added, is set for Tuesday. Rural districts have waited since 2019 "
    "for a share of the drought funds, and several have already drilled new wells with "
    "their own money while the bill stalled in committee through two sessions."
)


def _windows_1252_page(meta: str) -> bytes:
    html = (
        f"<html><head>{meta}<title>Water bill</title></head><body><article><h1>Water bill</h1>"
        f"<p>{CURLY}</p><p>{PARAGRAPHS[1]}</p></article></body></html>"
    )
    return html.encode("cp1252")


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1252">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
        # Pages labelled Latin-1 are windows-1252 in practice (and for browsers).
        '<meta charset="ISO-8859-1">',
    ],
)
def test_a_windows_1252_page_keeps_its_curly_quotes(meta: str) -> None:
    page = read_page(_windows_1252_page(meta), "https://news.example/a", FETCHED)
    assert CURLY in page.text
    assert "\ufffd" not in page.text


def test_the_http_charset_is_used_when_the_page_declares_none() -> None:
    page = read_page(
        _windows_1252_page(""), "https://news.example/a", FETCHED, charset="windows-1252"
    )
    assert CURLY in page.text


def test_undeclared_bytes_are_read_as_utf8_with_replacement() -> None:
    assert decode_html("“Tuesday”".encode() + b"\xff") == "“Tuesday”\ufffd"


XHTML = """<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>Council sets budget hearing | Riverside Civic Bulletin</title>
<meta property="og:title" content="Council sets budget hearing" />
<meta property="og:site_name" content="Riverside Civic Bulletin" />
<meta name="DC.date.issued" content="2026-04-16" />
<link rel="canonical" href="/council/budget-hearing" />
</head>
<body>
<div id="nav"><ul><li><a href="/">Home</a></li><li><a href="/council">Council</a></li></ul></div>
<div id="story">
<h1>Council sets budget hearing</h1>
<p>The Riverside council will hold a public hearing on next year’s budget on Thursday, May 7,
and has asked residents to send written comments by the end of this month.</p>
<p>The draft budget closes the Eastmoor branch library and cuts evening bus services, a
proposal that drew more than 200 people to the council’s last meeting.</p>
<p>“Nothing is final until the vote,” the council’s finance chair said. “That is what the
hearing is for.”</p>
</div>
<div id="footer"><p>© 2026 Riverside Civic Bulletin</p></div>
</body>
</html>
"""


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    page = read_page(XHTML.encode("cp1252"), "https://civic.example/council/x", FETCHED)
    assert page.title == "Council sets budget hearing"
    assert "next year’s budget on Thursday, May 7" in page.text
    assert len(page.text.split("\n\n")) == 3
    assert "Home" not in page.text
    assert page.published == datetime(2026, 4, 16, 12, tzinfo=UTC)
    assert page.canonical_url == "https://civic.example/council/budget-hearing"
    assert page.site_name == "Riverside Civic Bulletin"


def test_a_generated_xhtml_page_is_read() -> None:
    page = _page(date_in="time_tag", xhtml=True)
    assert page.published == PUBLISHED
    assert page.text.split("\n\n") == list(PARAGRAPHS)


# --- the feed builders -----------------------------------------------------------------------


@pytest.mark.parametrize("build", [rss, atom, json_feed])
def test_the_feed_builders_write_feeds_the_bot_reads(build: object) -> None:
    articles = list(load_corpus())[:3]
    items = feed_items(articles)
    feed = parse_feed(build(items).encode("utf-8"), "https://www.meridianwire.example/feed")  # type: ignore[operator]
    assert [i.link for i in feed.items] == [i.link for i in items]
    assert [i.title for i in feed.items] == [a.title for a in articles]
    assert [i.published for i in feed.items] == [a.published for a in articles]
