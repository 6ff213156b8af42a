"""Splits news prose into sentences by punctuation, keeping character offsets.

Cheap on purpose: the extractor parses only the sentences that hold a time phrase, so the
whole article is never run through the statistical pipeline.
"""

from __future__ import annotations

import re

# Words that end in a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "sgt",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "no",
        "vs",
        "etc",
        "prof",
        "rev",
        "ft",
        "mt",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
        "d.c",
        "n.y",
        "l.a",
        "calif",
        "fla",
        "mass",
        "wash",
        "pa",
        "ill",
        "tex",
        "ariz",
        "colo",
        "conn",
        "del",
        "ga",
        "ky",
        "la",
        "md",
        "mich",
        "minn",
        "mo",
        "nev",
        "okla",
        "ore",
        "tenn",
        "va",
        "wis",
        "wyo",
        "adm",
        "capt",
        "cmdr",
        "maj",
        "pres",
        "supt",
        "dept",
        "univ",
        "assn",
        "bros",
        "est",
        "approx",
    ]
)
_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])|\n\s*""")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each non-blank sentence in `text`, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(0)[0] in ".!?" and _ends_with_abbreviation(text, match.start()):
            continue
        spans.append((start, match.start() + len(match.group(0).rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, dot - 12) : dot])
    if word is None:
        return False
    token = word.group(1).lower().rstrip(".")
    # A single capital letter is an initial ("John F. Kennedy").
    return token in _ABBREVIATIONS or (len(token) == 1 and word.group(1).isupper())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
