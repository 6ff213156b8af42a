"""The fetcher's address and URL rules, as pure functions: no packet leaves the test."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BadInput, FetchFailed, FetchRefused
from bot.fetcher import (
    Fetcher,
    check_address,
    check_url,
    parse_content_type,
    parse_host_literal,
    redact,
    sniff_content_type,
    url_refusal,
)

REFUSED_HOSTS = {
    "127.0.0.1": ("127.0.0.1", "loopback"),
    "10.1.2.3": ("10.1.2.3", "private"),
    "172.16.0.1": ("172.16.0.1", "private"),
    "172.31.255.255": ("172.31.255.255", "private"),
    "192.168.1.1": ("192.168.1.1", "private"),
    "169.254.169.254": ("169.254.169.254", "metadata"),
    "100.64.0.1": ("100.64.0.1", "shared"),
    "0.0.0.0": ("0.0.0.0", "unspecified"),
    "224.0.0.1": ("224.0.0.1", "multicast"),
    "255.255.255.255": ("255.255.255.255", "broadcast"),
    "240.0.0.1": ("240.0.0.1", "reserved"),
    "192.0.2.7": ("192.0.2.7", "documentation"),
    "198.18.0.1": ("198.18.0.1", "benchmarking"),
    "[::1]": ("::1", "loopback"),
    "[::]": ("::", "unspecified"),
    "[fe80::1]": ("fe80::1", "link-local"),
    "[fc00::1]": ("fc00::1", "private"),
    "[ff02::1]": ("ff02::1", "multicast"),
    "[2001:db8::1]": ("2001:db8::1", "documentation"),
    "[::ffff:127.0.0.1]": ("::ffff:7f00:1", "IPv4-mapped form of 127.0.0.1, a loopback"),
    "[::ffff:7f00:1]": ("::ffff:7f00:1", "IPv4-mapped form of 127.0.0.1, a loopback"),
    "[::ffff:10.0.0.1]": ("::ffff:a00:1", "IPv4-mapped form of 10.0.0.1, a private"),
    "[::127.0.0.1]": ("::7f00:1", "IPv4-compatible form of 127.0.0.1"),
    "[2002:7f00:1::]": ("2002:7f00:1::", "6to4 form of 127.0.0.1, a loopback"),
    "[64:ff9b::a00:1]": ("64:ff9b::a00:1", "NAT64 form of 10.0.0.1, a private"),
    # Teredo: server 65.54.227.120, client 192.168.1.1 (stored inverted: 3f57:fefe).
    "[2001:0:4136:e378:8000:63bf:3f57:fefe]": (
        "2001:0:4136:e378:8000:63bf:3f57:fefe",
        "Teredo form",
    ),
    "2130706433": ("127.0.0.1", "loopback"),
    "3232235777": ("192.168.1.1", "private"),
    "0177.0.0.1": ("127.0.0.1", "loopback"),
    "0300.0250.0.1": ("192.168.0.1", "private"),
    "0x7f000001": ("127.0.0.1", "loopback"),
    "0x7f.1": ("127.0.0.1", "loopback"),
    "0x7F.0x0.0x0.0x1": ("127.0.0.1", "loopback"),
    "127.1": ("127.0.0.1", "loopback"),
    "10.1": ("10.0.0.1", "private"),
    "127.0.0.1.": ("127.0.0.1", "loopback"),
    "%31%32%37.0.0.1": ("127.0.0.1", "loopback"),
    "１２７.０.０.１": ("127.0.0.1", "loopback"),  # full-width digits, mapped by nameprep
}


@pytest.mark.parametrize("host", list(REFUSED_HOSTS))
def test_a_non_public_address_is_refused_under_every_spelling(host: str) -> None:
    address, reason = REFUSED_HOSTS[host]
    url = f"http://{host}/story"
    with pytest.raises(FetchRefused) as refused:
        check_url(url)
    message = str(refused.value)
    assert message.startswith(f"{url} points to {address}, ")
    assert reason in message
    assert message.endswith("I only fetch public web pages.")
    assert url_refusal(url) == message


def test_the_refusal_names_the_real_address() -> None:
    assert url_refusal("http://2130706433/") == (
        "http://2130706433/ points to 127.0.0.1, a loopback address; I only fetch public web pages."
    )


@pytest.mark.parametrize(
    "host", ["localhost", "localhost.", "LOCALHOST", "foo.localhost", "a.b.localhost.",
             "%6c%6fcalhost", "ｌｏｃａｌｈｏｓｔ"],
)  # fmt: skip
def test_localhost_is_refused_by_name(host: str) -> None:
    assert "this machine" in (url_refusal(f"http://{host}:8080/") or "")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/a", "javascript:alert(1)",
     "data:text/html,<h1>hi</h1>", "gopher://example.com/", "FILE:///etc/passwd"],
)  # fmt: skip
def test_only_http_and_https_are_fetched(url: str) -> None:
    scheme = url.split(":", 1)[0].lower()
    assert url_refusal(url) == f"I only fetch http and https links, not {scheme}: links."


@pytest.mark.parametrize(
    "url", ["http://user:pass@example.com/", "https://user@example.com/", "http://:@example.com/"]
)
def test_credentials_in_a_link_are_refused_and_never_repeated(url: str) -> None:
    refusal = url_refusal(url) or ""
    assert "user name or password" in refusal
    assert "pass" not in refusal.replace("password", "")


@pytest.mark.parametrize(
    "url",
    ["example.com/page", "http:///path", "http://a..b/", "http://exa mple.com/",
     "http://1.2.3.4.5/", "http://256.1.1.1/", "http://example.com:99999/",
     "http://[::1/", "http://[not-an-address]/", "http://evil.com\\@127.0.0.1/"],
)  # fmt: skip
def test_malformed_links_are_refused(url: str) -> None:
    assert url_refusal(url) is not None


@pytest.mark.parametrize(
    ("url", "normalised", "host"),
    [
        ("http://93.184.216.34/", "http://93.184.216.34/", "93.184.216.34"),
        ("https://8.8.8.8:8443/x?y=1#frag", "https://8.8.8.8:8443/x?y=1", "8.8.8.8"),
        ("http://[2606:4700::1111]/", "http://[2606:4700::1111]/", "2606:4700::1111"),
        ("HTTP://News.Example.COM./a b", "http://news.example.com/a%20b", "news.example.com"),
        (
            "https://bücher.example/ü",
            "https://xn--bcher-kva.example/%C3%BC",
            "xn--bcher-kva.example",
        ),
        ("http://[2002:808:808::1]/", "http://[2002:808:808::1]/", "2002:808:808::1"),
        ("http://[64:ff9b::808:808]/", "http://[64:ff9b::808:808]/", "64:ff9b::808:808"),
    ],
)
def test_public_links_pass_and_are_normalised(url: str, normalised: str, host: str) -> None:
    target = check_url(url)
    assert (target.url, target.host) == (normalised, host)


def test_a_target_knows_its_host_header_and_request_line() -> None:
    target = check_url("https://news.example.com:8443/a/b?c=d#e")
    assert target.host_header == "news.example.com:8443"
    assert target.request_target == "/a/b?c=d"
    assert check_url("http://[2606:4700::1111]:81/").host_header == "[2606:4700::1111]:81"
    assert check_url("https://news.example.com/").host_header == "news.example.com"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"), ("10.1", "10.0.0.1"), ("0", "0.0.0.0"), ("0x", "0.0.0.0"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"), ("::1", "::1"), ("93.184.216.34.", "93.184.216.34"),
        ("example.com", None), ("08.0.0.1", None), ("1.2.3.4.5", None), ("256.0.0.1", None),
        ("0x1.0x100.0.0", None), ("[127.0.0.1]", None), ("", None), ("1.2.3.4 foo", None),
    ],
)  # fmt: skip
def test_parse_host_literal(host: str, expected: str | None) -> None:
    parsed = parse_host_literal(host)
    assert (None if parsed is None else str(parsed)) == expected


@pytest.mark.parametrize(
    "host", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "10.1", "0300.0250.0.1"]
)
def test_parse_host_literal_agrees_with_inet_aton(host: str) -> None:
    assert parse_host_literal(host) == ipaddress.IPv4Address(socket.inet_aton(host))


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "2002:808:808::1"])
def test_public_addresses_are_allowed(ip: str) -> None:
    assert check_address(ip) is None


def test_the_allow_list_lets_a_test_network_through_and_nothing_else() -> None:
    assert check_address("127.0.0.1", ["127.0.0.1/32"]) is None
    assert check_address("127.0.0.2", ["127.0.0.1/32"]) == "a loopback address"
    assert check_address("::ffff:127.0.0.1", ["127.0.0.1/32"]) is None
    assert check_address("10.0.0.1", [ipaddress.ip_network("10.0.0.0/8")]) is None
    assert url_refusal("http://127.0.0.1:8000/", ["127.0.0.1/32"]) is None


# ---------------------------------------------------------------------- resolution


def _stub(table: dict[str, list[str]]) -> Fetcher:
    def resolver(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return Fetcher(resolver=resolver)


RESOLVER = _stub(
    {
        "news.example.com": ["127.0.0.1"],
        "mixed.example.com": ["93.184.216.34", "10.0.0.5"],
        "ok.example.com": ["93.184.216.34", "2606:2800:220:1::248", "93.184.216.34"],
        "metadata.example.com": ["169.254.169.254"],
        "mapped.example.com": ["::ffff:192.168.0.1"],
        "empty.example.com": [],
    }
)


def test_a_name_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(
        FetchRefused, match=r"news\.example\.com resolves to 127\.0\.0\.1, a loopback"
    ):
        RESOLVER.resolve_checked("news.example.com", 80)


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(FetchRefused, match=r"resolves to 10\.0\.0\.5, a private address"):
        RESOLVER.resolve_checked("mixed.example.com", 443)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("metadata.example.com", "cloud metadata"),
        ("mapped.example.com", "IPv4-mapped form of 192.168.0.1"),
    ],
)
def test_resolved_addresses_get_the_same_rules(host: str, reason: str) -> None:
    with pytest.raises(FetchRefused, match=reason):
        RESOLVER.resolve_checked(host, 80)


def test_public_names_resolve_to_every_checked_address_once() -> None:
    assert RESOLVER.resolve_checked("ok.example.com", 80) == [
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:2800:220:1::248"),
    ]


def test_names_that_do_not_resolve_fail_without_a_refusal() -> None:
    for host in ("missing.example.com", "empty.example.com"):
        with pytest.raises(FetchFailed, match="I could not find") as failed:
            RESOLVER.resolve_checked(host, 80)
        assert not failed.value.transient


def test_fetch_errors_are_bad_input() -> None:
    assert issubclass(FetchRefused, BadInput) and issubclass(FetchFailed, BadInput)
    assert FetchFailed("x", status=503, transient=True).status == 503


# ---------------------------------------------------------------------- properties

NON_PUBLIC_V4 = [
    ipaddress.IPv4Network(cidr)
    for cidr in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
]


@st.composite
def non_public_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(NON_PUBLIC_V4))
    offset = draw(st.integers(min_value=0, max_value=network.num_addresses - 1))
    return network.network_address + offset


def _spellings(address: ipaddress.IPv4Address) -> list[str]:
    octets = address.packed
    return [
        str(int(address)),
        ".".join(f"0{octet:o}" for octet in octets),
        f"0x{int(address):x}",
        f"[::ffff:{address}]",
        f"[::ffff:{int(address) >> 16:x}:{int(address) & 0xFFFF:x}]",
    ]


@given(non_public_ipv4())
def test_any_non_public_ipv4_is_refused_whatever_its_spelling(
    address: ipaddress.IPv4Address,
) -> None:
    for spelling in _spellings(address):
        refusal = url_refusal(f"http://{spelling}/")
        assert refusal is not None, spelling
        assert f", {address}, " in refusal or f" {address}, " in refusal


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_decimal_spelling_always_parses_to_the_same_address(value: int) -> None:
    assert parse_host_literal(str(value)) == ipaddress.IPv4Address(value)


# ---------------------------------------------------------------------- content types


def test_content_type_parsing_and_sniffing() -> None:
    assert parse_content_type('Text/HTML; Charset="UTF-8"') == ("text/html", "utf-8")
    assert parse_content_type(None) == ("", None)
    assert sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_content_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff_content_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_content_type(b"GIF89a...") == "image/gif"
    assert sniff_content_type(b"\xef\xbb\xbf  <!DOCTYPE html><html>") == "text/html"
    assert sniff_content_type(b'<?xml version="1.0"?><rss>') == "application/xml"
    assert sniff_content_type(b"plain words") == ""


def test_redact_hides_credentials_only() -> None:
    assert redact("http://u:secret@example.com/a") == "http://***@example.com/a"
    assert redact("http://example.com/a") == "http://example.com/a"
