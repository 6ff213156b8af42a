"""The `newsbot` command: extract events from text or a web page, and run the bot.

Exit codes: 0 success; 2 bad input or usage (a one-line message on stderr); 3 the spaCy model
is missing; 4 a service or setting the mode needs is missing (Redis, Slack credentials).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from bot.errors import BadInput, ModelMissing, NewsbotError
from bot.extraction import MAX_TEXT_CHARS, extract

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_MODEL_MISSING = 3
EXIT_UNAVAILABLE = 4
MAX_FILE_BYTES = 4 * MAX_TEXT_CHARS  # UTF-8 needs at most four bytes a character


def parse_published(value: str) -> date | datetime:
    """An ISO date or datetime; BadInput with the offending value otherwise."""
    try:
        if "T" in value or " " in value.strip():
            return datetime.fromisoformat(value.strip())
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise BadInput(f"--published {value!r} is not an ISO date or datetime") from error


def decode_text(raw: bytes, source: str) -> str:
    if b"\x00" in raw:
        raise BadInput(f"{source} holds NUL bytes: it looks binary, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{source} is not UTF-8 text (byte {error.start})") from error


def read_input(path: str) -> str:
    if path == "-":
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        source = "standard input"
    else:
        file = Path(path)
        if not file.is_file():
            raise BadInput(f"{path}: no such file")
        if file.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(
                f"{path} is {file.stat().st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        raw = file.read_bytes()
        source = path
    if len(raw) > MAX_FILE_BYTES:
        raise BadInput(f"{source} is larger than {MAX_FILE_BYTES:,} bytes")
    text = decode_text(raw, source)
    if not text.strip():
        raise BadInput(f"{source} is empty")
    return text


def events_json(text: str, published: date | datetime, zone: str | None) -> list[dict[str, object]]:
    return [event.to_json() for event in extract(text, published, zone)]


def _extract_jsonl(source: TextIO, out: TextIO) -> None:
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        record_id: object = None
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise BadInput("each line must be a JSON object")
            record_id = record.get("id")
            text, published = record.get("text"), record.get("published")
            if not isinstance(text, str) or not isinstance(published, str):
                raise BadInput('"text" and "published" must be strings')
            zone = record.get("tz")
            if zone is not None and not isinstance(zone, str):
                raise BadInput('"tz" must be a string')
            result: dict[str, object] = {
                "id": record_id,
                "events": events_json(text, parse_published(published), zone),
            }
        except json.JSONDecodeError as error:
            result = {"id": record_id, "error": f"line {number}: not JSON ({error.msg})"}
        except BadInput as error:
            result = {"id": record_id, "error": f"line {number}: {error}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


def command_extract(args: argparse.Namespace) -> int:
    if args.jsonl:
        if args.jsonl == "-":
            _extract_jsonl(sys.stdin, sys.stdout)
        else:
            path = Path(args.jsonl)
            if not path.is_file():
                raise BadInput(f"{args.jsonl}: no such file")
            with path.open(encoding="utf-8", errors="replace") as source:
                _extract_jsonl(source, sys.stdout)
        return EXIT_OK
    if args.file is None or args.published is None:
        raise BadInput("give FILE (or -) and --published, or --jsonl IN.jsonl")
    text = read_input(args.file)
    events = events_json(text, parse_published(args.published), args.tz)
    json.dump({"events": events}, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def command_ingest(args: argparse.Namespace) -> int:
    """Fetch (or open) a page, read it as the bot does, and print the article and its events."""
    from datetime import UTC

    from bot.fetcher import Fetcher
    from bot.pages import read_page
    from bot.reminders import track
    from config.logging import configure_logging
    from config.settings import Settings

    configure_logging("WARNING")  # stdout is the article (or its JSON); refusals go to stderr
    now = datetime.now(UTC)
    fallback: datetime | None = None
    if args.published:
        given = parse_published(args.published)
        fallback = given if isinstance(given, datetime) else datetime(
            given.year, given.month, given.day, 12, tzinfo=UTC
        )  # fmt: skip
        if fallback.tzinfo is None:
            fallback = fallback.replace(tzinfo=UTC)
    source: str = args.source
    if source.lower().startswith(("http://", "https://")) or "://" in source:
        settings = Settings.from_env()
        fetched = Fetcher(allow_networks=settings.fetch_allow_networks).fetch(source, accept="html")
        page = read_page(fetched.body, fetched.url, now, feed_published=fallback,
                         charset=fetched.charset)  # fmt: skip
    else:
        file = Path(source)
        if not file.is_file():
            raise BadInput(f"{source}: no such file (give an http(s) URL or an HTML file)")
        if file.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(
                f"{source} is {file.stat().st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        page = read_page(file.read_bytes(), file.resolve().as_uri(), now, feed_published=fallback)
    zone = args.tz or page.zone
    events = extract(page.text, page.published, zone)
    tracked = [t for t, _ in track(events, "cli")]
    article = {
        "url": page.canonical_url or source,
        "title": page.title,
        "site": page.site_name,
        "published": page.published.isoformat(),
        "date_source": page.date_source,
        "date_note": page.date_note,
        "words": len(page.text.split()),
    }
    if args.json:
        json.dump({"article": article, "events": [e.to_json() for e in events]}, sys.stdout,
                  ensure_ascii=False, indent=2)  # fmt: skip
        sys.stdout.write("\n")
        return EXIT_OK
    print(page.title)
    print(f"published {article['published']} (from {page.date_source})"
          + (f" — {page.date_note}" if page.date_note else ""))  # fmt: skip
    print(f"{article['words']} words · {article['url']}")
    if not tracked:
        print("No forward-looking deadline or meeting found.")
    for event in tracked:
        window = event.window.earliest.isoformat()
        if event.window.latest != event.window.earliest:
            window += f" … {event.window.latest.isoformat()}"
        hedge = " (conditional)" if event.conditional else ""
        print(f"- {event.kind}: {event.what} — {window}{hedge} [“{event.trigger}”]")
    return EXIT_OK


def command_run(args: argparse.Namespace) -> int:
    from bot.alerts import QuietHours
    from bot.local_redis import LocalRedis, default_local_url
    from bot.offline import run_offline
    from bot.store import RedisStore
    from config.logging import configure_logging
    from config.settings import Settings

    settings = Settings.from_env()
    if not settings.offline:
        import os

        from bot.web import run_all

        configure_logging(settings.log_level)
        return run_all(settings, args.port or int(os.environ.get("PORT", "3000")), args.host)
    configure_logging("WARNING")
    start, _, end = settings.quiet_hours.partition("-")
    seeds = Path(args.seeds) if args.seeds else settings.seeds_dir
    if not seeds.is_dir():
        raise BadInput(f"{seeds}: no such folder of seed articles")
    print(f"newsbot offline: no Slack credentials set; reading the articles in {seeds}/")
    private: LocalRedis | None = None
    url = settings.redis_url or default_local_url()
    if url is None:
        private = LocalRedis().start()
        url = private.url
        print(f"(started a private redis-server on {url})")
    try:
        store = RedisStore.from_url(url)
        store.ping()
        count = run_offline(seeds, sys.stdout, store, QuietHours(int(start), int(end)))
    finally:
        if private is not None:
            private.cleanup()
    print(f"\n{count} alert(s) posted on the simulated clock.")
    return EXIT_OK


def command_worker(args: argparse.Namespace) -> int:
    from bot.worker import run_worker
    from config.logging import configure_logging
    from config.settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return run_worker(settings)


def command_serve(args: argparse.Namespace) -> int:
    import os

    from bot.web import serve
    from config.logging import configure_logging
    from config.settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    port = args.port or int(os.environ.get("PORT", "3000"))
    return serve(settings, port, args.host)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    extract_cmd = commands.add_parser("extract", help="print the forward-looking events in a text")
    extract_cmd.add_argument("file", nargs="?", help="article text file, or - for standard input")
    extract_cmd.add_argument("--published", help="publication date or datetime (ISO 8601)")
    extract_cmd.add_argument("--tz", help="the article's IANA time zone, e.g. Europe/Paris")
    extract_cmd.add_argument(
        "--jsonl", metavar="IN.jsonl", help='lines of {"id", "text", "published"[, "tz"]}'
    )
    extract_cmd.set_defaults(handler=command_extract)

    ingest_cmd = commands.add_parser(
        "ingest", help="read a web page (URL or HTML file) as the bot does and print its events"
    )
    ingest_cmd.add_argument("source", metavar="URL|FILE", help="http(s) URL or a saved HTML file")
    ingest_cmd.add_argument(
        "--published", help="date (ISO 8601) to use when the page gives none, as a feed would"
    )
    ingest_cmd.add_argument("--tz", help="IANA time zone for the page's relative dates")
    ingest_cmd.add_argument("--json", action="store_true", help="print JSON")
    ingest_cmd.set_defaults(handler=command_ingest)

    run_cmd = commands.add_parser("run", help="run the bot (offline on the seeds without Slack)")
    run_cmd.add_argument("--seeds", help="folder of seed articles (default: seeds/)")
    run_cmd.add_argument("--port", type=int, default=None, help="with Slack: default $PORT or 3000")
    run_cmd.add_argument("--host", default="127.0.0.1", help="with Slack: address to listen on")
    run_cmd.set_defaults(handler=command_run)

    commands.add_parser("worker", help="dispatch due reminders to Slack").set_defaults(
        handler=command_worker
    )
    serve_cmd = commands.add_parser("serve", help="the Slack web process (HTTP)")
    serve_cmd.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    serve_cmd.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve_cmd.set_defaults(handler=command_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except BadInput as error:
        print(f"newsbot: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ModelMissing as error:
        print(f"newsbot: error: {error}", file=sys.stderr)
        return EXIT_MODEL_MISSING
    except NewsbotError as error:
        print(f"newsbot: error: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except BrokenPipeError:
        # The reader went away (`newsbot run | head`): nothing left to say to it.
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
