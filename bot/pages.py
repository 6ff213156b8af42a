"""Turns a fetched HTML page into an article: its title, body text, and the publication moment
that anchors every relative phrase in it ("next Tuesday", "within 72 hours").

Pure: bytes or text in, a `Page` out; no network, no Redis, no Slack. The body text and title
come from trafilatura in its fast mode (`bench/page_extract_bench.py` measured it against its
default mode, readability-lxml and jusText); a page laid out in a table has its tables turned
into divs first, or trafilatura keeps its navigation.

The publication moment is read with its time of day and UTC offset, from the first of:

1. JSON-LD (`NewsArticle` and the other Article types, at the top level, in a list, in
   `@graph` or nested) `datePublished`, else `dateCreated`;
2. meta tags (`article:published_time`, `parsely-pub-date`, `DC.date.issued`, ...), then
   `<time pubdate>` / `itemprop="datePublished"` / WordPress `time.published`;
3. htmldate, in its fast mode, for what those miss (other markup, a byline date, a date in the
   URL). Its extensive mode is not used: it reads dates out of the body and the footer, and a
   deadline or a copyright year taken for the publication date would shift every reminder;
4. the feed entry's date, then the page's `dateModified`, then the time the page was fetched,
   each with a visible note.

Steps 1 and 2 are parsed here rather than left to htmldate because htmldate drops the offset
and often the time. A date more than a day after the fetch is not trusted: the next source is
tried.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.html  # type: ignore[import-untyped]  # lxml ships no type information
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from bot.errors import BadInput

DateSource = Literal["metadata", "url", "feed", "fetched"]

MIN_WORDS = 40
# A page may be dated in a zone ahead of the fetcher's clock; more than a day ahead is a
# scheduled or mistyped date, not the publication.
FUTURE_TOLERANCE = timedelta(days=1)
# A date without a time is a calendar day. Noon keeps that day the same in every zone from
# UTC-11 to UTC+11, so day arithmetic on it ("next Tuesday") does not depend on the reader.
DATE_ONLY_HOUR = 12
HTMLDATE_HORIZON = timedelta(days=3650)
CHARSET_SNIFF_BYTES = 32_768

# Social-media embeds (the markup their embed codes write) quote a post, not the article; they
# are dropped before extraction.
EMBEDS = (
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'bluesky-embed')"
    " or contains(@class, 'threads-embed')]"
)

# A table cell this long is page layout, not data. trafilatura renders a layout table as rows
# of cells, navigation, "Most read" and comments included; once its tables are plain divs, it
# finds the story (bench/page_extract_bench.py, "legacy" template).
LAYOUT_CELL_WORDS = 150
TABLE_TAGS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th")

NO_TEXT = "I found no article text on that page (it may need JavaScript or a login)."

ARTICLE_TYPES = frozenset(
    {
        "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
        "BackgroundNewsArticle", "OpinionNewsArticle", "ReviewNewsArticle",
        "AskPublicNewsArticle", "SatiricalArticle", "BlogPosting", "LiveBlogPosting",
        "Report", "TechArticle", "SocialMediaPosting",
    }
)  # fmt: skip
PAGE_TYPES = frozenset({"WebPage", "ItemPage", "AboutPage", "CollectionPage"})

# Meta tag keys (name, property or itemprop, lower-cased) for the publication time, best first.
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "datepublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
    "dcterms.created", "dc.date.created", "dc.date", "date", "originalpublicationdate",
)  # fmt: skip
MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")

# Zones that keep one non-whole-hour offset all year, standing in for that offset (whole
# hours have Etc/GMT zones). Checked against tzdata at the moment before use.
FIXED_OFFSET_ZONES = {
    timedelta(hours=3, minutes=30): "Asia/Tehran",
    timedelta(hours=4, minutes=30): "Asia/Kabul",
    timedelta(hours=5, minutes=30): "Asia/Kolkata",
    timedelta(hours=5, minutes=45): "Asia/Kathmandu",
    timedelta(hours=6, minutes=30): "Asia/Yangon",
    timedelta(hours=8, minutes=45): "Australia/Eucla",
    timedelta(hours=9, minutes=30): "Australia/Darwin",
    timedelta(hours=-9, minutes=-30): "Pacific/Marquesas",
}

# "Read more: <headline>" and its kin are links to other stories inside the body container.
READ_MORE_LINE = re.compile(
    r"^(?:read more|read next|more on this|related|see also|also read|watch|listen)\s*[:|–—-]",
    re.IGNORECASE,
)
READ_MORE_MAX_WORDS = 25

TIMESTAMP = re.compile(
    r"^(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})"
    r"(?:[T ]+(?P<hour>\d{1,2})[:.]?(?P<minute>\d{2})(?:[:.]?(?P<second>\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
URL_DATE = re.compile(r"/(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[/_.-]|$)")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers decode pages labelled Latin-1 or ASCII as windows-1252 (WHATWG Encoding), and so
# do their authors' tools: curly quotes in such pages are 1252 bytes.
WINDOWS_1252_ALIASES = frozenset({"iso8859-1", "ascii"})


@dataclass(frozen=True)
class Page:
    """An article read from a page, with the moment its relative dates are read from."""

    title: str
    text: str  # plain text, paragraphs separated by blank lines
    published: datetime  # aware; in the page's own offset when it gave one
    zone: str | None  # a zoneinfo key, or None when the page says nothing usable
    date_source: DateSource
    date_note: str | None  # shown to the user when `published` is a stand-in
    canonical_url: str | None
    site_name: str | None
    byline: str | None


@dataclass(frozen=True)
class Timestamp:
    """A timestamp as a page wrote it: a day, maybe a time of day, maybe a UTC offset."""

    day: date
    clock: time | None
    offset: timedelta | None

    def moment(self, hint: timedelta | None) -> datetime:
        """Aware: a written offset kept; a naive time taken as UTC; a bare day at noon in the
        page's offset (`hint`, from its other timestamps) or else UTC."""
        if self.clock is not None:
            return datetime.combine(
                self.day, self.clock, tzinfo=timezone(self.offset or timedelta())
            )
        offset = self.offset if self.offset is not None else hint
        return datetime.combine(
            self.day, time(DATE_ONLY_HOUR), tzinfo=timezone(offset or timedelta())
        )


@dataclass(frozen=True)
class _Dating:
    published: datetime
    zone: str | None
    source: DateSource
    note: str | None


def read_page(
    html: bytes | str,
    url: str,
    fetched_at: datetime,
    *,
    feed_published: datetime | None = None,
    charset: str | None = None,
) -> Page:
    """The article on a fetched page. `fetched_at` must be aware; `feed_published` is the
    date of the feed entry that linked the page, if any (naive is taken as UTC); `charset` is
    the one the HTTP response declared. Raises BadInput when the page holds no article."""
    if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
        raise ValueError("fetched_at must be an aware datetime")
    text = decode_html(html, charset)
    tree = _parse(text)
    metadata = _Metadata.read(tree)
    canonical = _canonical_url(tree, url)
    if _has_layout_table(tree):
        for element in tree.iter(*TABLE_TAGS):
            element.tag = "div"
    document = _trafilatura(tree, canonical or url, fetched_at + FUTURE_TOLERANCE)
    extracted = _text_of(document.text) if document else ""
    if not extracted:
        raise BadInput(NO_TEXT)
    title = (
        (_clean(document.title) if document else None)
        or metadata.headline
        or _first_words(extracted)
    )
    body = _body_text(extracted, title)
    words = len(body.split())
    if words < MIN_WORDS:
        raise BadInput(
            f"I found only {words} words of article text on that page, too few for an article "
            "(it may need JavaScript or a login)."
        )
    dating = _date_page(
        metadata,
        htmldate_result=document.date if document else None,
        urls=[u for u in (canonical, url) if u],
        fetched_at=fetched_at,
        feed_published=feed_published,
    )
    return Page(
        title=title,
        text=body,
        published=dating.published,
        zone=dating.zone,
        date_source=dating.source,
        date_note=dating.note,
        canonical_url=canonical,
        site_name=metadata.site_name,
        byline=metadata.byline or (_clean(document.author) if document else None),
    )


# --- decoding and parsing --------------------------------------------------------------------


def decode_html(html: bytes | str, charset: str | None = None) -> str:
    """The page as text: a byte-order mark wins, then `charset` (from the HTTP response),
    then the page's own `<meta charset>` or XML declaration, then UTF-8; undecodable bytes
    become U+FFFD rather than failing."""
    if isinstance(html, str):
        return html
    for bom, bom_codec in BOMS:
        if html.startswith(bom):
            return html[len(bom) :].decode(bom_codec, errors="replace")
    head = html[:CHARSET_SNIFF_BYTES]
    declared = XML_ENCODING.search(head) or META_CHARSET.search(head)
    for label in (charset, declared.group(1).decode("ascii") if declared else None):
        codec = _codec(label)
        if codec is not None:
            return html.decode(codec, errors="replace")
    return html.decode("utf-8", errors="replace")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in WINDOWS_1252_ALIASES else name


def _parse(text: str) -> Any:
    # lxml refuses text that still declares a byte encoding; the text is decoded already.
    text = XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    if not text.strip():
        raise BadInput(NO_TEXT)
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise BadInput(NO_TEXT) from error


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _trafilatura(tree: Any, url: str, latest: datetime) -> Document | None:
    """trafilatura's reading of the page: text, title, author, and htmldate's date."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=True,
        include_comments=False,
        with_metadata=True,
        prune_xpath=EMBEDS,
        # htmldate, inside trafilatura, is the date fallback: fast mode, the original date,
        # its time and offset when it finds them. The future check is ours: htmldate's own
        # bound turns a too-late "2026-04-21T..." into 2026-04-01 (its year-month fallback).
        # Its default bound is the real clock, which a fetch time must override.
        date_extraction_params={
            "extensive_search": False,
            "original_date": True,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            "max_date": (latest + HTMLDATE_HORIZON).date().isoformat(),
        },
    )
    return document if isinstance(document, Document) else None


def _text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def _has_layout_table(tree: Any) -> bool:
    return any(
        len(cell.text_content().split()) >= LAYOUT_CELL_WORDS for cell in tree.iter("td", "th")
    )


def _first_words(text: str, count: int = 12) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def _body_text(extracted: str, title: str) -> str:
    """trafilatura's lines as paragraphs, without a repeated headline or "Read more:" links."""
    paragraphs = [" ".join(line.split()) for line in extracted.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]
    kept = [
        p
        for p in paragraphs
        if not (READ_MORE_LINE.match(p) and len(p.split()) <= READ_MORE_MAX_WORDS)
    ]
    return "\n\n".join(kept)


def _canonical_url(tree: Any, url: str) -> str | None:
    for xpath in (
        '//link[@rel and contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href',
        '//meta[@property="og:url"]/@content',
    ):
        for href in tree.xpath(xpath):
            absolute = urljoin(url, str(href).strip())
            if absolute.startswith(("http://", "https://")):
                return absolute
    return None


# --- metadata --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Metadata:
    """What the page's JSON-LD, meta tags and time elements say about the article."""

    published: list[Timestamp]  # best first
    modified: list[Timestamp]
    headline: str | None
    site_name: str | None
    byline: str | None

    @property
    def offset_hint(self) -> timedelta | None:
        """The page's own UTC offset, from any of its timestamps that carry one."""
        for stamp in (*self.published, *self.modified):
            if stamp.offset is not None and stamp.clock is not None:
                return stamp.offset
        return None

    @classmethod
    def read(cls, tree: Any) -> _Metadata:
        articles, pages, index = _jsonld_nodes(tree)
        meta = _meta_values(tree)
        published: list[Timestamp] = []
        modified: list[Timestamp] = []
        for group in (articles, pages):
            for node in group:
                for key in ("datePublished", "dateCreated"):
                    published.extend(_stamps(node.get(key)))
                modified.extend(_stamps(node.get("dateModified")))
        for key in PUBLISHED_META:
            published.extend(_stamps(meta.get(key)))
        published.extend(_stamps(_time_elements(tree)))
        for key in MODIFIED_META:
            modified.extend(_stamps(meta.get(key)))
        article = articles[0] if articles else {}
        return cls(
            published=published,
            modified=modified,
            headline=_clean(article.get("headline")) or _clean(meta.get("og:title")),
            site_name=_clean(meta.get("og:site_name"))
            or _names(article.get("publisher"), index)
            or None,
            byline=_names(article.get("author"), index) or _clean(meta.get("author")),
        )


def _jsonld_nodes(tree: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Article nodes and page nodes of every JSON-LD block, in page order, and every node by
    its `@id` (graphs link authors and publishers by reference)."""
    articles: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    index: dict[str, Any] = {}
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        source = (script.text or "").strip()
        # Some CMSs wrap the JSON in an HTML comment or CDATA markers.
        source = re.sub(r"^(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)$", "", source).strip()
        try:
            data = json.loads(source, strict=False)
        except ValueError:
            continue
        for node in _walk(data):
            node_id = node.get("@id")
            if isinstance(node_id, str):
                index.setdefault(node_id, node)
            types = _types(node)
            if types & ARTICLE_TYPES:
                articles.append(node)
            elif types & PAGE_TYPES:
                pages.append(node)
    return articles, pages, index


def _walk(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for value in data.values():
            if isinstance(value, dict | list):
                yield from _walk(value, depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    # "https://schema.org/NewsArticle" and "schema:NewsArticle" name the same type.
    return {re.split(r"[/:#]", v)[-1] for v in values if isinstance(v, str)}


def _names(value: Any, index: dict[str, Any]) -> str | None:
    """The name(s) of a JSON-LD person or organization, a list of them, or a reference."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = index.get(item["@id"], item)
        name = _clean(item.get("name")) if isinstance(item, dict) else _clean(item)
        if name and name not in names:
            names.append(name)
    return ", ".join(names) or None


def _meta_values(tree: Any) -> dict[str, str]:
    """Meta tag contents by lower-cased name, property, itemprop or http-equiv; first wins."""
    values: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None:
            continue
        for attribute in ("name", "property", "itemprop", "http-equiv"):
            key = element.get(attribute)
            if key:
                values.setdefault(key.strip().lower(), content.strip())
    return values


def _time_elements(tree: Any) -> list[str]:
    """Publication times marked up in the body: `<time pubdate>`, `itemprop=datePublished`
    (not on meta, read with the tags), WordPress's `time.published`."""
    values: list[str] = []
    for element in tree.xpath(
        "//time[@pubdate] | //*[@itemprop='datePublished'][not(self::meta)]"
        " | //time[contains(concat(' ', normalize-space(@class), ' '), ' published ')]"
    ):
        value = element.get("datetime") or element.get("content") or element.text_content()
        if value and value.strip():
            values.append(value.strip())
    return values


def _stamps(value: Any) -> list[Timestamp]:
    values = value if isinstance(value, list) else [value]
    stamps = [parse_timestamp(v) for v in values if isinstance(v, str)]
    return [s for s in stamps if s is not None]


def parse_timestamp(value: str) -> Timestamp | None:
    """An ISO 8601 (or near: a space for the T, `+0400`, `20260418`) or RFC 822 timestamp."""
    value = value.strip()
    match = TIMESTAMP.match(value)
    if match:
        try:
            day = date(int(match["year"]), int(match["month"]), int(match["day"]))
            clock = (
                time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
                if match["hour"] is not None
                else None
            )
        except ValueError:
            return None
        return Timestamp(day, clock, _offset(match["zone"]))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    offset = moment.utcoffset()
    return Timestamp(moment.date(), moment.time().replace(microsecond=0), offset)


def _offset(zone: str | None) -> timedelta | None:
    if zone is None:
        return None
    if zone.upper() in ("Z", "UTC", "GMT"):
        return timedelta()
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes >= 60:
        return None
    return sign * timedelta(hours=hours, minutes=minutes)


# --- dating ----------------------------------------------------------------------------------


def zone_for_offset(offset: timedelta, at: datetime) -> str | None:
    """A zoneinfo key that has `offset` at `at`: Etc/GMT±N for whole hours, a zone that keeps a
    half- or quarter-hour offset all year otherwise. None for UTC itself (a `Z` is usually the
    CMS's storage format, not the newsroom's zone) and for offsets no such zone has.

    An offset does not name a zone: Etc/GMT+4 reads "3 p.m." right until the newsroom's clocks
    change. No page markup names its IANA zone reliably, so no better guess is made here."""
    if not offset:
        return None
    minutes = int(offset.total_seconds()) // 60
    if minutes % 60 == 0:
        hours = minutes // 60
        # Etc/GMT signs are inverted: Etc/GMT+4 is UTC-04:00.
        key = f"Etc/GMT{-hours:+d}"
    else:
        key = FIXED_OFFSET_ZONES.get(offset, "")
    if not key:
        return None
    try:
        zone = ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return key if at.astimezone(zone).utcoffset() == offset else None


def _date_page(
    metadata: _Metadata,
    *,
    htmldate_result: object,
    urls: list[str],
    fetched_at: datetime,
    feed_published: datetime | None,
) -> _Dating:
    latest = fetched_at + FUTURE_TOLERANCE
    hint = metadata.offset_hint
    rejected: datetime | None = None

    def trusted(moment: datetime) -> bool:
        nonlocal rejected
        if moment > latest:
            rejected = rejected or moment
            return False
        return True

    for stamp in metadata.published:
        moment = stamp.moment(hint)
        if trusted(moment):
            return _dated(moment, "metadata", None)

    found = parse_timestamp(htmldate_result) if isinstance(htmldate_result, str) else None
    if found is not None:
        # htmldate writes a bare day as naive midnight.
        if found.offset is None and found.clock == time(0):
            found = Timestamp(found.day, None, None)
        moment = found.moment(hint)
        # htmldate settles for a modification time when nothing else is marked up; that one
        # comes after the feed's date, below.
        if trusted(moment) and not _is_modification(found, metadata.modified):
            from_url = found.clock is None and found.day in _url_days(urls)
            return _dated(moment, "url" if from_url else "metadata", None)

    if feed_published is not None:
        moment = _aware(feed_published)
        if trusted(moment):
            note = (
                f"{_rejected_prefix(rejected)}relative dates are read from the date of the "
                f"feed entry that linked it ({_show(moment)})."
            )
            return _dated(moment, "feed", note)

    for stamp in metadata.modified:
        moment = stamp.moment(hint)
        if trusted(moment):
            note = (
                "The page gives only the time it was last updated: relative dates are read "
                f"from that ({_show(moment)})."
            )
            return _dated(moment, "metadata", note)

    note = (
        f"{_rejected_prefix(rejected)}relative dates are read from the time it was fetched "
        f"({_show(fetched_at)})."
    )
    return _Dating(fetched_at, None, "fetched", note)


def _is_modification(found: Timestamp, modified: list[Timestamp]) -> bool:
    return any(stamp.day == found.day and found.clock in (None, stamp.clock) for stamp in modified)


def _dated(moment: datetime, source: DateSource, note: str | None) -> _Dating:
    offset = moment.utcoffset()
    zone = zone_for_offset(offset, moment) if offset is not None else None
    return _Dating(moment, zone, source, note)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _url_days(urls: list[str]) -> set[date]:
    days: set[date] = set()
    for url in urls:
        for match in URL_DATE.finditer(url):
            try:
                days.add(date(int(match[1]), int(match[2]), int(match[3])))
            except ValueError:
                continue
    return days


def _rejected_prefix(rejected: datetime | None) -> str:
    if rejected is None:
        return "No publication date on the page: "
    return f"The page's date ({_show(rejected)}) is in the future, so I ignored it: "


def _show(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y %H:%M} UTC"
