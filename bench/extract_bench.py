"""Measures the speed and peak memory of `bot.extraction.extract` against the full spaCy pipeline
(`bot.nlp.load_pipeline()` with every default component) over the same news articles.

The articles are the 60 originals of `bench/data/news_articles.jsonl` plus variants that keep the
dateline paragraph first and shuffle the others with a fixed seed, up to 240 distinct texts of
400-800 words. Each side runs in its own fresh subprocess, so each side's peak RSS is its own:
the extract side calls `extract(text, published, tz)` per article after one warm-up call, and the
pipeline side times `list(nlp.pipe(texts))` after warming up on one text. The last line of stdout
is one JSON object; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # `python bench/extract_bench.py` puts bench/ on sys.path, not the project. Appending keeps
    # an installed or PYTHONPATH copy of `bot` first.
    sys.path.append(str(PROJECT_ROOT))

DEFAULT_ARTICLES = PROJECT_ROOT / "bench" / "data" / "news_articles.jsonl"
FULL_COUNT = 240
QUICK_COUNT = 40
SHUFFLE_SEED = 20250418
MIN_WORDS = 400
MAX_WORDS = 800
PARAGRAPH_BREAK = "\n\n"
SHUFFLE_ATTEMPTS = 50
SIDES = ("extract", "pipeline")
KIB_PER_MB = 1024


class BenchSetupError(Exception):
    """The benchmark cannot run: bad article data or a side that failed."""


@dataclass(frozen=True)
class BenchArticle:
    """One text to process, with the publication context of the article it came from."""

    article_id: str
    text: str
    published: datetime
    tz: str | None

    @property
    def words(self) -> int:
        return len(self.text.split())


# --- articles --------------------------------------------------------------------------------


def load_originals(path: Path) -> list[BenchArticle]:
    originals: list[BenchArticle] = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                originals.append(
                    BenchArticle(
                        article_id=str(record["id"]),
                        text=record["text"],
                        published=datetime.fromisoformat(record["published"]),
                        tz=record.get("tz"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise BenchSetupError(f"{path}:{line_number}: {error}") from error
    return originals


def shuffled_variant(
    source: BenchArticle, rng: random.Random, seen_texts: set[str], variant_number: int
) -> BenchArticle | None:
    """A new text from `source`: dateline paragraph first, the others in a seeded order.

    None when no unseen order turns up (an article with very few paragraphs)."""
    dateline, *body = source.text.split(PARAGRAPH_BREAK)
    for _ in range(SHUFFLE_ATTEMPTS):
        rng.shuffle(body)
        text = PARAGRAPH_BREAK.join([dateline, *body])
        if text not in seen_texts:
            return BenchArticle(
                f"{source.article_id}-v{variant_number}", text, source.published, source.tz
            )
    return None


def build_articles(path: Path, count: int, seed: int) -> list[BenchArticle]:
    """`count` distinct texts: the originals in file order, then one round of variants after
    another (round 1 of every article, then round 2, ...). Deterministic for a given seed."""
    originals = load_originals(path)
    if not originals:
        raise BenchSetupError(f"{path}: no articles")
    articles = list(originals[:count])
    seen_texts = {article.text for article in articles}
    rng = random.Random(seed)
    variant_number = 0
    while len(articles) < count:
        variant_number += 1
        added_this_round = 0
        for source in originals:
            if len(articles) == count:
                break
            variant = shuffled_variant(source, rng, seen_texts, variant_number)
            if variant is not None:
                articles.append(variant)
                seen_texts.add(variant.text)
                added_this_round += 1
        if added_this_round == 0:
            raise BenchSetupError(f"only {len(articles)} distinct texts can be made from {path}")
    return articles


def check_word_counts(articles: Sequence[BenchArticle]) -> tuple[int, int]:
    """(fewest, most) words per article; raises when one is outside the news-length range."""
    outside = [
        f"{article.article_id} ({article.words} words)"
        for article in articles
        if not MIN_WORDS <= article.words <= MAX_WORDS
    ]
    if outside:
        raise BenchSetupError(
            f"articles outside {MIN_WORDS}-{MAX_WORDS} words: {', '.join(outside)}"
        )
    word_counts = [article.words for article in articles]
    return min(word_counts), max(word_counts)


# --- the two sides, each run in its own subprocess -------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MB


def measure_extract(articles: Sequence[BenchArticle]) -> dict[str, Any]:
    # Imported here so that the pipeline side never loads the extractor, nor the parent either.
    from bot.extraction import extract

    # The first call loads the model; it stays outside the timing. No separate load_pipeline()
    # call here: the extractor may load a slimmer pipeline, and a second model would inflate
    # this side's peak RSS.
    warm_up = articles[0]
    extract(warm_up.text, warm_up.published, warm_up.tz)
    events_found = 0
    failures = 0
    started = time.perf_counter()
    for article in articles:
        try:
            events_found += len(extract(article.text, article.published, article.tz))
        except Exception:
            # One failing article must not stop the measurement; the count is reported.
            if failures == 0:
                print(f"extract failed on {article.article_id}:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
            failures += 1
    seconds = time.perf_counter() - started
    return {
        "side": "extract",
        "n_articles": len(articles),
        "seconds": seconds,
        "rate": len(articles) / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "events_found": events_found,
        "errors": failures,
    }


def measure_pipeline(articles: Sequence[BenchArticle]) -> dict[str, Any]:
    from bot.nlp import load_pipeline

    nlp = load_pipeline()
    nlp(articles[0].text)
    texts = [article.text for article in articles]
    started = time.perf_counter()
    docs = list(nlp.pipe(texts))
    seconds = time.perf_counter() - started
    return {
        "side": "pipeline",
        "n_articles": len(docs),
        "seconds": seconds,
        "rate": len(docs) / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "components": list(nlp.pipe_names),
        "disabled": list(nlp.disabled),
        "batch_size": nlp.batch_size,
        "tokens": sum(len(doc) for doc in docs),
    }


def run_side(side: str, arguments: argparse.Namespace) -> dict[str, Any]:
    """Runs one side in a fresh interpreter and returns the JSON it printed last."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--side",
        side,
        "--count",
        str(arguments.count),
        "--articles",
        str(arguments.articles),
        "--seed",
        str(arguments.seed),
    ]
    print(f"running the {side} side in a subprocess", file=sys.stderr)
    # stderr is inherited so the side's progress and tracebacks reach the user as they happen.
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise BenchSetupError(f"the {side} side failed with exit status {completed.returncode}")
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError as error:
        raise BenchSetupError(f"the {side} side printed no JSON last: {lines[-1]!r}") from error
    print(
        f"{side}: {result['n_articles']} articles in {result['seconds']:.2f}s, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB",
        file=sys.stderr,
    )
    return result


def run_side_in_this_process(side: str, arguments: argparse.Namespace) -> int:
    articles = build_articles(arguments.articles, arguments.count, arguments.seed)
    result = measure_extract(articles) if side == "extract" else measure_pipeline(articles)
    print(json.dumps(result))
    return 0


# --- parent ----------------------------------------------------------------------------------


def build_report(
    articles: Sequence[BenchArticle],
    extract_side: dict[str, Any],
    pipeline_side: dict[str, Any],
    quick: bool,
) -> dict[str, Any]:
    words_min, words_max = check_word_counts(articles)
    return {
        "rate_extract": round(extract_side["rate"], 2),
        "rate_full_pipeline": round(pipeline_side["rate"], 2),
        "ratio": round(extract_side["rate"] / pipeline_side["rate"], 3),
        "peak_rss_mb": round(extract_side["peak_rss_mb"], 1),
        "peak_rss_mb_pipeline": round(pipeline_side["peak_rss_mb"], 1),
        "n_articles": len(articles),
        "n_distinct_texts": len({article.text for article in articles}),
        "words_min": words_min,
        "words_max": words_max,
        "events_found": extract_side["events_found"],
        "extract_errors": extract_side["errors"],
        "seconds_extract": round(extract_side["seconds"], 3),
        "seconds_full_pipeline": round(pipeline_side["seconds"], 3),
        "pipeline_components": pipeline_side["components"],
        "pipeline_disabled": pipeline_side["disabled"],
        "pipeline_batch_size": pipeline_side["batch_size"],
        "quick": quick,
    }


def report_fatal(message: str) -> int:
    """Says why nothing was measured, on stderr and as the JSON line; returns the exit status."""
    print(f"extract_bench: {message}", file=sys.stderr)
    print(json.dumps({"error": message}))
    return 2


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_COUNT} articles instead of {FULL_COUNT}"
    )
    parser.add_argument(
        "--count", type=int, default=None, help=f"number of articles (default {FULL_COUNT})"
    )
    parser.add_argument(
        "--articles", type=Path, default=DEFAULT_ARTICLES, help="news articles JSONL file"
    )
    parser.add_argument(
        "--seed", type=int, default=SHUFFLE_SEED, help="seed of the paragraph shuffles"
    )
    # Internal: runs one side in this process; the parent starts each side this way.
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.count is None:
        arguments.count = QUICK_COUNT if arguments.quick else FULL_COUNT
    if arguments.count < 1:
        parser.error("--count must be at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.side is not None:
        return run_side_in_this_process(arguments.side, arguments)
    try:
        # The parent only builds and checks the texts; it imports neither spaCy nor the
        # project, so it stays small beside the sides it starts.
        articles = build_articles(arguments.articles, arguments.count, arguments.seed)
        check_word_counts(articles)
        print(
            f"{len(articles)} articles, {sum(article.words for article in articles)} words",
            file=sys.stderr,
        )
        extract_side = run_side("extract", arguments)
        pipeline_side = run_side("pipeline", arguments)
    except (BenchSetupError, OSError) as error:
        return report_fatal(str(error))
    print(json.dumps(build_report(articles, extract_side, pipeline_side, arguments.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
