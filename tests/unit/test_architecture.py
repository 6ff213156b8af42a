"""Dependencies point one way: the pure core imports neither Slack nor Redis."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PURE_CORE = [
    "bot/model.py", "bot/calendar_math.py", "bot/temporal.py", "bot/extraction.py",
    "bot/alerts.py", "bot/sentences.py", "bot/language.py", "bot/errors.py",
]  # fmt: skip
FORBIDDEN = ("slack_bolt", "slack_sdk", "redis", "apscheduler", "handlers", "config")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pure_core_has_no_io_dependencies() -> None:
    for relative in PURE_CORE:
        for name in _imports(ROOT / relative):
            assert not name.startswith(FORBIDDEN), f"{relative} imports {name}"


# Process entry points wire handlers to services; nothing else in bot/ may know handlers.
ENTRY_POINTS = {"web.py", "cli.py", "worker.py"}


def test_bot_never_imports_handlers_outside_entry_points() -> None:
    for path in (ROOT / "bot").glob("*.py"):
        if path.name in ENTRY_POINTS:
            continue
        assert not any(n.startswith("handlers") for n in _imports(path)), path


def test_handlers_read_no_environment() -> None:
    for path in (ROOT / "handlers").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, path
