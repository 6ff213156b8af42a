"""Recognising the same story twice: canonical URLs, content fingerprints, and the same event
reported by several outlets. Pure.

- A URL's identity drops what does not change the page: tracking parameters (courlan's list),
  the fragment, `www.`, the scheme, a default port and a trailing slash.
- A text's sketch is the 64 smallest hashes of its word 4-shingles (bottom-k MinHash): two
  sketches estimate the share of shingles the texts have in common. Syndicated copies of one
  story (another headline, a credit line, a trimmed paragraph) share most of them, another
  report of the same news in its own words almost none. The 8 smallest hashes index the
  sketch: near-copies almost surely share one, so a lookup reads only a few candidates.
- Two events are the same when their windows overlap and what they say about it overlaps
  enough (content words and named entities of the sentence), with the kinds agreeing.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url, scrub_url

from bot.language import FUNCTION_WORDS
from bot.model import DateWindow

SHINGLE = 4
SKETCH_SIZE = 64
INDEX_HASHES = 8
SAME_STORY = 0.5  # estimated share of shingles in common
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)


def canonical_url(url: str) -> str:
    """The URL to store and show: tracking parameters and fragment removed, host lowercased."""
    try:
        cleaned = normalize_url(scrub_url(url), strict=False, trailing_slash=True)
    except (ValueError, AttributeError):
        cleaned = url.strip()
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """What two URLs of one page share: the canonical URL without scheme, `www.` and trailing
    slash, so http/https and www/no-www copies of a link are one article."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def _shingle_hashes(text: str) -> list[int]:
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < SHINGLE:
        words = words + [""] * (SHINGLE - len(words))
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    return [
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles
    ]


@dataclass(frozen=True)
class Sketch:
    """The smallest hashes of a text's word shingles (a bottom-k sketch): two sketches estimate
    how many shingles their texts share, whatever the texts' lengths."""

    hashes: tuple[int, ...]

    def to_text(self) -> str:
        return " ".join(f"{h:x}" for h in self.hashes)

    @classmethod
    def from_text(cls, text: str) -> Sketch:
        return cls(tuple(int(h, 16) for h in text.split()))

    def index_keys(self) -> list[str]:
        """Near-copies almost surely share one of each other's few smallest hashes."""
        return [f"{h:x}" for h in self.hashes[:INDEX_HASHES]]


def sketch(text: str) -> Sketch:
    return Sketch(tuple(heapq.nsmallest(SKETCH_SIZE, _shingle_hashes(text))))


def resemblance(a: Sketch, b: Sketch) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    union = heapq.nsmallest(SKETCH_SIZE, set(a.hashes) | set(b.hashes))
    if not union:
        return 0.0
    both = set(a.hashes) & set(b.hashes)
    return sum(1 for h in union if h in both) / len(union)


def near_duplicate(a: Sketch, b: Sketch) -> bool:
    return resemblance(a, b) >= SAME_STORY


# Words that say when or how sure, not what: they must not make two events look alike.
_NOT_TOPICAL = frozenset(
    [
        "said",
        "says",
        "say",
        "told",
        "expected",
        "expects",
        "expect",
        "will",
        "would",
        "could",
        "may",
        "might",
        "should",
        "must",
        "set",
        "plans",
        "plan",
        "planned",
        "due",
        "next",
        "coming",
        "week",
        "weeks",
        "day",
        "days",
        "month",
        "months",
        "year",
        "years",
        "today",
        "tomorrow",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "early",
        "late",
        "end",
        "start",
        "beginning",
        "mid",
        "new",
        "also",
        "officials",
        "official",
        "according",
        "matter",
        "within",
        "least",
        "until",
        "before",
        "after",
        "again",
        "more",
        "than",
        "about",
    ]
)


def _stem(word: str) -> str:
    # Enough to meet "meeting"/"meetings" and "talk"/"talks"; not a linguistic stemmer.
    for suffix in ("ings", "ing", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


# Outlets name one happening with different words: "talks", "a meeting", "will reconvene".
_CONCEPTS = {
    "~meet": "meet meeting talk talks summit reconvene convene gather gathering negotiation "
    "negotiations round session conference",
    "~vote": "vote votes voting ballot referendum election",
    "~decide": "decide decision decisions ruling rule verdict",
    "~deadline": "deadline deadlines expire expires expiry ultimatum",
    "~hearing": "hearing hearings testify testimony",
    "~launch": "launch launches release unveil",
}
_CONCEPT_OF = {word: concept for concept, words in _CONCEPTS.items() for word in words.split()}


def _name(prefix: str, name: str) -> str:
    return prefix + " ".join(_WORD.findall(name.lower())).removeprefix("the ")


def event_terms(
    sentence: str,
    what: str = "",
    people: Iterable[str] = (),
    organisations: Iterable[str] = (),
    places: Iterable[str] = (),
) -> tuple[str, ...]:
    """What an event is about: content-word stems of its sentence, a concept (`~meet`) where
    outlets use different words for one thing, and named entities: places (`g:`) anywhere in
    the sentence, people (`p:`) and organisations (`o:`) only inside what happens, since the
    ones outside are mostly who said it (the agency, the spokesperson)."""
    named: set[str] = set()
    name_words: set[str] = set()
    for prefix, names, anywhere in (("g:", places, True), ("p:", people, False),
                                    ("o:", organisations, False)):  # fmt: skip
        for name in names:
            name_words |= {w.lower() for w in _WORD.findall(name)}
            if (anywhere or name in what) and _name(prefix, name) != prefix:
                named.add(_name(prefix, name))
    words: set[str] = set()
    for word in _WORD.findall(sentence):
        lower = word.lower()
        if lower in _CONCEPT_OF:
            words.add(_CONCEPT_OF[lower])
        elif (len(lower) > 2 and lower not in FUNCTION_WORDS and lower not in _NOT_TOPICAL
              and lower not in name_words):  # fmt: skip
            words.add(_stem(lower))
    return tuple(sorted(words | named))


def index_terms(terms: Iterable[str]) -> list[str]:
    """The terms two reports of one event must share one of (see `same_event`): names and
    concepts. Events are indexed by them, so a lookup reads only events that could match."""
    return [t for t in terms if t[1:2] == ":" or t.startswith("~")]


@dataclass(frozen=True)
class EventSignature:
    kind: str
    window: DateWindow
    terms: tuple[str, ...]


def same_event(a: EventSignature, b: EventSignature) -> bool:
    """Whether two events, from two articles of one channel, are one happening: overlapping
    windows, a shared name (a place, or who is involved) and a shared word, with kinds that
    agree; or, without names, most of their words in common."""
    if a.window.latest < b.window.earliest or b.window.latest < a.window.earliest:
        return False
    terms_a, terms_b = set(a.terms), set(b.terms)
    if not terms_a or not terms_b:
        return False
    named_a = {t for t in terms_a if t[1:2] == ":"}
    named_b = {t for t in terms_b if t[1:2] == ":"}
    orgs_a = {t for t in named_a if t.startswith("o:")}
    orgs_b = {t for t in named_b if t.startswith("o:")}
    if orgs_a and orgs_b and not orgs_a & orgs_b:
        return False  # both say which body acts, and never the same one
    words_a, words_b = terms_a - named_a, terms_b - named_b
    shared_words = words_a & words_b
    concepts = {t for t in shared_words if t.startswith("~")}
    kinds_agree = a.kind == b.kind or "other" in (a.kind, b.kind) or bool(concepts)
    if kinds_agree and named_a & named_b and shared_words:
        return True
    smaller = min(len(words_a), len(words_b))
    return kinds_agree and bool(concepts) and smaller > 0 and len(shared_words) / smaller >= 0.6


def narrowest(a: DateWindow, b: DateWindow) -> DateWindow:
    """The window two reports of one event agree on: their intersection (they overlap)."""
    earliest, latest = max(a.earliest, b.earliest), min(a.latest, b.latest)
    if latest < earliest:
        return a if a.days <= b.days else b
    return DateWindow(earliest, latest)
