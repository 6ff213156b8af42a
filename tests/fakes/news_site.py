"""A local news website for tests and benchmarks: pages, feeds, redirects and misbehaviour.

``NewsSite`` serves from a ``ThreadingHTTPServer`` on 127.0.0.1 (an ephemeral port; another
loopback address on request) in a background thread. HTTP/1.1 keep-alive, one thread per
connection and no per-request logging keep it fast and quiet enough to serve a benchmark's
hundreds of articles.

Routes (all thread-safe, may change while clients are running; adding a path again
replaces its route):

* ``add(path, body, content_type=..., status=200, headers={}, gzip=False)``: a page or feed.
  200 routes carry an ``ETag`` and ``Last-Modified`` and answer conditional GETs with 304.
* ``redirect(path, location, status=302)``: a redirect (``location`` may be relative).
* ``slow(path, chunk, interval_s, total_chunks)``: trickles ``chunk`` every ``interval_s``.
* ``oversized(path, size, content_length=True)``: streams ``size`` bytes, chunked when
  ``content_length`` is False.
* ``gzip_bomb(path, decoded_size)``: a small gzip body that inflates to ``decoded_size``.
* ``fail(path, [500, 503, ...])``: the next requests to ``path`` get these statuses, in
  order; then the route answers normally again.

Every request is recorded (``requests``, ``count(path)``); unknown paths answer 404.
``NewsSite(tls=(certfile, keyfile))`` serves https instead.

Usage::

    with NewsSite() as site:
        site.add("/story", b"<html>...</html>")
        fetched = fetcher.fetch(site.url("/story"))
        assert site.count("/story") == 1
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import ssl
import sys
import threading
import time
import traceback
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

LOOPBACK_HOST = "127.0.0.1"
HANDLER_THREAD_JOIN_SECONDS = 5.0
SERVE_POLL_SECONDS = 0.05
IDLE_CONNECTION_SECONDS = 30.0
STREAM_CHUNK = 64 * 1024
HTML = "text/html; charset=utf-8"


class RecordedRequest(NamedTuple):
    """One request the site received; ``headers`` look up names case-insensitively."""

    method: str
    path: str  # the request target, query included
    headers: Message


@dataclass(frozen=True)
class _Page:
    body: bytes
    content_type: str | None
    status: int
    headers: Mapping[str, str]
    gzip: bool
    etag: str
    last_modified: float  # epoch seconds, whole


@dataclass(frozen=True)
class _Redirect:
    location: str
    status: int


@dataclass(frozen=True)
class _Slow:
    chunk: bytes
    interval_s: float
    total_chunks: int
    content_type: str


@dataclass(frozen=True)
class _Stream:
    size: int
    content_length: bool
    content_type: str


@dataclass(frozen=True)
class _Bomb:
    compressed: bytes
    content_type: str


_Route = _Page | _Redirect | _Slow | _Stream | _Bomb


@dataclass
class _State:
    routes: dict[str, _Route] = field(default_factory=dict)
    failures: dict[str, deque[int]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class NewsSite:
    """A threaded local website on a loopback address and an ephemeral port."""

    def __init__(self, host: str = LOOPBACK_HOST, *, tls: tuple[str, str] | None = None) -> None:
        """Configure the site; nothing listens until ``start()`` (or ``with``).

        Args:
            host: the loopback address to bind (e.g. "127.0.0.2" for a second site).
            tls: ``(certfile, keyfile)`` to serve https instead of http.
        """
        self.host = host
        self._tls_context: ssl.SSLContext | None = None
        if tls is not None:
            self._tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls_context.load_cert_chain(*tls)
        self._lock = threading.Lock()
        self._state = _State()
        self._stopping = threading.Event()
        self._server: _NewsHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind ``host``:0 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("NewsSite is already running")
        self._stopping.clear()
        server = _NewsHTTPServer(self, (self.host, 0))
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_SECONDS},
            name=f"news-site-{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._serve_thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread; safe to call twice."""
        server, thread = self._server, self._serve_thread
        if server is None or thread is None:
            return
        self._stopping.set()  # wakes slow routes between chunks
        server.shutdown()
        thread.join()
        server.server_close()
        server.close_connections()
        server.join_handler_threads(HANDLER_THREAD_JOIN_SECONDS)
        self._server = self._serve_thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        exc_traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the site listens on (only while running)."""
        if self._server is None:
            raise RuntimeError("NewsSite is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (https with ``tls``), without a trailing slash."""
        scheme = "https" if self._tls_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this site."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # ------------------------------------------------------------------ routes

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str | None = HTML,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        gzip: bool = False,
        last_modified: float | None = None,
    ) -> str:
        """Serve ``body`` at ``path``; returns its URL.

        ``content_type=None`` sends no Content-Type. ``gzip`` compresses the body for clients
        that accept gzip. ``last_modified`` (epoch seconds) defaults to now.
        """
        page = _Page(
            body=body,
            content_type=content_type,
            status=status,
            headers=dict(headers or {}),
            gzip=gzip,
            etag='"' + hashlib.sha1(body).hexdigest()[:16] + '"',
            last_modified=float(int(time.time() if last_modified is None else last_modified)),
        )
        self._set(path, page)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer ``path`` with a redirect to ``location``; returns the URL of ``path``."""
        self._set(path, _Redirect(location, status))
        return self.url(path)

    def slow(
        self,
        path: str,
        chunk: bytes,
        interval_s: float,
        total_chunks: int,
        content_type: str = HTML,
    ) -> str:
        """Send headers at once, then ``chunk`` every ``interval_s``, ``total_chunks`` times."""
        self._set(path, _Slow(chunk, interval_s, total_chunks, content_type))
        return self.url(path)

    def oversized(
        self, path: str, size: int, *, content_length: bool = True, content_type: str = HTML
    ) -> str:
        """Stream ``size`` bytes; without ``content_length`` the body is sent chunked."""
        self._set(path, _Stream(size, content_length, content_type))
        return self.url(path)

    def gzip_bomb(self, path: str, decoded_size: int, content_type: str = HTML) -> str:
        """A gzip body of about decoded_size/1000 bytes that inflates to ``decoded_size``."""
        self._set(path, _Bomb(_gzipped_zeros(decoded_size), content_type))
        return self.url(path)

    def fail(self, path: str, statuses: Iterable[int]) -> None:
        """Answer the next requests to ``path`` with ``statuses``, in order, then normally."""
        with self._lock:
            self._state.failures.setdefault(path, deque()).extend(statuses)

    def remove(self, path: str) -> None:
        """Forget ``path``: it answers 404 from now on."""
        with self._lock:
            self._state.routes.pop(path, None)

    def reset(self) -> None:
        """Forget every route, scripted failure, recorded request and error."""
        with self._lock:
            self._state = _State()

    def _set(self, path: str, route: _Route) -> None:
        with self._lock:
            self._state.routes[path] = route

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._state.requests)

    def count(self, path: str | None = None) -> int:
        """How many requests asked for ``path`` (query ignored unless given); all if None."""
        with self._lock:
            recorded = list(self._state.requests)
        if path is None:
            return len(recorded)
        return sum(1 for request in recorded if _matches(request.path, path))

    @property
    def errors(self) -> list[str]:
        """Tracebacks of errors inside the site itself (not client disconnects)."""
        with self._lock:
            return list(self._state.errors)

    # ------------------------------------------------------------------ serving

    def _record(self, request: RecordedRequest) -> tuple[_Route | None, int | None]:
        """Log the request and pick what answers it: a scripted failure or the route."""
        path = urlsplit(request.path).path
        with self._lock:
            self._state.requests.append(request)
            for key in (request.path, path):
                pending = self._state.failures.get(key)
                if pending:
                    return None, pending.popleft()
            route = self._state.routes.get(request.path) or self._state.routes.get(path)
            return route, None

    def _record_error(self, description: str) -> None:
        with self._lock:
            self._state.errors.append(description)


def _matches(target: str, path: str) -> bool:
    return target == path or ("?" not in path and urlsplit(target).path == path)


@lru_cache(maxsize=8)
def _gzipped_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    block = bytes(min(size, 1024 * 1024))
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        parts.append(compressor.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def _not_modified(page: _Page, headers: Message) -> bool:
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return page.last_modified <= since


# ---------------------------------------------------------------------- HTTP plumbing


class _NewsHTTPServer(ThreadingHTTPServer):
    """One daemon thread per connection; stop() closes idle keep-alive connections too."""

    daemon_threads = True
    request_queue_size = 128  # a benchmark's burst of connections must not overflow
    allow_reuse_address = False

    def __init__(self, site: NewsSite, address: tuple[str, int]) -> None:
        super().__init__(address, _NewsRequestHandler)
        self.site = site
        self._handler_threads: set[threading.Thread] = set()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._handle_in_thread, args=(request, client_address), daemon=True
        )
        with self._lock:
            self._handler_threads.add(thread)
            self._connections.add(request)
        thread.start()

    def _handle_in_thread(self, request: socket.socket, client_address: Any) -> None:
        connection: socket.socket = request
        try:
            context = self.site._tls_context
            if context is not None:
                request.settimeout(HANDLER_THREAD_JOIN_SECONDS)
                try:
                    connection = context.wrap_socket(request, server_side=True)
                except (OSError, ssl.SSLError):
                    request.close()  # the client refused our certificate, as it may
                    return
                with self._lock:
                    self._connections.add(connection)
            self.process_request_thread(connection, client_address)
        finally:
            with self._lock:
                self._handler_threads.discard(threading.current_thread())
                self._connections.discard(request)
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Unblock handlers waiting on idle keep-alive connections."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                socket.socket.shutdown(connection, socket.SHUT_RDWR)
            except OSError:
                continue  # already closed by its handler

    def join_handler_threads(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError | ssl.SSLError):
            return  # the client went away (it may have stopped reading on purpose)
        self.site._record_error(traceback.format_exc())


class _NewsRequestHandler(BaseHTTPRequestHandler):
    server: _NewsHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, for benchmark clients that pool connections
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_SECONDS
    server_version = "NewsSite/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: a benchmark's requests must not flood stderr."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        site = self.server.site
        route, failure = site._record(RecordedRequest(self.command, self.path, self.headers))
        try:
            if failure is not None:
                self._send(failure, b"scripted failure\n", "text/plain", {}, send_body)
            elif route is None:
                self._send(404, b"not found\n", "text/plain", {}, send_body)
            elif isinstance(route, _Page):
                self._page(route, send_body)
            elif isinstance(route, _Redirect):
                self._send(route.status, b"", "text/plain", {"Location": route.location}, send_body)
            elif isinstance(route, _Slow):
                self._slow(route, send_body)
            elif isinstance(route, _Stream):
                self._stream(route, send_body)
            else:
                encoded = {"Content-Encoding": "gzip"}
                self._send(200, route.compressed, route.content_type, encoded, send_body)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True  # the client stopped reading: fine, and often the test

    def _page(self, page: _Page, send_body: bool) -> None:
        headers = dict(page.headers)
        if page.status == 200:
            headers.setdefault("ETag", page.etag)
            headers.setdefault("Last-Modified", formatdate(page.last_modified, usegmt=True))
            if _not_modified(page, self.headers):
                self._send(304, b"", None, headers, send_body)
                return
        body = page.body
        if page.gzip and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        self._send(page.status, body, page.content_type, headers, send_body)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: Mapping[str, str],
        send_body: bool,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)

    def _slow(self, route: _Slow, send_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.chunk) * route.total_chunks))
        self.end_headers()
        if not send_body:
            return
        stopping = self.server.site._stopping
        for _ in range(route.total_chunks):
            self.wfile.write(route.chunk)
            if stopping.wait(route.interval_s):
                self.close_connection = True
                return

    def _stream(self, route: _Stream, send_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        if route.content_length:
            self.send_header("Content-Length", str(route.size))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not send_body:
            return
        block = b"x" * STREAM_CHUNK
        remaining = route.size
        while remaining > 0:
            data = block[: min(remaining, STREAM_CHUNK)]
            remaining -= len(data)
            if route.content_length:
                self.wfile.write(data)
            else:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        if not route.content_length:
            self.wfile.write(b"0\r\n\r\n")
