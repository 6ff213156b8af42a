"""A cheap check that a text is English, from the share of common English function words."""

from __future__ import annotations

import re

FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "will",
        "would",
        "has",
        "have",
        "had",
        "not",
        "that",
        "this",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "said",
        "says",
        "after",
        "before",
        "over",
        "under",
        "about",
        "into",
        "than",
        "then",
        "also",
        "which",
        "who",
        "what",
        "when",
        "where",
        "there",
    ]
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_WORDS_TO_JUDGE = 20
MIN_FUNCTION_SHARE = 0.12


def looks_english(text: str) -> bool:
    """False when a text of some length has too few English function words to be English."""
    words = _WORD.findall(text[:20000].lower())
    if len(words) < MIN_WORDS_TO_JUDGE:
        return True
    share = sum(word in FUNCTION_WORDS for word in words) / len(words)
    return share >= MIN_FUNCTION_SHARE
