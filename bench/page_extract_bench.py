"""Compares article extraction libraries on generated news pages, and scores page dating.

Pages come from `tests/fakes/news_pages.py`: every article of `bench/data/news_articles.jsonl`
(`--quick`: the first 12) in each of the four site templates and each of the five date
placements (JSON-LD, meta tags, URL, `<time>` element, none). On every page, trafilatura
(default and fast mode), readability-lxml, jusText and `bot.pages.read_page` extract the body;
each is scored against the article's known paragraphs, its title against the headline, and
timed. The same pages score page dating: `read_page` beside htmldate alone. The last line of
stdout is one JSON object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # `python bench/page_extract_bench.py` puts bench/ on sys.path, not the project. Appending
    # keeps an installed or PYTHONPATH copy of `bot` first.
    sys.path.append(str(PROJECT_ROOT))

DEFAULT_ARTICLES = PROJECT_ROOT / "bench" / "data" / "news_articles.jsonl"
QUICK_ARTICLES = 12
# The fetch comes some hours after publication: late enough to cross midnight for evening
# stories, so a reader that falls back to the fetch time shows up in the day accuracy.
FETCH_DELAY = timedelta(hours=6)
TOKEN = re.compile(r"\w+")
HTMLDATE_FAST = {"extensive_search": False, "original_date": True}


class BenchSetupError(Exception):
    """The benchmark cannot run: bad article data or a missing library."""


@dataclass(frozen=True)
class BenchPage:
    """One generated page and what a perfect reader would get from it."""

    page_id: str
    html: str
    url: str
    template: str
    date_in: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime

    @property
    def fetched_at(self) -> datetime:
        return self.published + FETCH_DELAY


@dataclass(frozen=True)
class Extraction:
    title: str | None
    text: str


@dataclass
class Tally:
    """Per-extractor scores, accumulated page by page."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    f1_by_template: dict[str, list[float]] = field(default_factory=dict)
    title_exact: int = 0
    titles_given: int = 0
    failed: int = 0
    boilerplate_pages: int = 0
    seconds: list[float] = field(default_factory=list)


# --- pages -----------------------------------------------------------------------------------


def build_pages(path: Path, limit: int | None) -> list[BenchPage]:
    from tests.fakes.news_pages import (
        DATE_PLACEMENTS,
        TEMPLATES,
        article_url,
        load_corpus,
        news_page,
    )

    try:
        articles = list(load_corpus(path))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BenchSetupError(f"{path}: {error}") from error
    if not articles:
        raise BenchSetupError(f"{path}: no articles")
    pages: list[BenchPage] = []
    for number, article in enumerate(articles[:limit]):
        for template in TEMPLATES:
            for date_in in DATE_PLACEMENTS:
                url = article_url(article.title, article.published, date_in=date_in)
                html = news_page(
                    article.title,
                    article.paragraphs,
                    url,
                    published=article.published,
                    date_in=date_in,
                    template=template,
                )
                pages.append(
                    BenchPage(
                        f"{number + 1:03d}-{template}-{date_in}",
                        html,
                        url,
                        template,
                        date_in,
                        article.title,
                        article.paragraphs,
                        article.published,
                    )
                )
    return pages


def boilerplate_markers() -> list[str]:
    """Strings of the generated chrome that must never reach an article body."""
    from tests.fakes.news_pages import CAPTIONS, COMMENTS, OTHER_HEADLINES, TWEETS

    return [
        *COMMENTS,
        *OTHER_HEADLINES,
        *CAPTIONS,
        *(tweet for tweet, _, _ in TWEETS),
        "Related coverage",
        "Share this:",
        "Like Loading",
        "We use cookies",
        "This website uses cookies",
        "store and access information on your device",
        "Sign up for our free newsletter",
        "Get our daily briefing",
        "Our best long reads",
        "Leave a Reply",
        "Advertisement",
        "All rights reserved",
    ]


# --- extractors ------------------------------------------------------------------------------


def make_extractors() -> dict[str, Callable[[BenchPage], Extraction | None]]:
    try:
        import justext
        import lxml.html
        import trafilatura
        from readability import Document
    except ImportError as error:
        raise BenchSetupError(f"missing library: {error}") from error
    from bot.errors import BadInput
    from bot.pages import read_page

    # What read_page asks of htmldate inside trafilatura, so both modes pay the same date cost.
    date_params = {
        "extensive_search": False,
        "original_date": True,
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    }
    stoplist = justext.get_stoplist("English")

    def trafilatura_with(fast: bool) -> Callable[[BenchPage], Extraction | None]:
        def run(page: BenchPage) -> Extraction | None:
            document = trafilatura.bare_extraction(
                page.html,
                url=page.url,
                fast=fast,
                include_comments=False,
                with_metadata=True,
                date_extraction_params=date_params,
            )
            if document is None or not document.text:
                return None
            return Extraction(document.title, document.text)

        return run

    def readability(page: BenchPage) -> Extraction | None:
        document = Document(page.html)
        summary = document.summary(html_partial=True)
        tree = lxml.html.fromstring(summary)
        text = " ".join(" ".join(tree.itertext()).split())
        return Extraction(document.short_title(), text) if text else None

    def jus_text(page: BenchPage) -> Extraction | None:
        paragraphs = justext.justext(page.html, stoplist)
        text = "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)
        return Extraction(None, text) if text else None

    def our_reader(page: BenchPage) -> Extraction | None:
        try:
            result = read_page(page.html, page.url, page.fetched_at)
        except BadInput:
            return None
        return Extraction(result.title, result.text)

    return {
        "trafilatura": trafilatura_with(fast=False),
        "trafilatura_fast": trafilatura_with(fast=True),
        "readability_lxml": readability,
        "justext": jus_text,
        "read_page": our_reader,
    }


# --- scoring ---------------------------------------------------------------------------------


def tokens(text: str) -> Counter[str]:
    return Counter(TOKEN.findall(text.casefold()))


def bag_scores(extracted: str, gold: str) -> tuple[float, float, float]:
    """Multiset bag-of-words precision, recall and F1: each gold word can be matched as many
    times as it occurs. Order is ignored, so a boilerplate block costs precision by its
    length, and a paragraph extracted twice gains nothing the second time."""
    got, want = tokens(extracted), tokens(gold)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision = overlap / sum(got.values())
    recall = overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def normalise(text: str | None) -> str:
    return " ".join((text or "").split())


def score_extractor(
    name: str,
    run: Callable[[BenchPage], Extraction | None],
    pages: Sequence[BenchPage],
    markers: Sequence[str],
) -> Tally:
    tally = Tally()
    run(pages[0])  # warm-up: imports, caches and compiled patterns stay outside the timing
    reported = False
    for page in pages:
        started = time.perf_counter()
        try:
            result = run(page)
        except Exception:
            # One page that breaks a library must not stop the comparison; it counts as failed.
            if not reported:
                print(f"{name} raised on {page.page_id}:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
                reported = True
            result = None
        tally.seconds.append(time.perf_counter() - started)
        if result is None:
            tally.failed += 1
            precision = recall = f1 = 0.0
        else:
            precision, recall, f1 = bag_scores(result.text, "\n\n".join(page.paragraphs))
            if any(marker in result.text for marker in markers):
                tally.boilerplate_pages += 1
            if result.title is not None:
                tally.titles_given += 1
                tally.title_exact += normalise(result.title) == normalise(page.title)
        tally.precision.append(precision)
        tally.recall.append(recall)
        tally.f1.append(f1)
        tally.f1_by_template.setdefault(page.template, []).append(f1)
    return tally


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))
    return ordered[index]


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def summarise(tally: Tally, n_pages: int) -> dict[str, Any]:
    return {
        "precision": mean(tally.precision),
        "recall": mean(tally.recall),
        "f1": mean(tally.f1),
        "f1_by_template": {t: mean(v) for t, v in sorted(tally.f1_by_template.items())},
        "title_exact": ratio(tally.title_exact, n_pages) if tally.titles_given else None,
        "failed": tally.failed,
        "pages_with_boilerplate": tally.boilerplate_pages,
        "ms_median": round(statistics.median(tally.seconds) * 1000, 2),
        "ms_p95": round(nearest_rank(tally.seconds, 0.95) * 1000, 2),
    }


# --- dates -----------------------------------------------------------------------------------


def day_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def score_dates(pages: Sequence[BenchPage]) -> dict[str, Any]:
    """Exact-day accuracy per placement (the day as the page's own offset has it); for pages
    without a date, how often a reader invented one."""
    import htmldate

    from bot.errors import BadInput
    from bot.pages import read_page

    readers: dict[str, Callable[[BenchPage], tuple[date | None, datetime | None, bool]]] = {}

    def ours(page: BenchPage) -> tuple[date | None, datetime | None, bool]:
        try:
            result = read_page(page.html, page.url, page.fetched_at)
        except BadInput:
            return None, None, False
        invented = result.date_source != "fetched"
        return result.published.date(), result.published, invented

    def htmldate_with(**options: Any) -> Callable[[BenchPage], tuple[date | None, None, bool]]:
        def run(page: BenchPage) -> tuple[date | None, None, bool]:
            found = day_of(htmldate.find_date(page.html, url=page.url, **options))
            return found, None, found is not None

        return run

    readers["read_page"] = ours
    readers["htmldate_default"] = htmldate_with()
    readers["htmldate_fast_original"] = htmldate_with(**HTMLDATE_FAST)
    report: dict[str, Any] = {}
    for name, reader in readers.items():
        reader(pages[0])
        by_placement: dict[str, list[bool]] = {}
        exact_moments: list[bool] = []
        invented = 0
        seconds: list[float] = []
        for page in pages:
            started = time.perf_counter()
            day, moment, found_on_page = reader(page)
            seconds.append(time.perf_counter() - started)
            if page.date_in == "none":
                invented += found_on_page
                continue
            by_placement.setdefault(page.date_in, []).append(day == page.published.date())
            if moment is not None and page.date_in != "url":
                exact_moments.append(
                    moment == page.published and moment.utcoffset() == page.published.utcoffset()
                )
        dated = [hit for hits in by_placement.values() for hit in hits]
        report[name] = {
            "exact_day": ratio(sum(dated), len(dated)),
            "exact_day_by_placement": {
                placement: ratio(sum(hits), len(hits))
                for placement, hits in sorted(by_placement.items())
            },
            "exact_timestamp_with_offset": ratio(sum(exact_moments), len(exact_moments))
            if exact_moments
            else None,
            "undated_pages_given_a_date": invented,
            "ms_median": round(statistics.median(seconds) * 1000, 2),
        }
    return report


# --- main ------------------------------------------------------------------------------------


def report_fatal(message: str) -> int:
    print(f"page_extract_bench: {message}", file=sys.stderr)
    print(json.dumps({"error": message}))
    return 2


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"the first {QUICK_ARTICLES} articles instead of all",
    )
    parser.add_argument(
        "--articles", type=Path, default=DEFAULT_ARTICLES, help="news articles JSONL file"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list, per extractor, the pages under F1 0.9"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    try:
        pages = build_pages(arguments.articles, QUICK_ARTICLES if arguments.quick else None)
        extractors = make_extractors()
    except (BenchSetupError, OSError) as error:
        return report_fatal(str(error))
    print(f"{len(pages)} pages", file=sys.stderr)
    markers = boilerplate_markers()
    body: dict[str, Any] = {}
    for name, run in extractors.items():
        tally = score_extractor(name, run, pages, markers)
        body[name] = summarise(tally, len(pages))
        print(f"{name}: {json.dumps(body[name])}", file=sys.stderr)
        if arguments.verbose:
            for page, f1 in zip(pages, tally.f1, strict=True):
                if f1 < 0.9:
                    print(f"  {page.page_id} f1={f1:.3f}", file=sys.stderr)
    dates = score_dates(pages)
    libraries = [name for name in body if name != "read_page"]
    report = {
        "body": body,
        "dates": dates,
        "best_f1": max(libraries, key=lambda name: body[name]["f1"] or 0.0),
        "fastest": min(libraries, key=lambda name: body[name]["ms_median"]),
        "n_articles": len({page.page_id[:3] for page in pages}),
        "n_pages": len(pages),
        "templates": sorted({page.template for page in pages}),
        "date_placements": sorted({page.date_in for page in pages}),
        "fetch_delay_hours": FETCH_DELAY.total_seconds() / 3600,
        "total_seconds": round(time.perf_counter() - started, 1),
        "quick": arguments.quick,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
