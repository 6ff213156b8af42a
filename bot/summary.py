"""Extractive, news-aware summaries: whole sentences from the text, the lead first. Pure."""

from __future__ import annotations

import re
from collections import Counter

from bot.language import FUNCTION_WORDS
from bot.sentences import split_sentences

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_STOP = FUNCTION_WORDS
_DATELINE = re.compile(r"^[A-Z][A-Z .,'()-]{2,60}\s[—–-]\s")


def summarize(text: str, bullets: int = 3) -> list[str]:
    """Up to `bullets` sentences of `text`, in their order: the lead, then the sentences whose
    words recur most across the article, earlier ones preferred."""
    spans = split_sentences(text)
    sentences = [text[s:e].strip() for s, e in spans]
    sentences = [s for s in sentences if len(s.split()) >= 5]
    if len(sentences) <= bullets:
        return [_clean(s) for s in sentences]
    counts = Counter(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP)

    def score(index: int) -> float:
        words = [w.lower() for w in _WORD.findall(sentences[index]) if w.lower() not in _STOP]
        weight = sum(counts[w] for w in set(words)) / (len(words) + 5)
        return weight / (1 + 0.15 * index)

    chosen = {0} | set(sorted(range(1, len(sentences)), key=score, reverse=True)[: bullets - 1])
    return [_clean(sentences[i]) for i in sorted(chosen)]


def _clean(sentence: str) -> str:
    sentence = _DATELINE.sub("", sentence)
    return sentence if len(sentence) <= 300 else sentence[:299].rsplit(" ", 1)[0] + "…"


def title_of(text: str) -> str:
    """The first line when it reads like a headline, else the start of the first sentence."""
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if 3 <= len(first_line.split()) <= 20 and not first_line.endswith("."):
        return first_line[:150]
    words = first_line.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
