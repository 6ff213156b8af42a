"""The project's error hierarchy: every failure a user can cause or meet has a type here."""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error the project raises on purpose."""


class BadInput(NewsbotError):
    """The input cannot be processed: empty, binary, too large, not English, or malformed."""


class ModelMissing(NewsbotError):
    """The spaCy English pipeline is not installed."""


class FetchRefused(BadInput):
    """The bot will not fetch this link: wrong scheme, a non-public address, too large, not a page.

    Refusals are decided by policy before (or instead of) reading the content, so retrying
    the same link never helps.
    """


class FetchFailed(BadInput):
    """Fetching a link went wrong: the site answered an error, or the network failed.

    ``status`` is the HTTP status when the site answered one. ``transient`` marks failures
    worth retrying later (timeouts, connection errors, 5xx, 429), so a feed poller can
    back off instead of giving up.
    """

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient
