"""`newsbot` as users start it: extract from files and JSON Lines, bad input, the offline run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.local_redis import LocalRedis

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = ROOT / "seeds" / "ap-rubio-paris-2025-04-18.txt"


def newsbot(
    *args: str, stdin: bytes | None = None, redis_url: str = ""
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_"))}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin, capture_output=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_extract_seed_prints_its_events() -> None:
    result = newsbot("extract", str(SEED), "--published", "2025-04-18T12:00:00+02:00",
                     "--tz", "Europe/Paris")  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    assert [(e["kind"], e["earliest"], e["latest"]) for e in events] == [
        ("deadline", "2025-04-19", "2025-04-25"),
        ("meeting", "2025-04-19", "2025-04-25"),
        ("meeting", "2025-04-21", "2025-04-22"),
        ("decision", "2025-04-19", "2025-04-25"),
        ("decision", "2025-04-19", "2025-05-18"),
    ]
    for key in ("kind", "start", "end", "trigger", "earliest", "latest", "conditional", "what",
                "sentence", "confidence"):  # fmt: skip
        assert key in events[0]


def test_extract_from_standard_input_with_a_date_only() -> None:
    result = newsbot("extract", "-", "--published", "2025-04-17",
                     stdin=b"The board will vote on the merger next Tuesday.")  # fmt: skip
    assert result.returncode == 0, result.stderr
    [event] = json.loads(result.stdout)["events"]
    assert (event["kind"], event["earliest"]) == ("vote", "2025-04-22")


def test_jsonl_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok", "text": "Talks resume on Monday.", "published": "2025-04-17"}),
        "{not json",
        json.dumps({"id": "bad-date", "text": "Talks resume Monday.", "published": "someday"}),
        json.dumps(
            {
                "id": "tz",
                "text": "Talks resume Monday.",
                "published": "2025-04-17",
                "tz": "Nowhere/Land",
            }
        ),
        json.dumps({"id": "past", "text": "Talks ended Monday.", "published": "2025-04-17"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = newsbot("extract", "--jsonl", str(source))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o.get("id") for o in out] == ["ok", None, "bad-date", "tz", "past"]
    assert out[0]["events"][0]["earliest"] == "2025-04-21"
    assert "not JSON" in out[1]["error"]
    assert "ISO" in out[2]["error"]
    assert "time zone" in out[3]["error"]
    assert out[4]["events"] == []


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ("missing.txt", "--published", "2025-04-18"), "no such file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", ("FILE", "--published", "2025-04-18"), "binary"),
        (b"caf\xe9 au lait", ("FILE", "--published", "2025-04-18"), "not UTF-8"),
        (b"   \n", ("FILE", "--published", "2025-04-18"), "empty"),
        (b"The vote is Friday.", ("FILE", "--published", "next Friday"), "ISO"),
        (b"word " * 1_100_000, ("FILE", "--published", "2025-04-18"), "limit"),
        (
            "Le gouvernement a annoncé vendredi que les négociations reprendront la semaine "
            "prochaine à Bruxelles, selon un communiqué publié par le ministère.".encode(),
            ("FILE", "--published", "2025-04-18"),
            "English",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, content: bytes | None, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "article.txt"
    if content is not None:
        path.write_bytes(content)
    argv = [str(path) if a == "FILE" else a for a in args]
    result = newsbot("extract", *argv)
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode()
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_offline_run_prints_events_and_alerts(redis_server: LocalRedis) -> None:
    result = newsbot("run", redis_url=redis_server.url)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "5 forward-looking mention(s)" in out
    assert "(narrows #2)" in out
    assert "Mon 21 Apr 2025 09:00 CEST  [heads-up]" in out
    assert "closed yesterday: did it happen?" in out
    assert "8 alert(s) posted" in out


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("ftp://example.org/a", "only fetch http and https"),
    ],
)
def test_ingest_refuses_a_link_with_exit_2_and_says_why(url: str, says: str) -> None:
    result = newsbot("ingest", url)
    assert result.returncode == 2
    assert says in result.stderr.decode()
    assert result.stdout == b""


def test_ingest_reads_a_page_from_a_local_site_and_a_file(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from tests.fakes.news_pages import news_page
    from tests.fakes.news_site import NewsSite

    published = datetime(2026, 4, 18, 9, 30, tzinfo=timezone(timedelta(hours=-4)))
    body = [
        "Lawmakers in the state senate will vote on the water bill next Tuesday, the majority "
        "leader said, after months of hearings on the drought.",
        "The bill has divided farmers and cities for years, and both sides have lobbied hard "
        "in the capital this spring.",
    ]
    with NewsSite() as site:
        url = site.url("/politics/water")
        site.add(
            "/politics/water", news_page("Senate to vote", body, url, published=published).encode()
        )
        refused = newsbot("ingest", url)  # loopback: refused without the test-only setting
        assert refused.returncode == 2 and "loopback" in refused.stderr.decode()
        assert site.count() == 0
        env = {**os.environ, "NEWSBOT_TEST_ALLOW_FETCH_NETWORKS": "127.0.0.1/32"}
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "ingest", url, "--json"],
            capture_output=True, cwd=ROOT, env=env, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    printed = json.loads(result.stdout)
    assert printed["article"]["published"] == "2026-04-18T09:30:00-04:00"
    assert [(e["kind"], e["earliest"]) for e in printed["events"]] == [("vote", "2026-04-21")]
    page = tmp_path / "page.html"
    page.write_text(news_page("Senate to vote", body, "https://x.example/a", date_in="none"))
    result = newsbot("ingest", str(page), "--published", "2026-04-18")
    assert result.returncode == 0
    assert "from feed" in result.stdout.decode() and "vote" in result.stdout.decode()
