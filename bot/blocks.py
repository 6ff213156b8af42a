"""Block Kit builders for the alerts the bot posts in an article's thread. Pure.

Every builder keeps within Slack's limits: at most 50 blocks, 3,000 characters a section,
75 characters a button label, 2,000 characters a button value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.reminders import ArticleRecord, Reminder, TrackedEvent

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_BUTTON_TEXT = 75
MAX_TEXT_CHARS = 4000
METADATA_EVENT_TYPE = "newsbot_reminder"

ACTION_DONE = "event_done"
ACTION_SNOOZE_1D = "event_snooze_1d"
ACTION_SNOOZE_3D = "event_snooze_3d"
ACTION_NOT_RELEVANT = "event_not_relevant"
ACTION_OPEN_ARTICLE = "open_article"


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for chat.postMessage: fallback text, blocks and metadata."""

    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day_label(day: date, *, year: bool = False, weekday: bool = True) -> str:
    """'Mon 21 Apr' (no leading zero on the day), optionally with the year."""
    label = f"{day.day} {day:%b}"
    if weekday:
        label = f"{day:%a} {label}"
    return f"{label} {day.year}" if year else label


def window_phrase(earliest: date, latest: date) -> str:
    if earliest == latest:
        return day_label(earliest, year=True)
    if earliest.year == latest.year:
        return f"{day_label(earliest)} – {day_label(latest, year=True)}"
    return f"{day_label(earliest, year=True)} – {day_label(latest, year=True)}"


def _closed_phrase(latest: date, today: date) -> str:
    if latest == today - timedelta(days=1):
        return "closed yesterday"
    if latest >= today:
        return "closes today"
    return f"closed on {day_label(latest)}"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT)},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        button["style"] = style
    return button


def alert_buttons(event: TrackedEvent, article: ArticleRecord) -> dict[str, Any]:
    elements = [
        button("Done", ACTION_DONE, event.id, "primary"),
        button("Snooze 1 day", ACTION_SNOOZE_1D, event.id),
        button("Snooze 3 days", ACTION_SNOOZE_3D, event.id),
        button("Not relevant", ACTION_NOT_RELEVANT, event.id),
    ]
    if article.url:
        open_article = button("Open article", ACTION_OPEN_ARTICLE, event.id)
        open_article["url"] = article.url[:3000]
        elements.append(open_article)
    return {"type": "actions", "block_id": f"alert:{event.id}"[:255], "elements": elements}


def alert_message(
    reminder: Reminder,
    event: TrackedEvent,
    article: ArticleRecord,
    now: datetime,
    channel_zone: str,
    *,
    also_reported: list[ArticleRecord] | None = None,
) -> SlackMessage:
    """The thread post for one reminder: heads-up, one hour before, or follow-up. An event
    other outlets reported too lists them, linked."""
    zone = ZoneInfo(channel_zone)
    today = now.astimezone(zone).date()
    what = clip(event.what or event.trigger, 300)
    published = day_label(article.published.date(), weekday=False)
    quoted = f"“{clip(event.trigger, 120)}”, {published}"
    hedge = ""
    window = window_phrase(event.window.earliest, event.window.latest)
    if reminder.kind == "heads_up":
        opens = "opens today" if event.window.earliest >= today else "is open"
        headline = f":alarm_clock: The window for *{what}*{hedge} {opens}."
        detail = f"Expected {window} ({quoted})."
    elif reminder.kind == "before_time":
        at = f"{event.clock} {event.zone or ''}".strip()
        headline = f":hourglass_flowing_sand: In one hour ({at}): *{what}*{hedge}."
        detail = f"Expected {window} ({quoted})."
    else:
        closed = _closed_phrase(event.window.latest, today)
        headline = f":mag: The window for *{what}*{hedge} ({quoted}) {closed}: did it happen?"
        detail = f"The article expected it {window}."
    if event.conditional:
        detail += " The article gave it as possible, not certain."
    if reminder.late:
        local_due = reminder.due.astimezone(zone)
        due = f"{day_label(local_due.date())} {local_due:%H:%M %Z}"
        detail += f" _Late: this was due {due}; the bot was not running then._"
    blocks = [
        section(f"{headline}\n{detail}"),
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": clip(_from_line(article, also_reported), 2000)}
            ],
        },
        alert_buttons(event, article),
    ]
    return SlackMessage(
        text=clip(f"{headline} {detail}".replace("*", ""), MAX_TEXT_CHARS),
        blocks=blocks[:MAX_BLOCKS],
        metadata={
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {
                "reminder_id": reminder.id,
                "event_id": event.id,
                "generation": reminder.generation or int(reminder.due.timestamp()),
            },
        },
    )


def _from_line(article: ArticleRecord, also: list[ArticleRecord] | None) -> str:
    line = f"From: {article.title}"
    if also:
        names = [_linked(other.title, other.url) for other in also[:10]]
        more = f" and {len(also) - 10} more" if len(also) > 10 else ""
        line += f" · Also reported in: {'; '.join(names)}{more}"
    return line


def _linked(title: str, url: str | None) -> str:
    title = clip(title, 120).replace("<", "‹").replace(">", "›").replace("|", "¦")
    return f"<{url}|{title}>" if url else title


ACTION_TRACK = "event_track"
ACTION_IGNORE = "event_ignore"


def _event_line(event: TrackedEvent) -> str:
    hedge = " _(possible)_" if event.conditional else ""
    at = f" at {event.clock} {event.zone or ''}".rstrip() if event.clock else ""
    window = window_phrase(event.window.earliest, event.window.latest)
    return f"*{window}*{at} · {event.kind} · {clip(event.what or event.trigger, 200)}{hedge}"


def article_message(
    title: str,
    bullets: list[str],
    events: list[TrackedEvent],
    date_note: str = "",
    *,
    url: str | None = None,
    site: str | None = None,
    already_tracked: list[TrackedEvent] | None = None,
) -> SlackMessage:
    """The channel post for a tracked article: headline, summary, and each event it announced
    with Track / Ignore buttons; events another report already announced are listed as such.
    Long lists stay within 50 blocks."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title or "Article", 150)}},
    ]
    if url:
        source = _linked(site or url, url)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": source}]})
    if bullets:
        blocks.append(section("\n".join(f"• {clip(b, 900)}" for b in bullets)))
    if date_note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": date_note}]})
    if already_tracked:
        lines = [f"• {_event_line(e)}" for e in already_tracked[:10]]
        blocks.append(
            section(clip("*Already tracked here from another report:*\n" + "\n".join(lines), 3000))
        )
    if events:
        blocks.append(section(f"*{len(events)} thing(s) to come back to* (tracked):"))
    elif not already_tracked:
        blocks.append(section("No forward-looking deadline or meeting found in this article."))
    room = MAX_BLOCKS - len(blocks) - 1
    for event in events[: room // 2]:
        blocks.append(section(_event_line(event)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"track:{event.id}"[:255],
                "elements": [
                    button("Track", ACTION_TRACK, event.id, "primary"),
                    button("Ignore", ACTION_IGNORE, event.id),
                ],
            }
        )
    hidden = len(events) - room // 2
    if hidden > 0:
        blocks.append(section(f"…and {hidden} more; all are tracked."))
    text = clip(f"{title}: {len(events)} upcoming item(s) tracked", MAX_TEXT_CHARS)
    return SlackMessage(text=text, blocks=blocks[:MAX_BLOCKS])


def deadlines_message(
    rows: list[tuple[TrackedEvent, ArticleRecord, str]], days: int, zone: str
) -> SlackMessage:
    """Upcoming windows grouped by the day they open, each linking to its source thread.
    `rows` carry the thread permalink (or "")."""
    if not rows:
        text = f"No tracked deadlines or meetings in the next {days} days in this channel."
        return SlackMessage(text=text, blocks=[section(text)])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Next {days} days"}},
    ]
    current = None
    lines: list[str] = []

    def flush() -> None:
        if current is not None and lines:
            blocks.append(section(f"*{day_label(current)}*\n" + "\n".join(lines)))

    for event, article, link in rows:
        if event.window.earliest != current:
            flush()
            current, lines = event.window.earliest, []
        source = f"<{link}|{clip(article.title, 80)}>" if link else clip(article.title, 80)
        lines.append(f"• {_event_line(event)} — {source}")
        if len(blocks) >= MAX_BLOCKS - 2:
            break
    flush()
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Times in {zone}."}]}
    )
    return SlackMessage(
        text=f"{len(rows)} upcoming item(s) in the next {days} days", blocks=blocks[:MAX_BLOCKS]
    )


MAX_HOME_BLOCKS = 100


def home_view(
    rows: list[tuple[TrackedEvent, ArticleRecord]], today: date, zone: str
) -> dict[str, Any]:
    """The App Home tab: upcoming windows in the user's channels, the next seven days first."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Upcoming deadlines"}},
    ]
    week = [(e, a) for e, a in rows if e.window.earliest <= today + timedelta(days=7)]
    later = [(e, a) for e, a in rows if e.window.earliest > today + timedelta(days=7)]
    for title, group in (("Next 7 days", week), ("Later", later)):
        if not group:
            continue
        blocks.append(section(f"*{title}*"))
        for event, article in group:
            if len(blocks) >= MAX_HOME_BLOCKS - 2:
                break
            blocks.append(
                section(f"{_event_line(event)}\n<#{article.channel}> · {clip(article.title, 100)}")
            )
    if len(blocks) == 1:
        blocks.append(
            section("Nothing coming up in your channels. Track an article with `/news track`.")
        )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Times in {zone}."}]}
    )
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def channel_summary_message(
    articles: list[ArticleRecord], upcoming: list[tuple[TrackedEvent, ArticleRecord]], days: int
) -> SlackMessage:
    """`/news summary`: the period's articles, each with its lead line and open deadlines."""
    period = "today" if days == 1 else f"the last {days} days"
    if not articles:
        text = f"No articles tracked in this channel {period}."
        return SlackMessage(text=text, blocks=[section(text)])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Tracked here, {period}"}},
    ]
    by_article: dict[str, list[TrackedEvent]] = {}
    for event, article in upcoming:
        by_article.setdefault(article.id, []).append(event)
    for article in articles[: MAX_BLOCKS - 2]:
        lines = [f"*{clip(article.title, 150)}*", clip(article.lead, 300)]
        lines += [f"• {_event_line(event)}" for event in by_article.get(article.id, [])[:5]]
        blocks.append(section("\n".join(line for line in lines if line)))
    return SlackMessage(
        text=f"{len(articles)} article(s) tracked {period}", blocks=blocks[:MAX_BLOCKS]
    )
