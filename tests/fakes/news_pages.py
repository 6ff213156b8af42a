"""Realistic news pages and feeds, built from known text, for tests and benchmarks.

A page wraps an article's title and paragraphs in the chrome real news sites put around them
(navigation, cookie banner, share buttons, newsletter box, "Read more:" links, related stories,
"Most read", comments, a footer full of links, captions, embeds), in one of four site
templates that differ in structure and class names, so that an extractor scored on them is not
tuned to one layout: "wire" (semantic HTML5), "daily" (WordPress div soup), "magazine" (BEM
classes and schema.org microdata) and "legacy" (a 2000s table layout with `<br>` paragraphs).
The publication timestamp, with its UTC offset, is placed in one spot only (`date_in`), or
nowhere, so a test knows where a date reader must have found it. Everything is deterministic: the chrome is drawn from fixed
pools with a seed derived from the URL unless one is given.

The feed builders (`rss`, `atom`, `json_feed`) write the three feed formats a news site offers.
`load_corpus` reads the 60 news-style articles of `bench/data/news_articles.jsonl`.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any, Literal, NamedTuple

DateIn = Literal["jsonld", "meta", "url", "none", "time_tag"]
Template = Literal["wire", "daily", "magazine", "legacy"]
JsonLdShape = Literal["object", "list", "graph"]

TEMPLATES: tuple[Template, ...] = ("wire", "daily", "magazine", "legacy")
DATE_PLACEMENTS: tuple[DateIn, ...] = ("jsonld", "meta", "url", "none", "time_tag")

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS = ROOT / "bench" / "data" / "news_articles.jsonl"

# --- the corpus ------------------------------------------------------------------------------


class CorpusArticle(NamedTuple):
    """One article of the corpus: its headline, body paragraphs and aware publication time."""

    title: str
    paragraphs: tuple[str, ...]
    published: datetime


def load_corpus(path: Path = CORPUS) -> Iterator[CorpusArticle]:
    """The articles of a news JSONL file (fields `title`, `text`, `published`), in file order."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            paragraphs = tuple(p.strip() for p in record["text"].split("\n\n") if p.strip())
            yield CorpusArticle(
                record["title"], paragraphs, datetime.fromisoformat(record["published"])
            )


# --- chrome pools ----------------------------------------------------------------------------

NAV_SECTIONS = (
    "World", "U.S.", "Politics", "Business", "Markets", "Tech", "Science", "Health",
    "Climate", "Sport", "Culture", "Opinion", "Travel", "Food", "Style", "Video",
    "Podcasts", "Investigations", "Obituaries", "Weather", "Puzzles", "Newsletters",
)  # fmt: skip

FOOTER_LINKS = (
    "About us", "Contact us", "Careers", "Advertise with us", "Privacy policy",
    "Cookie settings", "Terms of use", "Accessibility", "Corrections", "Editorial standards",
    "Ethics policy", "Send us a tip", "Help centre", "Subscribe", "Manage subscription",
    "Gift subscriptions", "E-edition", "Archive", "Site map", "RSS feeds", "Syndication",
    "Press releases", "Events", "Newsletters", "Mobile apps", "Do not sell my information",
    "Licensing", "Masthead", "Reader panel", "Community guidelines",
)  # fmt: skip

OTHER_HEADLINES = (
    "Central bank holds rates steady but signals cuts later in the year",
    "Storm knocks out power to 200,000 homes along the coast",
    "Rail operator apologises after week of cancellations",
    "City council approves budget with new funding for parks",
    "Scientists map the seabed off the northern cape in record detail",
    "Chipmaker shares jump on stronger-than-expected orders",
    "Museum returns looted bronzes after decades-long campaign",
    "Hospital waiting lists fall for the third month running",
    "Wildfire season arrives early as drought deepens inland",
    "Striker signs three-year extension with hometown club",
    "Airport expansion plan faces fresh legal challenge",
    "Farmers warn of poor harvest after late spring frost",
    "Opposition leader unveils plan to cut commuter fares",
    "Tech firm recalls thousands of faulty chargers",
    "Film festival names jury for its anniversary edition",
    "Water utility fined over sewage spills into river",
    "Teachers' union welcomes pay offer but stops short of deal",
    "Port strike enters second week with no talks scheduled",
    "New bridge opens to traffic two years behind schedule",
    "Regulator orders review of online ticket pricing",
    "Veteran diplomat named envoy to stalled border talks",
    "Housing starts rise as mortgage costs ease",
    "Bird flu detected at second poultry farm this month",
    "Court clears way for wind farm off the southern coast",
)

COMMENTS = (
    "Same story every year. Announce a plan, miss the date, announce another plan.",
    "Good reporting, but I would have liked more on what this means for ordinary families.",
    "Does anyone actually believe this will be done on time? I certainly don't.",
    "My brother works in this sector and says the real problem is staffing, not money.",
    "Finally some progress. Credit where it is due.",
    "Why is nobody asking who pays for all of this?",
    "I read the whole report last night and it is far worse than this article suggests.",
    "Interesting that the minister was not available for comment again.",
    "This is the third article on the subject this week and none of them mention the cost.",
    "Well written piece. Please keep following this story.",
)

COMMENTERS = (
    "harbourwatcher", "J. Morales", "quietreader42", "Priya S.", "old_editor",
    "M. Okonkwo", "northern_light", "T. Lindqvist", "civic_minded", "R. Haddad",
)  # fmt: skip

CAPTIONS = (
    "Delegates leave the building after the morning session. Photo: Staff photographer",
    "The committee room was full for the first time this year. Photo: Pool",
    "Protesters gathered outside before the vote. Photo: Agency",
    "A view of the harbour at dawn. Photo: Reader submission",
)

TWEETS = (
    (
        "We will keep working until the job is done. More details soon.",
        "Press Office",
        "pressoffice",
    ),
    (
        "Important update for residents: please check our website for the latest advice.",
        "City Hall",
        "cityhall",
    ),
    ("Proud of the team today. A long road ahead, but a good start.", "Maria Lenz", "mlenz"),
)

RELATIVE_AGES = ("12 minutes ago", "1 hour ago", "3 hours ago", "5 hours ago", "Yesterday")

BYLINES = (
    "Ana Ruiz", "Tom Hendricks", "Grace Mwangi", "Kenji Morita", "Lucie Baptiste",
    "Owen Price", "Farah Siddiqui", "Daniel Costa",
)  # fmt: skip


# --- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """Everything a template needs, computed once per page."""

    title: str
    paragraphs: tuple[str, ...]
    url: str
    site_name: str
    byline: str
    published: datetime | None
    modified: datetime | None
    date_in: DateIn
    jsonld_shape: JsonLdShape
    charset: str
    xhtml: bool
    rng: random.Random

    @property
    def home(self) -> str:
        match = re.match(r"https?://[^/]+", self.url)
        return match.group(0) if match else "https://news.example"

    @property
    def slug(self) -> str:
        return slugify(self.title)


def slugify(text: str, words: int = 8) -> str:
    """A URL slug of the first `words` words of `text`."""
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(tokens[:words]) or "story"


def article_url(
    title: str,
    published: datetime | None,
    *,
    date_in: DateIn = "jsonld",
    site: str = "https://www.meridianwire.example",
    section: str = "world",
) -> str:
    """The article's address: `/section/YYYY/MM/DD/slug` when the date goes in the URL, else
    `/section/slug-<number>` with no date in it. The day is the local day of `published`."""
    slug = slugify(title)
    if date_in == "url":
        if published is None:
            raise ValueError("a URL date needs a publication time")
        return f"{site}/{section}/{published:%Y/%m/%d}/{slug}"
    number = zlib.crc32(title.encode("utf-8")) % 9_000_000 + 1_000_000
    return f"{site}/{section}/{slug}-{number}"


def news_page(
    title: str,
    paragraphs: Sequence[str],
    url: str,
    *,
    published: datetime | None = None,
    date_in: DateIn = "jsonld",
    template: Template = "wire",
    site_name: str = "Meridian Wire Service",
    byline: str | None = None,
    modified: datetime | None = None,
    jsonld_shape: JsonLdShape | None = None,
    charset: str = "utf-8",
    xhtml: bool = False,
    seed: int | None = None,
) -> str:
    """A full HTML news page for the article, with site chrome around it.

    `published` (aware, with its offset) is written only where `date_in` says: JSON-LD
    `datePublished`, meta tags, the URL (the caller passes a dated `url`, see `article_url`), a
    `<time>` element in the byline, or nowhere. `modified` (default: two hours after
    `published`) is written beside it in JSON-LD and meta tags, as sites do, to check that
    readers take the original date. With `date_in="none"` and `"url"` the page holds no
    absolute date at all: the chrome shows only relative ages ("3 hours ago").
    `jsonld_shape` (default per template: wire an object, daily a list, magazine an `@graph`)
    shapes the JSON-LD block. `charset` only goes into `<meta charset>`; encoding is the
    caller's. `xhtml` writes an XML declaration, XHTML doctype and namespace.
    """
    if date_in not in ("none", "url") and published is None:
        raise ValueError(f"date_in={date_in!r} needs a publication time")
    if not paragraphs:
        raise ValueError("an article needs at least one paragraph")
    rng = random.Random(seed if seed is not None else zlib.crc32(url.encode("utf-8")))
    if modified is None and published is not None:
        modified = published + timedelta(hours=2)
    default_shape: dict[Template, JsonLdShape] = {
        "wire": "object",
        "daily": "list",
        "magazine": "graph",
        "legacy": "object",
    }
    context = _Context(
        title=title,
        paragraphs=tuple(paragraphs),
        url=url,
        site_name=site_name,
        byline=byline if byline is not None else rng.choice(BYLINES),
        published=published,
        modified=modified,
        date_in=date_in,
        jsonld_shape=jsonld_shape or default_shape[template],
        charset=charset,
        xhtml=xhtml,
        rng=rng,
    )
    builders = {"wire": _wire, "daily": _daily, "magazine": _magazine, "legacy": _legacy}
    return builders[template](context)


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _head(context: _Context, extra_meta: str) -> str:
    description = context.paragraphs[0][:155]
    image = f"{context.home}/media/lead/{context.slug}.jpg"
    return f"""<head>
<meta charset="{_attr(context.charset)}" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{_text(context.title)} | {_text(context.site_name)}</title>
<link rel="canonical" href="{_attr(context.url)}" />
<link rel="stylesheet" href="{context.home}/static/css/site.4f2a9c.css" />
<link rel="alternate" type="application/rss+xml" title="{_attr(context.site_name)}" href="{context.home}/rss.xml" />
<meta name="description" content="{_attr(description)}" />
<meta property="og:type" content="article" />
<meta property="og:title" content="{_attr(context.title)}" />
<meta property="og:url" content="{_attr(context.url)}" />
<meta property="og:site_name" content="{_attr(context.site_name)}" />
<meta property="og:image" content="{_attr(image)}" />
<meta name="twitter:card" content="summary_large_image" />
<meta name="author" content="{_attr(context.byline)}" />
{extra_meta}
{_jsonld(context)}
<script>window.dataLayer = window.dataLayer || []; window.dataLayer.push({{"pageType": "article"}});</script>
<style>.cookie-banner{{position:fixed;bottom:0}} .ad-slot{{min-height:250px}}</style>
</head>"""


def _doctype(context: _Context) -> str:
    if context.xhtml:
        return (
            f'<?xml version="1.0" encoding="{_attr(context.charset)}"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">'
        )
    return '<!DOCTYPE html>\n<html lang="en">'


def _jsonld(context: _Context) -> str:
    """The JSON-LD block; it carries dates only when `date_in` is "jsonld"."""
    publisher = {
        "@type": "NewsMediaOrganization",
        "name": context.site_name,
        "logo": {"@type": "ImageObject", "url": f"{context.home}/static/logo.png"},
    }
    article: dict[str, Any] = {
        "@type": "NewsArticle",
        "headline": context.title,
        "mainEntityOfPage": context.url,
        "image": [f"{context.home}/media/lead/{context.slug}.jpg"],
        "author": [{"@type": "Person", "name": context.byline}],
        "publisher": publisher,
        "isAccessibleForFree": True,
    }
    if context.date_in == "jsonld" and context.published is not None:
        article["datePublished"] = context.published.isoformat()
        if context.modified is not None:
            article["dateModified"] = context.modified.isoformat()
    data: Any
    if context.jsonld_shape == "object":
        data = {"@context": "https://schema.org", **article}
    elif context.jsonld_shape == "list":
        breadcrumbs = {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": context.home},
                {
                    "@type": "ListItem",
                    "position": 2,
                    "name": "News",
                    "item": context.home + "/news",
                },
            ],
        }
        data = [breadcrumbs, {"@context": "https://schema.org", **article}]
    else:
        organization = {"@id": f"{context.home}/#org", **publisher}
        person = {"@type": "Person", "@id": f"{context.home}/#author", "name": context.byline}
        graph_article = {
            **article,
            "@id": f"{context.url}#article",
            "author": {"@id": f"{context.home}/#author"},
            "publisher": {"@id": f"{context.home}/#org"},
            "isPartOf": {"@id": f"{context.url}#webpage"},
        }
        webpage = {
            "@type": "WebPage",
            "@id": f"{context.url}#webpage",
            "url": context.url,
            "name": context.title,
        }
        website = {"@type": "WebSite", "@id": f"{context.home}/#website", "url": context.home}
        data = {
            "@context": "https://schema.org",
            "@graph": [website, webpage, organization, person, graph_article],
        }
    # "</" inside a script would end it early; JSON allows "<\/".
    encoded = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{encoded}\n</script>'


def _meta_dates(context: _Context, names: Sequence[tuple[str, str]]) -> str:
    """Meta tags for the publication (and modification) time when `date_in` is "meta"."""
    if context.date_in != "meta" or context.published is None:
        return ""
    tags = [
        f'<meta {attribute}="{name}" content="{context.published.isoformat()}" />'
        for attribute, name in names
    ]
    if context.modified is not None:
        tags.append(
            f'<meta property="article:modified_time" content="{context.modified.isoformat()}" />'
        )
    return "\n".join(tags)


def _visible_date(context: _Context, style: str) -> str:
    """The date a reader sees under the headline: absent when the page must hold none."""
    published = context.published
    if published is None or context.date_in in ("url", "none"):
        return ""
    if style == "wire":
        shown = f"{published:%B} {published.day}, {published:%Y} {published:%I:%M %p}".replace(
            " 0", " "
        )
    elif style == "daily":
        shown = f"{published:%d/%m/%Y}"
    else:
        shown = f"{published:%a} {published.day} {published:%b %Y} {published:%H.%M}"
    if context.date_in == "time_tag":
        # XHTML has no attribute minimisation: a bare `pubdate` must be written out.
        markers = {
            "wire": 'pubdate="pubdate"' if context.xhtml else "pubdate",
            "daily": 'class="entry-date published"',
            "magazine": 'itemprop="datePublished"',
        }
        marker = markers[style]
        return f'<time datetime="{published.isoformat()}" {marker}>{_text(shown)}</time>'
    return f'<span class="published-date">{_text(shown)}</span>'


def _nav_links(context: _Context, item: str, link: str) -> str:
    return "\n".join(
        f'<li class="{item}"><a class="{link}" href="{context.home}/{slugify(name)}">'
        f"{_text(name)}</a></li>"
        for name in NAV_SECTIONS[:20]
    )


def _footer_links(context: _Context, item_class: str) -> str:
    return "\n".join(
        f'<li class="{item_class}"><a href="{context.home}/{slugify(name)}">{_text(name)}</a></li>'
        for name in FOOTER_LINKS
    )


def _headlines(context: _Context, count: int) -> list[tuple[str, str]]:
    chosen = context.rng.sample(OTHER_HEADLINES, count)
    return [(headline, f"{context.home}/news/{slugify(headline)}") for headline in chosen]


def _comments(context: _Context, count: int) -> list[tuple[str, str, str]]:
    texts = context.rng.sample(COMMENTS, count)
    names = context.rng.sample(COMMENTERS, count)
    ages = [context.rng.choice(RELATIVE_AGES) for _ in range(count)]
    return list(zip(names, ages, texts, strict=True))


def _linked(paragraph: str, href: str) -> str:
    """The paragraph as HTML with its first three words linked, as newsrooms link names."""
    words = paragraph.split(" ")
    if len(words) < 6:
        return _text(paragraph)
    return f'<a href="{_attr(href)}">{_text(" ".join(words[:3]))}</a> {_text(" ".join(words[3:]))}'


def _read_more_position(context: _Context) -> int:
    """After which paragraph the inline "Read more:" link goes."""
    return min(3, len(context.paragraphs) - 1)


def _wire(context: _Context) -> str:
    """Semantic HTML5: header/nav, article with a story-body div, aside, footer."""
    meta = _meta_dates(context, [("property", "article:published_time"), ("name", "pubdate")])
    related = _headlines(context, 5)
    most_read = _headlines(context, 5)
    read_more_title, read_more_href = related[0]
    body: list[str] = []
    for index, paragraph in enumerate(context.paragraphs):
        html = (
            _linked(paragraph, f"{context.home}/topics/{index}") if index == 2 else _text(paragraph)
        )
        body.append(f"<p>{html}</p>")
        if index == _read_more_position(context):
            body.append(
                f'<p class="read-more"><strong>Read more:</strong> '
                f'<a href="{read_more_href}">{_text(read_more_title)}</a></p>'
            )
        if index == len(context.paragraphs) // 2:
            body.append(
                f'<figure class="inline-image"><img src="{context.home}/media/inline/{index}.jpg" alt="" />'
                f"<figcaption>{_text(context.rng.choice(CAPTIONS))}</figcaption></figure>"
            )
        if index == len(context.paragraphs) - 3:
            body.append(
                '<div class="related-inline"><h3>Related coverage</h3><ul>'
                + "".join(
                    f'<li><a href="{href}">{_text(headline)}</a></li>'
                    for headline, href in related[1:4]
                )
                + "</ul></div>"
            )
    comments = "\n".join(
        f'<div class="comment"><p class="comment-meta"><span class="comment-author">{_text(name)}</span> '
        f'<span class="comment-age">{age}</span></p><p class="comment-text">{_text(text)}</p>'
        f'<button class="comment-reply">Reply</button></div>'
        for name, age, text in _comments(context, 4)
    )
    return f"""{_doctype(context)}
{_head(context, meta)}
<body class="page-article">
<div id="cookie-consent" class="cookie-banner" role="dialog">
<p>We use cookies and similar technologies to improve your experience, measure audiences and show you relevant advertising. You can change your choices at any time.</p>
<button type="button">Accept all</button> <button type="button">Manage preferences</button>
</div>
<header class="site-header">
<a class="logo" href="{context.home}/">{_text(context.site_name)}</a>
<nav class="main-nav" aria-label="Sections"><ul>
{_nav_links(context, "nav-item", "nav-link")}
</ul></nav>
<form class="search" action="{context.home}/search"><input type="search" name="q" placeholder="Search" /><button>Search</button></form>
<a class="subscribe-button" href="{context.home}/subscribe">Subscribe for $1 a week</a>
</header>
<main id="main">
<article class="story">
<header class="story-header">
<p class="kicker"><a href="{context.home}/world">World</a></p>
<h1 class="story-title">{_text(context.title)}</h1>
<p class="byline">By <a rel="author" href="{context.home}/staff/{slugify(context.byline)}">{_text(context.byline)}</a> {_visible_date(context, "wire")}</p>
</header>
<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Share on LinkedIn</a> <a href="#">Email this story</a></div>
<figure class="lead-image"><img src="{context.home}/media/lead/{context.slug}.jpg" alt="" /><figcaption>Officials arrive for the meeting. Photo: Staff photographer</figcaption></figure>
<div class="story-body">
{chr(10).join(body)}
</div>
<aside class="newsletter-signup"><h2>Get the Morning Wire</h2><p>Sign up for our free newsletter and start every weekday with the five stories you need to know.</p>
<form><input type="email" placeholder="Your email address" /><button>Sign me up</button></form></aside>
<section class="related-stories"><h2>Related stories</h2><ul>
{chr(10).join(f'<li><a href="{href}">{_text(headline)}</a></li>' for headline, href in related[1:])}
</ul></section>
<section class="comments" id="comments"><h2>Comments (4)</h2>
{comments}
<p class="comment-policy">Comments are moderated. Please read our community guidelines before posting.</p>
</section>
</article>
<aside class="sidebar"><section class="most-read"><h2>Most read</h2><ol>
{chr(10).join(f'<li><a href="{href}">{_text(headline)}</a> <span class="age">{context.rng.choice(RELATIVE_AGES)}</span></li>' for headline, href in most_read)}
</ol></section></aside>
</main>
<footer class="site-footer">
<ul class="footer-links">
{_footer_links(context, "footer-item")}
</ul>
<p class="copyright">© {_copyright_year(context)} {_text(context.site_name)}. All rights reserved.</p>
</footer>
<script src="{context.home}/static/js/app.81be2.js"></script>
</body>
</html>
"""


def _daily(context: _Context) -> str:
    """WordPress-style div soup: no article/nav/aside/footer elements, an ad and a newsletter
    box inside the content div, a comment list with a reply form."""
    meta = _meta_dates(context, [("name", "parsely-pub-date"), ("name", "sailthru.date")])
    related = _headlines(context, 4)
    popular = _headlines(context, 5)
    read_more_title, read_more_href = _headlines(context, 1)[0]
    body: list[str] = []
    middle = len(context.paragraphs) // 2
    for index, paragraph in enumerate(context.paragraphs):
        html = _linked(paragraph, f"{context.home}/tag/{index}") if index == 4 else _text(paragraph)
        body.append(f"<p>{html}</p>")
        if index == _read_more_position(context):
            body.append(
                f'<p><em>Read more:</em> <a href="{read_more_href}">{_text(read_more_title)}</a></p>'
            )
        if index == middle:
            body.append(
                '<div class="ad-slot ad-inline"><span class="ad-label">Advertisement</span>'
                '<div id="div-gpt-ad-1" class="gpt"></div></div>'
            )
        if index == 1:
            body.append(
                f'<div class="wp-caption aligncenter"><img src="{context.home}/wp-content/uploads/lead.jpg" alt="" />'
                f'<p class="wp-caption-text">{_text(context.rng.choice(CAPTIONS))}</p></div>'
            )
    body.append(
        '<div class="newsletter-box"><h4>Don\'t miss a story</h4><p>Get our daily briefing '
        'delivered to your inbox every morning at 6 a.m.</p><form><input type="email" />'
        "<button>Subscribe</button></form></div>"
    )
    body.append(
        '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul>'
        '<li><a class="share-twitter" href="#">Click to share on Twitter (Opens in new window)</a></li>'
        '<li><a class="share-facebook" href="#">Click to share on Facebook (Opens in new window)</a></li>'
        '</ul></div><div class="sharedaddy sd-like"><h3 class="sd-title">Like this:</h3>'
        "<p>Like Loading...</p></div>"
    )
    comments = "\n".join(
        f'<li class="comment"><div class="comment-body"><div class="comment-author vcard"><b class="fn">{_text(name)}</b> '
        f'<span class="says">says:</span></div><div class="comment-metadata">{age}</div>'
        f'<div class="comment-content"><p>{_text(text)}</p></div><div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></div></li>'
        for name, age, text in _comments(context, 5)
    )
    return f"""{_doctype(context)}
{_head(context, meta)}
<body class="post-template-default single single-post postid-48213">
<div id="page" class="site">
<div class="gdpr-notice" id="gdpr"><div class="gdpr-text">This website uses cookies to ensure you get the best experience. By continuing to browse you agree to our use of cookies.</div><a class="gdpr-accept" href="#">Got it</a> <a href="{context.home}/cookies">Learn more</a></div>
<div class="topbar"><div class="menu-top-container"><ul id="menu-top" class="menu">
{_nav_links(context, "menu-item", "menu-link")}
</ul></div><div class="topbar-date">Today's paper</div></div>
<div class="brand"><a href="{context.home}/" class="site-title">{_text(context.site_name)}</a><div class="site-description">Independent news since 1887</div></div>
<div id="content" class="site-content"><div class="row">
<div class="col-md-8 col-main">
<div class="post-header">
<span class="cat-links"><a href="{context.home}/category/news">News</a></span>
<h1 class="entry-title">{_text(context.title)}</h1>
<div class="entry-meta"><span class="author vcard"><a class="url fn n" href="{context.home}/author/{slugify(context.byline)}">{_text(context.byline)}</a></span> {_visible_date(context, "daily")}</div>
</div>
<div class="social-share"><span>Share this:</span><a class="share-facebook" href="#">Facebook</a><a class="share-twitter" href="#">Twitter</a><a class="share-whatsapp" href="#">WhatsApp</a><a class="share-print" href="#">Print</a></div>
<div class="entry-content">
{chr(10).join(body)}
</div>
<div class="post-tags"><span>Tags:</span> <a href="#">government</a> <a href="#">policy</a></div>
<div class="related-posts"><h3 class="related-title">You may also like</h3>
{chr(10).join(f'<div class="related-item"><a href="{href}">{_text(headline)}</a></div>' for headline, href in related)}
</div>
<div id="comments" class="comments-area"><h3 class="comments-title">5 thoughts on “{_text(context.title)}”</h3>
<ol class="comment-list">
{comments}
</ol>
<div id="respond" class="comment-respond"><h3 class="comment-reply-title">Leave a Reply</h3><form><p>Your email address will not be published. Required fields are marked *</p><textarea name="comment"></textarea><input type="submit" value="Post Comment" /></form></div>
</div>
</div>
<div class="col-md-4 sidebar widget-area">
<div class="widget popular-posts"><h4 class="widget-title">Most Read</h4><ul>
{chr(10).join(f'<li><a href="{href}">{_text(headline)}</a></li>' for headline, href in popular)}
</ul></div>
<div class="widget widget_tag_cloud"><h4 class="widget-title">Topics</h4><a href="#">Elections</a> <a href="#">Courts</a> <a href="#">Economy</a> <a href="#">Energy</a></div>
</div>
</div></div>
<div class="site-footer-wrap"><div class="footer-widgets"><ul class="footer-menu">
{_footer_links(context, "menu-item")}
</ul></div>
<div class="copyright">Copyright © {_copyright_year(context)} {_text(context.site_name)} | Powered by Newspack</div></div>
</div>
<script src="{context.home}/wp-includes/js/wp-embed.min.js"></script>
</body>
</html>
"""


def _magazine(context: _Context) -> str:
    """BEM class names, schema.org microdata, paragraphs wrapped in divs, a pull quote that
    repeats a body sentence, chrome marked with data-component attributes."""
    meta = _meta_dates(context, [("name", "DC.date.issued"), ("itemprop", "datePublished")])
    related = _headlines(context, 4)
    most_read = _headlines(context, 5)
    read_more_title, read_more_href = related[-1]
    body: list[str] = []
    for index, paragraph in enumerate(context.paragraphs):
        body.append(
            f'<div class="c-paragraph"><p class="c-paragraph__text">{_text(paragraph)}</p></div>'
        )
        if index == _read_more_position(context):
            body.append(
                f'<div class="c-inline-link" data-component="inline-link"><p>Read more: '
                f'<a href="{read_more_href}">{_text(read_more_title)}</a></p></div>'
            )
        if index == len(context.paragraphs) - 4:
            tweet, name, handle = context.rng.choice(TWEETS)
            body.append(
                f'<blockquote class="twitter-tweet" data-component="embed"><p lang="en">{_text(tweet)}</p>'
                f'— {_text(name)} (@{handle}) <a href="https://social.example/{handle}/status/1">View post</a></blockquote>'
            )
        if index == 1:
            quote = re.split(r"(?<=[.!?”\"])\s", context.paragraphs[0])[0]
            body.append(
                f'<aside class="c-pullquote" data-component="pullquote"><blockquote>{_text(quote)}</blockquote></aside>'
            )
    comments = "\n".join(
        f'<div class="c-comment"><div class="c-comment__header"><span class="c-comment__name">{_text(name)}</span>'
        f'<span class="c-comment__age">{age}</span></div><div class="c-comment__body">{_text(text)}</div>'
        f'<div class="c-comment__actions"><button>Like</button><button>Reply</button><button>Report</button></div></div>'
        for name, age, text in _comments(context, 3)
    )
    return f"""{_doctype(context)}
{_head(context, meta)}
<body class="l-article t-light">
<div class="c-consent" data-component="consent-banner"><div class="c-consent__text">We and our partners store and access information on your device to personalise content and ads.</div><div class="c-consent__buttons"><button>I agree</button><button>Show purposes</button></div></div>
<div class="c-masthead" data-component="masthead"><div class="c-masthead__brand"><a href="{context.home}/">{_text(context.site_name)}</a></div>
<div class="c-nav" data-component="nav"><ul class="c-nav__list">
{_nav_links(context, "c-nav__item", "c-nav__link")}
</ul></div><div class="c-masthead__account"><a href="{context.home}/login">Sign in</a> <a href="{context.home}/subscribe">Subscribe</a></div></div>
<div class="l-container" itemscope="itemscope" itemtype="https://schema.org/NewsArticle">
<div class="l-main">
<div class="c-article-header">
<div class="c-article-header__section"><a href="{context.home}/features">Features</a></div>
<h1 class="c-article-header__headline" itemprop="headline">{_text(context.title)}</h1>
<div class="c-byline"><span itemprop="author" itemscope="itemscope" itemtype="https://schema.org/Person">By <span itemprop="name">{_text(context.byline)}</span></span> {_visible_date(context, "magazine")}</div>
</div>
<div class="c-share" data-component="share-buttons"><button>Facebook</button><button>X</button><button>Copy link</button><button>Save for later</button></div>
<div class="c-article-body" itemprop="articleBody">
{chr(10).join(body)}
<div class="c-topics"><span class="c-topics__label">Topics</span> <a href="{context.home}/topics/politics">Politics</a> <a href="{context.home}/topics/diplomacy">Diplomacy</a> <a href="{context.home}/topics/europe">Europe</a></div>
</div>
<div class="c-newsletter" data-component="newsletter"><div class="c-newsletter__title">The Weekend Read</div><div class="c-newsletter__text">Our best long reads, sent every Saturday morning. Free for registered readers.</div><form><input type="email" /><button>Sign up</button></form></div>
<div class="c-related" data-component="related"><div class="c-related__title">More from {_text(context.site_name)}</div><ul>
{chr(10).join(f'<li class="c-related__item"><a href="{href}">{_text(headline)}</a></li>' for headline, href in related[:-1])}
</ul></div>
<div class="c-comments" data-component="comments"><div class="c-comments__title">Join the conversation (3)</div>
{comments}
</div>
</div>
<div class="l-rail"><div class="c-most-read" data-component="most-read"><div class="c-most-read__title">Most read</div><ol>
{chr(10).join(f'<li><a href="{href}">{_text(headline)}</a></li>' for headline, href in most_read)}
</ol></div><div class="c-ad" data-component="ad"><span>Advertisement</span></div></div>
</div>
<div class="c-footer" role="contentinfo"><ul class="c-footer__links">
{_footer_links(context, "c-footer__item")}
</ul><div class="c-footer__legal">© {_copyright_year(context)} {_text(context.site_name)} Ltd. Registered in England and Wales.</div></div>
</body>
</html>
"""


def _legacy(context: _Context) -> str:
    """A 2000s table layout: no h1, no p elements in the story (paragraphs are text between
    `<br><br>` in a font element), navigation and "Most read" in a side cell, links in pipes."""
    meta = _meta_dates(context, [("name", "date"), ("name", "publishdate")])
    related = _headlines(context, 3)
    most_read = _headlines(context, 5)
    story = "\n<br /><br />\n".join(_text(paragraph) for paragraph in context.paragraphs)
    nav = " | ".join(
        f'<a href="{context.home}/{slugify(name)}">{_text(name)}</a>' for name in NAV_SECTIONS[:20]
    )
    footer = " | ".join(
        f'<a href="{context.home}/{slugify(name)}">{_text(name)}</a>' for name in FOOTER_LINKS
    )
    comments = "\n".join(
        f'<tr><td class="cmt"><b>{_text(name)}</b> ({age}):<br />{_text(text)}</td></tr>'
        for name, age, text in _comments(context, 3)
    )
    date_cell = _visible_date(context, "wire")
    return f"""{_doctype(context)}
{_head(context, meta)}
<body bgcolor="#ffffff">
<div id="cookiewarning">This site uses cookies. By using this site you accept our cookie policy. <a href="#">OK</a></div>
<table width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td colspan="2" class="banner"><a href="{context.home}/"><img src="{context.home}/img/logo.gif" alt="{_attr(context.site_name)}" /></a><br />{nav}</td></tr>
<tr>
<td width="180" valign="top" class="leftcol">
<b>Most read</b><br />
{"<br />".join(f'<a href="{href}">{_text(headline)}</a>' for headline, href in most_read)}
<br /><br /><b>Newsletter</b><br />Get the headlines by email every morning.<br /><input type="text" name="email" /> <input type="submit" value="Go" />
</td>
<td valign="top" class="maincol">
<font face="Arial" size="5"><b>{_text(context.title)}</b></font><br />
<font size="2" color="#666666">By {_text(context.byline)} {date_cell}</font><br />
<font size="1"><a href="#">Email</a> | <a href="#">Print</a> | <a href="#">Share</a></font><br /><br />
<font face="Arial" size="3" class="storytext">
{story}
</font>
<br /><br /><b>Read more:</b> <a href="{related[0][1]}">{_text(related[0][0])}</a>
<br /><br /><b>Related stories</b><br />
{"<br />".join(f'<a href="{href}">{_text(headline)}</a>' for headline, href in related[1:])}
<br /><br /><hr />
<table class="comments" width="100%"><tr><td><b>Reader comments</b></td></tr>
{comments}
</table>
</td>
</tr>
<tr><td colspan="2" class="footer" align="center"><font size="1">{footer}<br />© {_copyright_year(context)} {_text(context.site_name)}. All rights reserved.</font></td></tr>
</table>
</body>
</html>
"""


def _copyright_year(context: _Context) -> str:
    return str(context.published.year) if context.published is not None else "2026"


# --- feeds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed. `published` and `updated` are aware."""

    title: str
    link: str
    guid: str
    published: datetime
    updated: datetime | None = None
    summary: str = ""


def feed_items(
    articles: Sequence[CorpusArticle], site: str = "https://www.meridianwire.example"
) -> list[FeedItem]:
    """Feed entries for corpus articles: undated links, summary = first paragraph."""
    return [
        FeedItem(
            title=article.title,
            link=article_url(article.title, article.published, site=site),
            guid=f"{site}/id/{zlib.crc32(article.title.encode('utf-8')):08x}",
            published=article.published,
            updated=article.published + timedelta(minutes=45),
            summary=article.paragraphs[0],
        )
        for article in articles
    ]


def rss(
    items: Sequence[FeedItem],
    *,
    title: str = "Meridian Wire Service - Top stories",
    link: str = "https://www.meridianwire.example/",
    description: str = "The latest stories from Meridian Wire Service",
) -> str:
    """An RSS 2.0 document; dates in RFC 822 form with their offsets, as RSS requires."""
    entries = "\n".join(
        f"""<item>
<title>{_text(item.title)}</title>
<link>{_text(item.link)}</link>
<guid isPermaLink="false">{_text(item.guid)}</guid>
<pubDate>{format_datetime(item.published)}</pubDate>
{f"<atom:updated>{item.updated.isoformat()}</atom:updated>" if item.updated else ""}
<description>{_text(item.summary)}</description>
</item>"""
        for item in items
    )
    last_build = max((item.updated or item.published for item in items), default=None)
    build = f"<lastBuildDate>{format_datetime(last_build)}</lastBuildDate>" if last_build else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{_text(title)}</title>
<link>{_text(link)}</link>
<description>{_text(description)}</description>
<language>en</language>
{build}
<atom:link href="{_attr(link)}rss.xml" rel="self" type="application/rss+xml" />
{entries}
</channel>
</rss>
"""


def atom(
    items: Sequence[FeedItem],
    *,
    title: str = "Meridian Wire Service - Top stories",
    link: str = "https://www.meridianwire.example/",
) -> str:
    """An Atom 1.0 document; RFC 3339 timestamps, `updated` falling back to `published`."""
    entries = "\n".join(
        f"""<entry>
<title>{_text(item.title)}</title>
<link rel="alternate" type="text/html" href="{_attr(item.link)}" />
<id>{_text(item.guid)}</id>
<published>{item.published.isoformat()}</published>
<updated>{(item.updated or item.published).isoformat()}</updated>
<summary type="text">{_text(item.summary)}</summary>
</entry>"""
        for item in items
    )
    updated = max((item.updated or item.published for item in items), default=None)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>{_text(title)}</title>
<link rel="alternate" href="{_attr(link)}" />
<link rel="self" href="{_attr(link)}atom.xml" />
<id>{_text(link)}</id>
<updated>{updated.isoformat() if updated else "1970-01-01T00:00:00Z"}</updated>
{entries}
</feed>
"""


def json_feed(
    items: Sequence[FeedItem],
    *,
    title: str = "Meridian Wire Service - Top stories",
    link: str = "https://www.meridianwire.example/",
) -> str:
    """A JSON Feed 1.1 document."""
    document: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": link,
        "feed_url": f"{link}feed.json",
        "items": [
            {
                "id": item.guid,
                "url": item.link,
                "title": item.title,
                "summary": item.summary,
                "content_text": item.summary,
                "date_published": item.published.isoformat(),
                **({"date_modified": item.updated.isoformat()} if item.updated else {}),
            }
            for item in items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
