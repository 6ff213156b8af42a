"""Summaries of a Slack thread: key points, decisions, deadlines, open questions, who took
part. Pure and extractive: every line shown is a sentence someone wrote in the thread."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.blocks import (
    ACTION_TRACK,
    MAX_BLOCKS,
    SlackMessage,
    button,
    clip,
    section,
    window_phrase,
)
from bot.errors import BadInput
from bot.extraction import extract
from bot.language import FUNCTION_WORDS
from bot.model import Event
from bot.sentences import split_sentences

_DECISION = re.compile(
    r"\b(?:decided|we(?:'ll| will) go with|agreed|approved|signed off|settled on|final answer|"
    r"let's go with|we are going with|decision(?: is|:))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_MENTION = re.compile(r"<@[A-Z0-9]+>|<#[A-Z0-9]+\|?[^>]*>|<https?://[^>]+>")


@dataclass(frozen=True)
class ThreadMessage:
    user: str
    text: str
    ts: str

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(float(self.ts), UTC)


@dataclass(frozen=True)
class ThreadDeadline:
    event: Event
    message_ts: str


@dataclass(frozen=True)
class ThreadSummary:
    key_points: list[str]
    decisions: list[str]
    deadlines: list[ThreadDeadline]
    questions: list[str]
    participants: list[tuple[str, int]]
    messages: int


def _sentences(text: str) -> list[str]:
    clean = _MENTION.sub("", text)
    return [clean[s:e].strip() for s, e in split_sentences(clean) if clean[s:e].strip()]


def summarize_thread(messages: list[ThreadMessage], zone: str = "UTC") -> ThreadSummary:
    words = Counter(
        w.lower()
        for m in messages
        for w in _WORD.findall(m.text)
        if w.lower() not in FUNCTION_WORDS
    )
    scored: list[tuple[float, int, str]] = []
    decisions: list[str] = []
    questions: list[str] = []
    deadlines: list[ThreadDeadline] = []
    answered_after: dict[int, bool] = {}
    for index, message in enumerate(messages):
        for sentence in _sentences(message.text):
            tokens = [w.lower() for w in _WORD.findall(sentence) if w.lower() not in FUNCTION_WORDS]
            if len(tokens) >= 4:
                weight = sum(words[t] for t in set(tokens)) / (len(tokens) + 4)
                scored.append((weight * (1.3 if index == 0 else 1.0), index, sentence))
            if _DECISION.search(sentence):
                decisions.append(sentence)
            if sentence.endswith("?"):
                questions.append(sentence)
                answered_after[len(questions) - 1] = index < len(messages) - 3
        try:
            for event in extract(message.text, message.moment, zone):
                deadlines.append(ThreadDeadline(event, message.ts))
        except BadInput:
            continue  # a message in another language or a pasted binary: skip it
    key_points = [s for _, _, s in sorted(scored, key=lambda item: -item[0])[:5]]
    # Questions near the end of the thread are the ones still open.
    open_questions = [q for i, q in enumerate(questions) if not answered_after.get(i, False)]
    participants = Counter(m.user for m in messages if m.user).most_common()
    return ThreadSummary(
        key_points=key_points,
        decisions=decisions[-5:],
        deadlines=deadlines[:10],
        questions=open_questions[-5:],
        participants=participants,
        messages=len(messages),
    )


def summary_message(summary: ThreadSummary, tracked_ids: list[str]) -> SlackMessage:
    """The thread post. `tracked_ids[i]` is the stored event id behind deadline i (its Track
    button schedules it)."""

    def bullets(lines: list[str]) -> str:
        return "\n".join(f"• {clip(line, 400)}" for line in lines) or "_none_"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Thread summary"}},
        section(f"*Key points*\n{bullets(summary.key_points)}"),
        section(f"*Decisions*\n{bullets(summary.decisions)}"),
        section(f"*Open questions*\n{bullets(summary.questions)}"),
    ]
    if summary.deadlines:
        blocks.append(section("*Deadlines mentioned*"))
    for deadline, event_id in zip(summary.deadlines, tracked_ids, strict=False):
        event = deadline.event
        line = (
            f"*{window_phrase(event.earliest, event.latest)}* · {event.kind} · "
            f"{clip(event.what or event.trigger, 200)}"
        )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(line, 3000)},
                "accessory": button("Track", ACTION_TRACK, event_id, "primary"),
            }
        )
        if len(blocks) >= MAX_BLOCKS - 2:
            break
    people = ", ".join(f"<@{user}> ({count})" for user, count in summary.participants[:20])
    more = len(summary.participants) - 20
    people += f" and {more} more" if more > 0 else ""
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": clip(f"{summary.messages} messages · {people}", 3000)}
            ],
        }
    )
    return SlackMessage(
        text=f"Thread summary ({summary.messages} messages)", blocks=blocks[:MAX_BLOCKS]
    )
