"""The project's error hierarchy: every failure a user can cause or meet has a type here."""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error the project raises on purpose."""


class BadInput(NewsbotError):
    """The input cannot be processed: empty, binary, too large, not English, or malformed."""


class ModelMissing(NewsbotError):
    """The spaCy English pipeline is not installed."""
