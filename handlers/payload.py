"""Reading a Slack payload that may not have the shape Slack documents.

Bolt hands listeners the parsed body as it came: an id can be a number, an object a list, a
field missing. Handlers read through `string_at`, so a malformed request is ignored instead of
raising or storing under a key like `nb:{5}:…`.
"""

from __future__ import annotations

from typing import Any


def string_at(payload: Any, *path: str) -> str:
    """The string at `path` (e.g. "team", "id"), or "" when it or anything on the way is not."""
    node = payload
    for key in path:
        if not isinstance(node, dict):
            return ""
        node = node.get(key)
    return node if isinstance(node, str) else ""
