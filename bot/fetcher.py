"""Fetch article pages and feeds over HTTP(S), from the public internet only.

This is the only module that touches the network for content. A link a user pastes is
untrusted: it may point at this machine, the cloud metadata service or the office network
(server-side request forgery), or at a 10 GB file, a gzip bomb or a server that trickles a
byte a second. So every URL and every redirect passes the same rules, every resolved address
is checked and the connection goes to the checked address (no second DNS lookup for a
rebinding attacker to answer differently), and size and wall time are capped for the whole
fetch, redirects included.

The rules are pure functions (`check_url`, `parse_host_literal`, `check_address`) so they
can be tested without a network; `Fetcher.resolve_checked` adds the (injectable) resolver.
"""

from __future__ import annotations

import http
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, TypeAlias
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import structlog
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import BaseHTTPResponse

from bot.errors import FetchFailed, FetchRefused

log = structlog.get_logger(__name__)

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
Accept: TypeAlias = Literal["html", "feed"]
Resolver: TypeAlias = Callable[[str, int], list[str]]

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot)"
MAX_BYTES = 5 * 1024 * 1024
DEADLINE_S = 10.0
MAX_REDIRECTS = 5
READ_CHUNK = 64 * 1024
SNIFF_BYTES = 1024

DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PUBLIC_ONLY = "I only fetch public web pages."

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
        "application/feed+json", "application/json",
        "application/rdf+xml",  # RSS 1.0 feeds are RDF documents
    }
)  # fmt: skip
ARCHIVE_TYPES = frozenset(
    {
        "application/zip", "application/gzip", "application/x-gzip", "application/x-tar",
        "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed",
    }
)  # fmt: skip
DOCUMENT_PREFIXES = (
    "application/vnd.openxmlformats", "application/vnd.oasis.opendocument", "application/vnd.ms-",
)  # fmt: skip
ACCEPT_HEADERS: dict[Accept, str] = {
    "html": "text/html,application/xhtml+xml;q=0.9",
    "feed": (
        "application/rss+xml,application/atom+xml,application/feed+json,"
        "application/xml;q=0.9,text/xml;q=0.9,application/json;q=0.8,text/plain;q=0.5"
    ),
}

# Names are checked after IDNA encoding, so only ASCII letters, digits, '-', '_' and '.' remain.
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_HEX_PART = re.compile(r"0x[0-9a-f]*")
_OCTAL_PART = re.compile(r"0[0-7]*")
_DECIMAL_PART = re.compile(r"[1-9][0-9]*")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_PATH_SAFE = "/%:@!$&'()*+,;=~"


def _net(cidr: str) -> IPNetwork:
    return ipaddress.ip_network(cidr)


# First match names the reason; anything that passes these still has to be `is_global`.
# Spelled out rather than left to `ipaddress` flags so the message says what the range is
# and the rules do not shift between Python patch releases.
_IPV4_RULES: tuple[tuple[IPNetwork, str], ...] = (
    (_net("0.0.0.0/8"), "an unspecified address"),
    (_net("127.0.0.0/8"), "a loopback address"),
    (_net("169.254.169.254/32"), "a link-local address (the cloud metadata service)"),
    (_net("169.254.0.0/16"), "a link-local address"),
    (_net("10.0.0.0/8"), "a private address"),
    (_net("172.16.0.0/12"), "a private address"),
    (_net("192.168.0.0/16"), "a private address"),
    (_net("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
    (_net("192.0.0.0/24"), "an IETF protocol address"),
    (_net("192.0.2.0/24"), "a documentation address"),
    (_net("198.51.100.0/24"), "a documentation address"),
    (_net("203.0.113.0/24"), "a documentation address"),
    (_net("198.18.0.0/15"), "a benchmarking address"),
    (_net("224.0.0.0/4"), "a multicast address"),
    (_net("255.255.255.255/32"), "the broadcast address"),
    (_net("240.0.0.0/4"), "a reserved address"),
)
_IPV6_RULES: tuple[tuple[IPNetwork, str], ...] = (
    (_net("::/128"), "an unspecified address"),
    (_net("::1/128"), "a loopback address"),
    (_net("fe80::/10"), "a link-local address"),
    (_net("fec0::/10"), "a site-local address"),
    (_net("fc00::/7"), "a private (unique local) address"),
    (_net("ff00::/8"), "a multicast address"),
    (_net("2001:db8::/32"), "a documentation address"),
    (_net("2001:2::/48"), "a benchmarking address"),
    (_net("2001::/32"), "a Teredo tunnel address"),
    (_net("100::/64"), "a discard-only address"),
)
_IPV4_MAPPED = _net("::ffff:0:0/96")
_IPV4_COMPATIBLE = _net("::/96")
_NAT64 = _net("64:ff9b::/96")
_SIX_TO_FOUR = _net("2002::/16")
_TEREDO = _net("2001::/32")
# These IPv6 forms are translated to their IPv4 address on the way, so that address alone
# decides; IPv4-compatible and Teredo forms must also pass the IPv6 rules.
_TRANSLATED_FORMS = frozenset({"an IPv4-mapped form", "a NAT64 form", "a 6to4 form"})


@dataclass(frozen=True)
class Fetched:
    """A fetched page or feed (or, with `not_modified`, the news that it has not changed)."""

    url: str  # the final URL, after redirects
    status: int
    content_type: str  # media type only, lower case: "text/html"
    charset: str | None
    body: bytes  # decoded from gzip/deflate; empty when not_modified
    etag: str | None
    last_modified: str | None
    not_modified: bool
    redirects: tuple[str, ...]  # every URL that answered with a redirect, in order


@dataclass(frozen=True)
class Target:
    """A URL that passed the static checks, split into what a request needs."""

    url: str  # normalised: scheme, host and port as connected, path quoted, no fragment
    scheme: str
    host: str  # IDNA-encoded name without a trailing dot, or the canonical address
    port: int
    request_target: str  # path and query, for the request line
    address: IPAddress | None  # set when the host is an IP literal: no DNS lookup needed

    @property
    def host_header(self) -> str:
        """The Host header (and URL authority): brackets for IPv6, the port unless default."""
        return _authority(self.scheme, self.host, self.port)


def _authority(scheme: str, host: str, port: int) -> str:
    bracketed = f"[{host}]" if ":" in host else host
    return bracketed if port == DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"


# ---------------------------------------------------------------------- pure rules


def parse_host_literal(host: str) -> IPAddress | None:
    """The address a host spells, in any form a resolver would accept, else None.

    Handles bracketed IPv6 (`[::ffff:7f00:1]`), percent-encoding, a trailing dot, and the
    classic IPv4 forms `inet_aton` accepts: decimal (`2130706433`), octal (`0177.0.0.1`),
    hex (`0x7f.1`) and short (`127.1`) — so a refusal can name the real address.
    """
    text = unquote(host.strip()).lower()
    if text.startswith("[") and text.endswith("]"):
        try:
            return ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            return None
    if text.endswith("."):
        text = text[:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return _parse_ipv4_numbers(text)


def _parse_ipv4_numbers(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _parse_ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    *head, last = numbers
    # Like inet_aton: leading parts are single bytes, the last fills the remaining bytes.
    if any(number > 0xFF for number in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _parse_ipv4_number(part: str) -> int | None:
    if _HEX_PART.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL_PART.fullmatch(part):
        return int(part, 8)
    if _DECIMAL_PART.fullmatch(part):
        return int(part)
    return None


def check_address(ip: IPAddress | str, allow: Iterable[IPNetwork | str] = ()) -> str | None:
    """None when the fetcher may connect to `ip`, else why not ("a loopback address").

    `allow` lists networks (test-only) that pass even though they are not public.
    """
    address = (
        ip
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
        else ipaddress.ip_address(ip)
    )
    networks = _networks(allow)
    if _in_any(address, networks):
        return None
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_reason(address)
    return _ipv6_reason(address, networks)


def _networks(allow: Iterable[IPNetwork | str]) -> tuple[IPNetwork, ...]:
    return tuple(
        network if not isinstance(network, str) else ipaddress.ip_network(network, strict=False)
        for network in allow
    )


def _in_any(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def _ipv4_reason(address: ipaddress.IPv4Address) -> str | None:
    for network, reason in _IPV4_RULES:
        if address in network:
            return reason
    return None if address.is_global else "a non-public address"


def _ipv6_reason(address: ipaddress.IPv6Address, allow: Sequence[IPNetwork]) -> str | None:
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        form, inner = embedded
        for ipv4 in inner:
            reason = None if _in_any(ipv4, allow) else _ipv4_reason(ipv4)
            if reason is not None:
                return f"{form} of {ipv4}, {reason}"
        if form in _TRANSLATED_FORMS:
            return None
    reason = _first_rule(address, _IPV6_RULES)
    if reason is not None:
        return reason
    if address.is_reserved:
        return "a reserved address"
    return None if address.is_global else "a non-public address"


def _first_rule(address: IPAddress, rules: Iterable[tuple[IPNetwork, str]]) -> str | None:
    for network, reason in rules:
        if address in network:
            return reason
    return None


def _embedded_ipv4(
    address: ipaddress.IPv6Address,
) -> tuple[str, tuple[ipaddress.IPv4Address, ...]] | None:
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped form", (address.ipv4_mapped,)
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves
        return "an IPv4-compatible form", (low32,)
    if address in _NAT64:
        return "a NAT64 form", (low32,)
    if address in _SIX_TO_FOUR and address.sixtofour is not None:
        return "a 6to4 form", (address.sixtofour,)
    if address in _TEREDO and address.teredo is not None:
        return "a Teredo form", address.teredo
    return None


def check_url(url: str, allow: Iterable[IPNetwork | str] = ()) -> Target:
    """The static (pre-DNS) checks on a link; raises FetchRefused with a reason a user reads.

    Only http and https, no credentials, a host name that IDNA-encodes, not `localhost`,
    and when the host is an IP literal (in any spelling) an address `check_address` allows.
    """
    text = url.strip()
    shown = redact(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise FetchRefused(f"{shown} is not a link I can read ({error}).") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        if not scheme or "." in scheme:  # "example.com/page" or "example.com:8080/page"
            raise FetchRefused(
                f"{shown} is not a full link: it must start with http:// or https://."
            )
        raise FetchRefused(f"I only fetch http and https links, not {scheme}: links.")
    if "@" in parts.netloc:
        raise FetchRefused(
            f"{shown} has a user name or password in it; I do not fetch links with credentials."
        )
    raw_host = parts.hostname
    if not raw_host or "\\" in parts.netloc:
        raise FetchRefused(f"{shown} has no host name I can read.")
    if port == 0:
        raise FetchRefused(f"{shown} has port 0, which no web server listens on.")

    address: IPAddress | None
    if parts.netloc.startswith("["):
        address = parse_host_literal(f"[{raw_host}]")
        if address is None:
            raise FetchRefused(f"{shown} has a malformed IPv6 address.")
        host = str(address)
    else:
        host = _encode_host_name(raw_host, shown)
        address = parse_host_literal(host)
        if address is None and _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
            # Resolvers read a host that ends in a number as an address, never as a name.
            raise FetchRefused(f"{shown} has a host that is neither a name nor a valid address.")
        if address is not None:
            host = str(address)
    if address is not None:
        reason = check_address(address, allow)
        if reason is not None:
            raise FetchRefused(f"{shown} points to {address}, {reason}; {PUBLIC_ONLY}")
    elif host == "localhost" or host.endswith(".localhost"):
        raise FetchRefused(f"{shown} points to {host}, this machine; {PUBLIC_ONLY}")

    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_PATH_SAFE + "?")
    port = port or DEFAULT_PORTS[scheme]
    return Target(
        url=urlunsplit((scheme, _authority(scheme, host, port), path, query, "")),
        scheme=scheme,
        host=host,
        port=port,
        request_target=f"{path}?{query}" if query else path,
        address=address,
    )


def url_refusal(url: str, allow: Iterable[IPNetwork | str] = ()) -> str | None:
    """Why `check_url` refuses `url`, or None: a quick answer for a handler (no DNS lookup)."""
    try:
        check_url(url, allow)
    except FetchRefused as error:
        return str(error)
    return None


def _encode_host_name(raw_host: str, shown: str) -> str:
    name = unquote(raw_host).lower()
    if name.endswith("."):
        name = name[:-1]
    try:
        # The idna codec also applies nameprep, so full-width and other look-alike spellings
        # of "localhost" or of digits come out as the ASCII they stand for.
        encoded = name.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise FetchRefused(f"{shown} has a host name I cannot encode ({name!r}).") from error
    if not _HOST_NAME.fullmatch(encoded):
        raise FetchRefused(f"{shown} has a host name that is not valid ({name!r}).")
    return encoded


def redact(url: str) -> str:
    """The URL without any `user:password@`, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def resolve_with_getaddrinfo(host: str, port: int) -> list[str]:
    """Every A and AAAA address of `host`, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# ---------------------------------------------------------------------- content types


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """("text/html", "utf-8") from a Content-Type header; ("", None) when absent."""
    if not value:
        return "", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset" and param_value.strip().strip("\"'"):
            charset = param_value.strip().strip("\"'").lower()
    return media.strip().lower(), charset


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


def sniff_content_type(body: bytes) -> str:
    """The media type the first bytes show, for responses that do not declare one; "" if unclear."""
    for magic, media in _MAGIC:
        if body.startswith(magic):
            return media
    head = body[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf:rdf")):
        return "application/xhtml+xml" if b"<html" in head else "application/xml"
    if head.startswith((b"{", b"[")):
        return "application/json"
    return ""


def _looks_like_feed(body: bytes) -> bool:
    head = body[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf:rdf", b"{"))


def describe_content_type(media: str) -> str:
    """What a user would call a media type: "a PDF", "an image", "a web page"."""
    major = media.partition("/")[0]
    named = {
        "application/pdf": "a PDF",
        "application/json": "JSON data",
        "application/feed+json": "a JSON feed",
        "application/rss+xml": "an RSS feed",
        "application/atom+xml": "an Atom feed",
        "application/rdf+xml": "an RSS feed",
        "application/xml": "an XML document",
        "text/xml": "an XML document",
        "text/plain": "plain text",
        "application/octet-stream": "a binary file",
    }
    if media in named:
        return named[media]
    if media in HTML_TYPES:
        return "a web page"
    if major == "image":
        return "an image"
    if major == "video":
        return "a video"
    if major == "audio":
        return "an audio file"
    if media in ARCHIVE_TYPES:
        return "an archive"
    if media in {"application/msword", "application/rtf"} or media.startswith(DOCUMENT_PREFIXES):
        return "a document"
    return "a file of another kind"


def _refuse_type(media: str, accept: Accept) -> FetchRefused:
    kind = describe_content_type(media)
    if accept == "html":
        return FetchRefused(
            f"That link is {kind} ({media}), not a web page: paste the text instead."
        )
    return FetchRefused(
        f"That link is {kind} ({media}), not a feed: give me the address of an RSS, Atom or JSON feed."
    )


def _check_declared_type(media: str, accept: Accept) -> None:
    if accept == "html" and media not in HTML_TYPES:
        raise _refuse_type(media, accept)
    if accept == "feed" and media not in FEED_TYPES and media != "text/plain":
        raise _refuse_type(media, accept)


# ---------------------------------------------------------------------- the fetcher


@dataclass(frozen=True)
class _Exchange:
    """One open connection and its response; closing it also stops the deadline watchdog."""

    connection: HTTPConnection
    sock: socket.socket
    watchdog: _Watchdog
    response: BaseHTTPResponse

    def __enter__(self) -> _Exchange:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.watchdog.cancel()
        try:
            self.response.close()
        finally:
            self.connection.close()


class _Watchdog:
    """Shuts a socket down at the deadline, so the deadline holds even inside one read.

    A per-read socket timeout alone is not enough: a server that sends a byte just before
    each timeout keeps a buffered read (headers, a chunk) alive for as long as it likes.
    """

    def __init__(self, sock: socket.socket, delay: float) -> None:
        self.fired = threading.Event()
        self._sock = sock
        self._timer = threading.Timer(max(0.0, delay), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def _cut(self) -> None:
        self.fired.set()
        try:
            # The plain socket's shutdown, even for TLS: SSLSocket.shutdown would tear down
            # the TLS state under the reading thread's feet.
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except OSError:
            return  # already closed: the fetch finished just as the deadline struck


@dataclass(frozen=True)
class _Request:
    """What one `fetch` call asked for; the same for every hop of its redirect chain."""

    url: str
    accept: Accept
    etag: str | None
    last_modified: str | None
    deadline: float  # time.monotonic() value by which the whole fetch must be done


class Fetcher:
    """Fetches public http(s) pages and feeds under size, time and redirect caps.

    `allow_networks` (CIDR strings) is for tests only: addresses inside pass the address
    check even when loopback or private. `resolver` maps (host, port) to address strings;
    the default asks `socket.getaddrinfo`. `ca_certs` is a CA bundle file for https; the
    default is the system's trust store.
    """

    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        deadline_s: float = DEADLINE_S,
        max_redirects: int = MAX_REDIRECTS,
        allow_networks: Sequence[str] = (),
        resolver: Resolver | None = None,
        user_agent: str = USER_AGENT,
        ca_certs: str | None = None,
    ) -> None:
        self._max_bytes = max_bytes
        self._deadline_s = deadline_s
        self._max_redirects = max_redirects
        self._allow = _networks(allow_networks)
        self._resolver: Resolver = resolver or resolve_with_getaddrinfo
        self._user_agent = user_agent
        self._ca_certs = ca_certs
        self._tls: ssl.SSLContext | None = None
        self._tls_lock = threading.Lock()
        if self._allow:
            log.warning("fetch_allow_list_enabled", networks=[str(n) for n in self._allow])

    # -------------------------------------------------------------- public

    def fetch(
        self,
        url: str,
        *,
        accept: Accept = "html",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        """GET `url`, following redirects; raises FetchRefused or FetchFailed.

        With `etag` or `last_modified` (from an earlier Fetched) the request is conditional,
        and an unchanged resource comes back with `not_modified=True` and an empty body.
        """
        started = time.monotonic()
        request = _Request(url, accept, etag, last_modified, started + self._deadline_s)
        try:
            fetched = self._follow(request)
        except FetchRefused as error:
            log.info("fetch_refused", url=redact(url), reason=str(error))
            raise
        except FetchFailed as error:
            log.warning(
                "fetch_failed", url=redact(url), status=error.status,
                transient=error.transient, reason=str(error),
            )  # fmt: skip
            raise
        log.info(
            "fetched", url=fetched.url, status=fetched.status, bytes=len(fetched.body),
            ms=round((time.monotonic() - started) * 1000), redirects=len(fetched.redirects),
        )  # fmt: skip
        return fetched

    def resolve_checked(self, host: str, port: int) -> list[IPAddress]:
        """Every address `host` resolves to, once all of them pass `check_address`.

        Refuses if any one address is not allowed: a name that also points inside the
        network is not a public page, whichever address a connection would pick.
        """
        literal = parse_host_literal(host)
        if literal is not None:
            reason = check_address(literal, self._allow)
            if reason is not None:
                raise FetchRefused(f"{host} points to {literal}, {reason}; {PUBLIC_ONLY}")
            return [literal]
        try:
            found = self._resolver(host, port)
        except OSError as error:
            transient = isinstance(error, socket.gaierror) and error.errno == socket.EAI_AGAIN
            raise FetchFailed(
                f"I could not find {host}: the name does not resolve.", transient=transient
            ) from error
        if not found:
            raise FetchFailed(f"I could not find {host}: the name has no addresses.")
        addresses: list[IPAddress] = []
        for text in found:
            try:
                address = ipaddress.ip_address(text)
            except ValueError as error:
                raise FetchRefused(
                    f"{host} resolves to {text!r}, which is not an address."
                ) from error
            reason = check_address(address, self._allow)
            if reason is not None:
                raise FetchRefused(f"{host} resolves to {address}, {reason}; {PUBLIC_ONLY}")
            if address not in addresses:
                addresses.append(address)
        return addresses

    # -------------------------------------------------------------- the exchange

    def _follow(self, request: _Request) -> Fetched:
        redirects: list[str] = []
        current = request.url
        while True:
            try:
                target = check_url(current, self._allow)
                addresses = (
                    [target.address]
                    if target.address is not None
                    else self.resolve_checked(target.host, target.port)
                )
            except FetchRefused as error:
                if not redirects:
                    raise
                raise FetchRefused(
                    f"{redact(request.url)} redirects to a link I will not follow: {error}"
                ) from error
            with self._open(target, addresses, request) as exchange:
                status = exchange.response.status
                if status not in REDIRECT_STATUSES:
                    return self._finish(target, exchange, request, tuple(redirects))
                location = exchange.response.headers.get("Location", "").strip()
                if not location:
                    raise FetchFailed(
                        f"The site answered {status} but did not say where to go.", status=status
                    )
                redirects.append(target.url)
                if len(redirects) > self._max_redirects:
                    raise FetchRefused(
                        f"{redact(request.url)} redirects more than {self._max_redirects} times; I stopped following it."
                    )
                current = urljoin(target.url, location)

    def _headers(self, target: Target, request: _Request) -> dict[str, str]:
        headers = {
            "Host": target.host_header,
            "User-Agent": self._user_agent,
            "Accept": ACCEPT_HEADERS[request.accept],
            "Accept-Encoding": "gzip, deflate",
            # One request per connection: the next hop may resolve elsewhere, and a pool
            # keyed by address would outlive the check that allowed it.
            "Connection": "close",
        }
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        return headers

    def _open(self, target: Target, addresses: Sequence[IPAddress], request: _Request) -> _Exchange:
        connection, sock = self._connect(target, addresses, request.deadline)
        watchdog = _Watchdog(sock, request.deadline - time.monotonic())
        opened = False
        try:
            connection.timeout = self._remaining(target, request.deadline)
            connection.request(
                "GET", target.request_target, headers=self._headers(target, request),
                preload_content=False, decode_content=True,
            )  # fmt: skip
            connection.timeout = self._remaining(target, request.deadline)
            response = connection.getresponse()
            opened = True
        except (OSError, Urllib3Error, http.client.HTTPException) as error:
            raise self._failure(target, error, watchdog.fired.is_set()) from error
        finally:
            if not opened:
                watchdog.cancel()
                connection.close()
        return _Exchange(connection, sock, watchdog, response)

    def _connect(
        self, target: Target, addresses: Sequence[IPAddress], deadline: float
    ) -> tuple[HTTPConnection, socket.socket]:
        """A connection to the first of `addresses` that answers (all of them were checked)."""
        last_error: Exception = ConnectionError("no address to connect to")
        for address in addresses:
            connection = self._connection(target, address, self._remaining(target, deadline))
            try:
                connection.connect()
            except (OSError, Urllib3Error) as error:
                connection.close()
                if isinstance(error, ssl.SSLError):
                    raise self._failure(target, error) from error  # the next address is no better
                last_error = error
                continue
            if connection.sock is not None:
                return connection, connection.sock
        raise self._failure(target, last_error) from last_error

    def _connection(self, target: Target, address: IPAddress, timeout: float) -> HTTPConnection:
        # The checked address, not the name: urllib3 hands a numeric host to getaddrinfo,
        # which parses it without asking DNS, so nothing can rebind between check and use.
        host = str(address)
        if target.scheme == "https":
            return HTTPSConnection(
                host, target.port, timeout=timeout,
                server_hostname=target.host,  # SNI and certificate checks use the name
                cert_reqs="CERT_REQUIRED", ssl_context=self._tls_context(),
            )  # fmt: skip
        return HTTPConnection(host, target.port, timeout=timeout)

    def _tls_context(self) -> ssl.SSLContext:
        with self._tls_lock:
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=self._ca_certs)
            return self._tls

    def _finish(
        self, target: Target, exchange: _Exchange, request: _Request, redirects: tuple[str, ...]
    ) -> Fetched:
        accept = request.accept
        response = exchange.response
        status = response.status
        media, charset = parse_content_type(response.headers.get("Content-Type"))
        new_etag = response.headers.get("ETag") or None
        new_last_modified = response.headers.get("Last-Modified") or None
        if status == http.HTTPStatus.NOT_MODIFIED and (request.etag or request.last_modified):
            return Fetched(
                url=target.url, status=status, content_type=media, charset=charset, body=b"",
                etag=new_etag or request.etag,
                last_modified=new_last_modified or request.last_modified,
                not_modified=True, redirects=redirects,
            )  # fmt: skip
        if status >= 400:
            raise FetchFailed(
                f"The site answered {status} {_phrase(status, response.reason)}.",
                status=status,
                transient=status >= 500 or status == http.HTTPStatus.TOO_MANY_REQUESTS,
            )
        if not 200 <= status < 300:
            raise FetchFailed(
                f"The site answered {status} {_phrase(status, response.reason)}, which I cannot use.",
                status=status,
            )
        if media:
            # Refuse before reading: a PDF or a video need not be downloaded to say no.
            _check_declared_type(media, accept)
        self._check_length(response.headers.get("Content-Length"))
        body = self._read_body(target, exchange, request.deadline)
        if not media:
            media = sniff_content_type(body)
            if not media:
                raise FetchRefused(
                    "That link does not say what it is, and it does not look like "
                    + ("a web page." if accept == "html" else "a feed.")
                )
            _check_declared_type(media, accept)
        elif media == "text/plain" and not _looks_like_feed(body):
            raise _refuse_type(media, accept)
        return Fetched(
            url=target.url, status=status, content_type=media, charset=charset, body=body,
            etag=new_etag, last_modified=new_last_modified, not_modified=False,
            redirects=redirects,
        )  # fmt: skip

    def _check_length(self, declared: str | None) -> None:
        try:
            length = int(declared) if declared else None
        except ValueError:
            length = None  # unreadable: the streaming count still applies
        if length is not None and length > self._max_bytes:
            raise self._too_large(f" (it says {_size(length)})")

    def _read_body(self, target: Target, exchange: _Exchange, deadline: float) -> bytes:
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                # The remaining time bounds each blocking read; the watchdog bounds a server
                # that keeps every single read alive by trickling bytes.
                exchange.sock.settimeout(self._remaining(target, deadline))
                # Decoded bytes are counted, and urllib3 decompresses at most `amt` per read,
                # so a gzip bomb stops one byte past the cap.
                chunk = exchange.response.read1(min(READ_CHUNK, self._max_bytes + 1 - total))
                if not chunk:
                    break
                total += len(chunk)
                if total > self._max_bytes:
                    raise self._too_large("")
                chunks.append(chunk)
        except (OSError, Urllib3Error, http.client.HTTPException) as error:
            raise self._failure(target, error, exchange.watchdog.fired.is_set()) from error
        if exchange.watchdog.fired.is_set():
            # The watchdog cut the connection: what arrived is a truncated body.
            raise self._timeout(target)
        return b"".join(chunks)

    def _too_large(self, detail: str) -> FetchRefused:
        return FetchRefused(
            f"That link is larger than {_size(self._max_bytes)}{detail}; I only read pages up to that size."
        )

    def _remaining(self, target: Target, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout(target)
        return remaining

    def _timeout(self, target: Target) -> FetchFailed:
        return FetchFailed(
            f"{target.host} took longer than {self._deadline_s:g} s to answer; I gave up.",
            transient=True,
        )

    def _failure(self, target: Target, error: BaseException, cut: bool = False) -> FetchFailed:
        if isinstance(error, NewConnectionError) and isinstance(error.__cause__, OSError):
            error = error.__cause__  # urllib3's wrapper around the socket's own error
        if cut or isinstance(error, TimeoutError | ConnectTimeoutError | ReadTimeoutError):
            return self._timeout(target)
        if isinstance(error, DecodeError):
            return FetchFailed(f"{target.host} sent compressed content I could not decode.")
        if isinstance(error, ssl.SSLCertVerificationError):
            return FetchFailed(
                f"{target.host} has a certificate I cannot trust ({error.verify_message})."
            )
        if isinstance(error, ssl.SSLError):
            return FetchFailed(
                f"I could not set up a secure connection to {target.host}.", transient=True
            )
        return FetchFailed(
            f"The connection to {target.host} failed ({_describe_error(error)}).", transient=True
        )


def _describe_error(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


def _phrase(status: int, reason: str | None) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return reason or "an unknown status"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.3g} MB"
    if count >= 1024:
        return f"{count / 1024:.3g} kB"
    return f"{count} bytes"
