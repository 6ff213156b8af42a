"""The fetcher against a real local web server: what it fetches, and what it refuses to touch.

Every server here listens on loopback; the allow-list ("127.0.0.1/32") is what lets the
fetcher reach it at all, and the tests without it prove the server then sees no request.
"""

from __future__ import annotations

import inspect
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.errors import FetchFailed, FetchRefused
from bot.fetcher import Fetcher
from tests.fakes.news_site import NewsSite

ALLOW = ("127.0.0.1/32",)
PAGE = b"<!doctype html><html><head><title>Story</title></head><body><p>Caf\xe9</p></body></html>"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>'
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(16)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as running:
        yield running
    assert running.errors == []


@pytest.fixture
def fetcher() -> Fetcher:
    return Fetcher(allow_networks=ALLOW)


def _resolver(table: dict[str, str], calls: list[str] | None = None) -> Fetcher:
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        return [table[host]]

    return Fetcher(allow_networks=ALLOW, resolver=resolve)


# ---------------------------------------------------------------------- pages


def test_a_page_is_fetched_with_its_charset_and_validators(
    site: NewsSite, fetcher: Fetcher
) -> None:
    url = site.add("/story", PAGE, content_type="text/html; charset=ISO-8859-1")
    fetched = fetcher.fetch(url)
    assert (fetched.url, fetched.status, fetched.body) == (url, 200, PAGE)
    assert (fetched.content_type, fetched.charset) == ("text/html", "iso-8859-1")
    assert fetched.etag and fetched.last_modified and not fetched.not_modified
    assert fetched.redirects == ()
    request = site.requests[0]
    assert request.headers["Host"] == f"127.0.0.1:{site.port}"
    assert request.headers["User-Agent"].startswith("newsbot/0.1")
    assert "text/html" in request.headers["Accept"]


def test_gzip_content_is_decoded(site: NewsSite, fetcher: Fetcher) -> None:
    body = PAGE * 500
    fetched = fetcher.fetch(site.add("/zipped", body, gzip=True))
    assert fetched.body == body
    assert "gzip" in site.requests[0].headers["Accept-Encoding"]


def test_a_conditional_get_answers_not_modified(site: NewsSite, fetcher: Fetcher) -> None:
    url = site.add("/feed.xml", RSS, content_type="application/rss+xml")
    first = fetcher.fetch(url, accept="feed")
    again = fetcher.fetch(url, accept="feed", etag=first.etag, last_modified=first.last_modified)
    assert (again.status, again.not_modified, again.body) == (304, True, b"")
    assert (again.etag, again.last_modified) == (first.etag, first.last_modified)
    assert site.requests[1].headers["If-None-Match"] == first.etag
    by_date = fetcher.fetch(url, accept="feed", last_modified=first.last_modified)
    assert by_date.not_modified

    site.add("/feed.xml", RSS.replace(b"News", b"Newer"), content_type="application/rss+xml")
    changed = fetcher.fetch(url, accept="feed", etag=first.etag)
    assert not changed.not_modified and b"Newer" in changed.body and changed.etag != first.etag


def test_a_name_is_resolved_once_and_sent_as_the_host_header(site: NewsSite) -> None:
    site.add("/story", PAGE)
    calls: list[str] = []
    fetcher = _resolver({"news.example.com": "127.0.0.1"}, calls)
    fetched = fetcher.fetch(f"http://news.example.com:{site.port}/story")
    assert fetched.body == PAGE
    assert calls == ["news.example.com"]  # the connection used the checked address
    assert site.requests[0].headers["Host"] == f"news.example.com:{site.port}"


# ---------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_followed(site: NewsSite, fetcher: Fetcher, status: int) -> None:
    final = site.add("/final", PAGE)
    start = site.redirect("/start", "/middle", status)  # relative Location
    site.redirect("/middle", final, status)
    fetched = fetcher.fetch(start)
    assert (fetched.url, fetched.body) == (final, PAGE)
    assert fetched.redirects == (start, site.url("/middle"))


def test_five_redirects_are_followed_and_a_sixth_is_refused(
    site: NewsSite, fetcher: Fetcher
) -> None:
    site.add("/final", PAGE)
    for hop in range(1, 6):
        site.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    site.redirect("/hop6", "/final")  # /hop1 … /hop6: six redirects; /hop2 … /hop6: five

    fetched = fetcher.fetch(site.url("/hop2"))
    assert fetched.url == site.url("/final")
    assert fetched.redirects == tuple(site.url(f"/hop{hop}") for hop in range(2, 7))

    with pytest.raises(FetchRefused, match="redirects more than 5 times"):
        fetcher.fetch(site.url("/hop1"))
    assert site.count("/final") == 1  # the sixth redirect was not followed


def test_a_redirect_to_another_loopback_address_is_refused_unvisited(
    site: NewsSite, fetcher: Fetcher
) -> None:
    try:
        other = NewsSite("127.0.0.2").start()
    except OSError:
        pytest.skip("this machine cannot bind 127.0.0.2")
    try:
        other.add("/inside", PAGE)
        start = site.redirect("/go", other.url("/inside"))
        with pytest.raises(FetchRefused, match=r"127\.0\.0\.2, a loopback address"):
            fetcher.fetch(start)
        assert other.count() == 0
    finally:
        other.stop()


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/", r"10\.0\.0\.1, a private address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://2130706434/", r"127\.0\.0\.2, a loopback address"),  # not allow-listed
        ("ftp://example.com/file", "not ftp: links"),
        ("file:///etc/passwd", "not file: links"),
        ("http://localhost/", "this machine"),
    ],
)
def test_a_redirect_gets_the_same_rules_before_any_connection(
    site: NewsSite, fetcher: Fetcher, location: str, reason: str
) -> None:
    # The session guard in conftest turns any connection beyond loopback into an
    # AssertionError, so a FetchRefused here also proves nothing was attempted.
    start = site.redirect("/go", location)
    with pytest.raises(FetchRefused, match=reason) as refused:
        fetcher.fetch(start)
    assert str(refused.value).startswith(f"{start} redirects to a link I will not follow:")


def test_a_redirect_without_location_fails(site: NewsSite, fetcher: Fetcher) -> None:
    site.add("/nowhere", b"", status=302)
    with pytest.raises(FetchFailed, match="did not say where") as failed:
        fetcher.fetch(site.url("/nowhere"))
    assert failed.value.status == 302


# ---------------------------------------------------------------------- caps


@pytest.mark.parametrize("content_length", [True, False])
def test_an_oversized_body_is_refused(site: NewsSite, content_length: bool) -> None:
    fetcher = Fetcher(allow_networks=ALLOW, max_bytes=100_000)
    url = site.oversized("/huge", 5_000_000, content_length=content_length)
    with pytest.raises(FetchRefused, match=r"larger than 97\.7 kB"):
        fetcher.fetch(url)
    fetched = fetcher.fetch(site.oversized("/fits", 100_000, content_length=content_length))
    assert len(fetched.body) == 100_000


def test_a_gzip_bomb_is_refused(site: NewsSite) -> None:
    fetcher = Fetcher(allow_networks=ALLOW, max_bytes=100_000)
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="larger than"):
        fetcher.fetch(site.gzip_bomb("/bomb", 50_000_000))
    assert time.monotonic() - started < 5


def test_a_trickling_body_is_cut_at_the_deadline(site: NewsSite) -> None:
    fetcher = Fetcher(allow_networks=ALLOW, deadline_s=1.0)
    url = site.slow("/slow", b"x", interval_s=0.05, total_chunks=1000)  # 50 s in all
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="took longer than 1 s") as failed:
        fetcher.fetch(url)
    assert failed.value.transient
    assert time.monotonic() - started < 2.5


def test_the_deadline_holds_inside_a_single_trickled_read() -> None:
    # Header bytes every 0.1 s: each socket read succeeds long before its timeout, and
    # http.client keeps reading the one endless header line. Only the deadline stops it.
    stop = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def trickle() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                try:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nX-Pad: ")
                    while not stop.wait(0.1):
                        connection.sendall(b"a")
                except OSError:
                    return  # the fetcher hung up, as it should

        server = threading.Thread(target=trickle, daemon=True)
        server.start()
        started = time.monotonic()
        try:
            with pytest.raises(FetchFailed, match="took longer than 1 s"):
                Fetcher(allow_networks=ALLOW, deadline_s=1.0).fetch(f"http://127.0.0.1:{port}/")
            assert time.monotonic() - started < 2.5
        finally:
            stop.set()
            server.join(5)


# ---------------------------------------------------------------------- content types


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (PDF, "application/pdf", "That link is a PDF (application/pdf), not a web page: paste the text instead."),
        (PNG, "image/png", "That link is an image (image/png), not a web page: paste the text instead."),
        (b'{"a": 1}', "application/json", "That link is JSON data (application/json), not a web page: paste the text instead."),
        (b"\x00" * 64, "video/mp4", "That link is a video (video/mp4), not a web page: paste the text instead."),
        (PDF, None, "That link is a PDF (application/pdf), not a web page: paste the text instead."),
        (PNG, None, "That link is an image (image/png), not a web page: paste the text instead."),
        (b"just words", None, "That link does not say what it is, and it does not look like a web page."),
    ],
)  # fmt: skip
def test_what_is_not_a_web_page_is_refused_with_a_clear_message(
    site: NewsSite, fetcher: Fetcher, body: bytes, content_type: str | None, message: str
) -> None:
    url = site.add("/thing", body, content_type=content_type)
    with pytest.raises(FetchRefused) as refused:
        fetcher.fetch(url, accept="html")
    assert str(refused.value) == message


def test_a_page_without_a_content_type_is_sniffed(site: NewsSite, fetcher: Fetcher) -> None:
    fetched = fetcher.fetch(site.add("/bare", PAGE, content_type=None))
    assert (fetched.content_type, fetched.body) == ("text/html", PAGE)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (RSS, "application/rss+xml"), (RSS, "application/atom+xml"), (RSS, "text/xml"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "application/feed+json"),
        (RSS, "text/plain; charset=utf-8"), (b'{"items": []}', "text/plain"), (RSS, None),
    ],
)  # fmt: skip
def test_feeds_are_accepted(
    site: NewsSite, fetcher: Fetcher, body: bytes, content_type: str | None
) -> None:
    assert (
        fetcher.fetch(site.add("/feed", body, content_type=content_type), accept="feed").body
        == body
    )
    assert "application/rss+xml" in site.requests[0].headers["Accept"]


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [(PAGE, "text/html", "a web page (text/html)"), (b"hello", "text/plain", "plain text (text/plain)"),
     (PDF, "application/pdf", "a PDF (application/pdf)")],
)  # fmt: skip
def test_what_is_not_a_feed_is_refused(
    site: NewsSite, fetcher: Fetcher, body: bytes, content_type: str, kind: str
) -> None:
    with pytest.raises(FetchRefused, match=re.escape(f"That link is {kind}, not a feed")):
        fetcher.fetch(site.add("/feed", body, content_type=content_type), accept="feed")


# ---------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("status", "phrase", "transient"),
    [(404, "404 Not Found", False), (410, "410 Gone", False), (500, "500 Internal Server Error", True),
     (503, "503 Service Unavailable", True), (429, "429 Too Many Requests", True)],
)  # fmt: skip
def test_error_statuses_fail_with_status_and_transience(
    site: NewsSite, fetcher: Fetcher, status: int, phrase: str, transient: bool
) -> None:
    url = site.add("/page", b"oops", status=status)
    with pytest.raises(FetchFailed) as failed:
        fetcher.fetch(url)
    assert str(failed.value) == f"The site answered {phrase}."
    assert (failed.value.status, failed.value.transient) == (status, transient)


def test_scripted_failures_pass_and_the_page_comes_back(site: NewsSite, fetcher: Fetcher) -> None:
    url = site.add("/page", PAGE)
    site.fail("/page", [500, 503])
    for status in (500, 503):
        with pytest.raises(FetchFailed) as failed:
            fetcher.fetch(url)
        assert failed.value.status == status and failed.value.transient
    assert fetcher.fetch(url).body == PAGE
    assert site.count("/page") == 3


def test_a_closed_port_is_a_transient_failure(fetcher: Fetcher) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(FetchFailed, match="connection refused") as failed:
        fetcher.fetch(f"http://127.0.0.1:{port}/")
    assert failed.value.transient and failed.value.status is None


# ---------------------------------------------------------------------- without the allow-list


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/page", "http://2130706433:{port}/page", "http://0177.0.0.1:{port}/page",
     "http://[::ffff:127.0.0.1]:{port}/page", "http://0x7f.1:{port}/page", "http://localhost:{port}/page"],
)  # fmt: skip
def test_by_default_this_machine_is_never_contacted(site: NewsSite, url: str) -> None:
    site.add("/page", PAGE)
    with pytest.raises(FetchRefused, match="I only fetch public web pages"):
        Fetcher().fetch(url.format(port=site.port))
    assert site.count() == 0


def test_by_default_a_name_resolving_to_loopback_is_never_contacted(site: NewsSite) -> None:
    site.add("/page", PAGE)
    fetcher = Fetcher(resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(FetchRefused, match=r"news\.example\.com resolves to 127\.0\.0\.1"):
        fetcher.fetch(f"http://news.example.com:{site.port}/page")
    assert site.count() == 0


# ---------------------------------------------------------------------- logs


def test_fetches_are_logged_without_bodies(site: NewsSite, fetcher: Fetcher) -> None:
    url = site.add("/story", PAGE)
    with capture_logs() as logs:
        fetcher.fetch(url)
        with pytest.raises(FetchRefused):
            Fetcher().fetch("http://user:secret@127.0.0.1/")
        with pytest.raises(FetchFailed):
            fetcher.fetch(site.url("/missing"))
    events = {entry["event"]: entry for entry in logs}
    assert {"url": url, "status": 200, "bytes": len(PAGE)}.items() <= events["fetched"].items()
    assert events["fetched"]["ms"] >= 0
    assert "secret" not in str(events["fetch_refused"]) and events["fetch_refused"]["reason"]
    assert events["fetch_failed"]["status"] == 404
    assert all(b"Story" not in str(entry).encode() for entry in logs)


# ---------------------------------------------------------------------- https


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA and a certificate for news.example.com signed by it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=newsbot test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)  # fmt: skip
    _openssl("req", *ec, "-keyout", "site.key", "-out", "site.csr",
             "-subj", "/CN=news.example.com", cwd=folder)  # fmt: skip
    (folder / "site.ext").write_text(
        "subjectAltName=DNS:news.example.com\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n",
        encoding="utf-8",
    )
    _openssl("x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "site.pem", "-days", "2", "-extfile", "site.ext",
             cwd=folder)  # fmt: skip
    return folder


def test_https_connects_to_the_checked_address_and_verifies_the_name(certificates: Path) -> None:
    names = {"news.example.com": "127.0.0.1", "other.example.com": "127.0.0.1"}

    def resolve(host: str, port: int) -> list[str]:
        return [names[host]]

    tls = (str(certificates / "site.pem"), str(certificates / "site.key"))
    with NewsSite(tls=tls) as secure:
        secure.add("/story", PAGE)
        trusting = Fetcher(
            allow_networks=ALLOW, resolver=resolve, ca_certs=str(certificates / "ca.pem")
        )
        fetched = trusting.fetch(f"https://news.example.com:{secure.port}/story")
        assert (fetched.url, fetched.body) == (
            f"https://news.example.com:{secure.port}/story",
            PAGE,
        )
        assert secure.requests[0].headers["Host"] == f"news.example.com:{secure.port}"

        with pytest.raises(FetchFailed, match="certificate I cannot trust") as wrong_name:
            trusting.fetch(f"https://other.example.com:{secure.port}/story")
        assert not wrong_name.value.transient
        system_store = Fetcher(allow_networks=ALLOW, resolver=resolve)
        with pytest.raises(FetchFailed, match="certificate I cannot trust"):
            system_store.fetch(f"https://news.example.com:{secure.port}/story")
        assert secure.count("/story") == 1


# ---------------------------------------------------------------------- the session guard


def test_the_session_guard_stops_connections_beyond_loopback() -> None:
    # Only call connect() once it is known to be the guard (a Python function, not the C
    # method), so even a broken guard never lets this test send a packet.
    assert inspect.isfunction(socket.socket.connect)
    assert inspect.isfunction(socket.socket.connect_ex)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(AssertionError, match="beyond loopback"):
            sock.connect(("192.0.2.1", 80))
        with pytest.raises(AssertionError, match="beyond loopback"):
            sock.connect_ex(("192.0.2.1", 80))
    with (
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock6,
        pytest.raises(AssertionError, match="beyond loopback"),
    ):
        sock6.connect(("2001:db8::1", 80, 0, 0))
