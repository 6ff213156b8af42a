"""Structured JSON logging to stderr, set up once by each process entry point.

Every line is one JSON object, ours (structlog) and the libraries' (Bolt, slack_sdk, waitress,
APScheduler through the standard logging module) alike; an exception travels in its
`exception` field with the whole traceback. Slack tokens are masked in every value, whoever
logs them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_TOKEN = re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+")


def _mask(text: str) -> str:
    return _TOKEN.sub(lambda m: f"{m.group(1)}-***", text)


def redact_tokens(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask anything shaped like a Slack token in every string value of a log line."""
    for key, value in event.items():
        if isinstance(value, str) and ("xox" in value or "xapp" in value):
            event[key] = _mask(value)
    return event


def configure_logging(level: str = "INFO") -> None:
    """Our lines and the libraries' go through one stdlib handler, so lines written by several
    threads at once never run into each other."""
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            stamp,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name, stamp],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_tokens,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # APScheduler logs every run of every interval job at INFO: once a second per worker.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
