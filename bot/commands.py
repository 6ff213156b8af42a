"""Parses the text of `/news` into a command, or a friendly error with the usage. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_COMMAND_TEXT = 100_000

USAGE = """*newsbot* — tracks the deadlines and meetings the news announces.
• `/news track <url or pasted article text>` — read an article and track what it announces
• `/news deadlines [days]` — upcoming windows in this channel (default 14 days)
• `/news summary [today|week]` — the articles tracked here and their open deadlines
• `/news digest daily <HH:MM>` · `/news digest weekly <day> <HH:MM>` · `/news digest off`
• `/news feeds add <url> [--only words] [--not words]` — follow a feed (RSS, Atom, JSON Feed)
• `/news feeds list` · `/news feeds remove <url or number>`
• `/news settings tz <Area/City>` — this channel's time zone (e.g. `Europe/Paris`)
• `/news settings quiet <HH-HH>` — hours with no alerts (e.g. `20-08`)
• `/news settings autotrack on|off` — read the links people share in this channel
• `/news help` — this message"""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class TrackText:
    text: str


@dataclass(frozen=True)
class TrackUrl:
    url: str


@dataclass(frozen=True)
class Deadlines:
    days: int


@dataclass(frozen=True)
class SetZone:
    zone: str


@dataclass(frozen=True)
class SetQuiet:
    start: int
    end: int


@dataclass(frozen=True)
class Summary:
    days: int  # 1 for today, 7 for the week


@dataclass(frozen=True)
class SetDigest:
    kind: str  # daily | weekly | off
    hour: int = 0
    minute: int = 0
    weekday: int = 0


@dataclass(frozen=True)
class SetAutotrack:
    on: bool


@dataclass(frozen=True)
class AddFeed:
    url: str
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoveFeed:
    target: str  # a URL, or the number `feeds list` shows


@dataclass(frozen=True)
class ListFeeds:
    pass


@dataclass(frozen=True)
class CommandError:
    """What the user typed could not be read; `message` says why and what to type."""

    message: str


Command = (
    Help
    | TrackText
    | TrackUrl
    | Deadlines
    | SetZone
    | SetQuiet
    | Summary
    | SetDigest
    | SetAutotrack
    | AddFeed
    | RemoveFeed
    | ListFeeds
    | CommandError
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_URL = re.compile(r"^<?(https?://[^\s|>]+)(?:\|[^>]*)?>?$", re.IGNORECASE)


def parse(text: str) -> Command:
    """The command in `/news` text. Never raises: bad input becomes a CommandError."""
    text = (text or "").strip()
    if not text:
        return CommandError("Tell me what to do. " + _hint())
    if len(text) > MAX_COMMAND_TEXT:
        return CommandError(
            f"That is {len(text):,} characters; paste at most {MAX_COMMAND_TEXT:,} "
            "(one article), or give its URL."
        )
    # Any whitespace ends the verb: "/news track" then Shift+Enter and a pasted article.
    verb, *after = text.split(maxsplit=1)
    verb = verb.lower()
    rest = after[0].strip() if after else ""
    if verb in ("help", "?"):
        return Help()
    if verb == "track":
        return _track(rest)
    if verb in ("deadlines", "upcoming"):
        return _deadlines(rest)
    if verb == "settings":
        return _settings(rest)
    if verb == "summary":
        return _summary(rest)
    if verb == "digest":
        return _digest(rest)
    if verb in ("feeds", "feed"):
        return _feeds(rest)
    return CommandError(f"I don't know `{clip_word(verb)}`. " + _hint())


def clip_word(word: str) -> str:
    return word if len(word) <= 30 else word[:29] + "…"


def _hint() -> str:
    return "Try `/news help` for the list of commands."


def _track(rest: str) -> Command:
    if not rest:
        return CommandError("Give me a URL or paste the article: `/news track <url or text>`.")
    url = _URL.match(rest)
    if url:
        return TrackUrl(url.group(1))
    if len(rest.split()) < 8:
        return CommandError(
            "That is too short to be an article. Paste the article's text, or give its URL."
        )
    return TrackText(rest)


def _number(word: str) -> int | None:
    """A small count in ASCII digits. `str.isdigit` also accepts "²", which int() refuses, and
    int() of more than 4,300 digits raises."""
    return int(word) if re.fullmatch(r"[0-9]{1,6}", word) else None


def _deadlines(rest: str) -> Command:
    if not rest:
        return Deadlines(14)
    days = _number(rest.split(maxsplit=1)[0].lower().removesuffix("d"))
    if days is None or not 1 <= days <= 365:
        return CommandError("Give a number of days from 1 to 365: `/news deadlines 30`.")
    return Deadlines(days)


def _settings(rest: str) -> Command:
    what, _, value = rest.partition(" ")
    value = value.strip()
    if what.lower() == "tz":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return CommandError(
                f"`{clip_word(value) or '(nothing)'}` is not a time zone I know. "
                "Use an IANA name like `Europe/Paris` or `America/New_York`."
            )
        return SetZone(value)
    if what.lower() == "quiet":
        match = re.fullmatch(r"(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?", value)
        if match is None or not all(0 <= int(h) <= 23 for h in match.groups()):
            return CommandError(
                "Give quiet hours as `HH-HH`, for example `/news settings quiet 20-08`."
            )
        return SetQuiet(int(match.group(1)), int(match.group(2)))
    if what.lower() == "autotrack":
        if value.lower() in ("on", "off"):
            return SetAutotrack(value.lower() == "on")
        return CommandError("Use `/news settings autotrack on` or `/news settings autotrack off`.")
    return CommandError(
        "Settings are `tz <Area/City>`, `quiet <HH-HH>` and `autotrack on|off`. " + _hint()
    )


def _summary(rest: str) -> Command:
    word = rest.lower().strip()
    if word in ("", "today", "day"):
        return Summary(1)
    if word in ("week", "this week", "7"):
        return Summary(7)
    return CommandError("Use `/news summary today` or `/news summary week`.")


def _digest(rest: str) -> Command:
    words = rest.lower().split()
    usage = (
        "Use `/news digest daily 08:30`, `/news digest weekly monday 09:00` or `/news digest off`."
    )
    if words == ["off"]:
        return SetDigest("off")
    if len(words) == 2 and words[0] == "daily":
        clock = _clock(words[1])
        return SetDigest("daily", *clock) if clock else CommandError(usage)
    if len(words) == 3 and words[0] == "weekly":
        day = next((i for i, d in enumerate(_WEEKDAYS) if words[1].startswith(d)), None)
        clock = _clock(words[2])
        if day is None or clock is None:
            return CommandError(usage)
        return SetDigest("weekly", clock[0], clock[1], day)
    return CommandError(usage)


def _clock(word: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", word)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return (hour, minute) if hour < 24 and minute < 60 else None


_FEEDS_USAGE = (
    "Use `/news feeds add <url> [--only words] [--not words]`, `/news feeds list` or "
    "`/news feeds remove <url or number>`."
)


def _feeds(rest: str) -> Command:
    action, _, rest = rest.strip().partition(" ")
    action = action.lower()
    if action in ("", "list", "ls"):
        return ListFeeds() if not rest.strip() else CommandError(_FEEDS_USAGE)
    if action in ("remove", "rm", "delete", "unsubscribe"):
        target = rest.strip()
        url = _URL.match(target)
        if url:
            return RemoveFeed(url.group(1))
        number = _number(target)
        if number is not None and number >= 1:
            return RemoveFeed(str(number))
        return CommandError(
            "Say which feed: `/news feeds remove <url>` or its number in `/news feeds list`."
        )
    if action in ("add", "follow", "subscribe"):
        return _add_feed(rest)
    return CommandError(_FEEDS_USAGE)


def _add_feed(rest: str) -> Command:
    words = rest.split()
    if not words:
        return CommandError("Give the feed's address: `/news feeds add <url>`.")
    url = _URL.match(words[0])
    if url is None:
        return CommandError(
            f"`{clip_word(words[0])}` is not a web address. Give the feed's http(s) URL."
        )
    only: list[str] = []
    exclude: list[str] = []
    current: list[str] | None = None
    for word in words[1:]:
        flag = word.lower().replace("—", "--").replace("–", "--")
        if flag in ("--only", "-only"):
            current = only
        elif flag in ("--not", "-not", "--except"):
            current = exclude
        elif current is None:
            return CommandError(
                f"I don't know `{clip_word(word)}` here. Filters come after `--only` or `--not`: "
                "`/news feeds add <url> --only tariffs,trade --not sports`."
            )
        else:
            current.extend(t.strip().lower() for t in word.split(",") if t.strip())
    if len(only) + len(exclude) > 50:
        return CommandError("That is too many filter words: give at most 50.")
    return AddFeed(url.group(1), tuple(dict.fromkeys(only)), tuple(dict.fromkeys(exclude)))
