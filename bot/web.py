"""The web process: the Bolt app behind a production WSGI server (waitress).

`/slack/events` takes slash commands, interactions and events (verified by Slack's signature
and a 5-minute replay window, both done by Bolt); `/healthz` answers whether Redis does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import structlog
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.dispatch import Clock, SystemClock
from bot.errors import NewsbotError
from bot.store import RedisStore, StoreError
from config.settings import Settings
from handlers import alerts, commands, home, links, threads
from handlers.deps import HandlerDeps

log = structlog.get_logger(__name__)


def build_app(settings: Settings, store: RedisStore, clock: Clock | None = None) -> App:
    if not settings.slack_bot_token or not settings.slack_signing_secret:
        raise NewsbotError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET must both be set")
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,
        token_verification_enabled=False,
    )
    deps = HandlerDeps(
        store=store, clock=clock or SystemClock(), default_zone=settings.default_zone,
        fetch_allow_networks=settings.fetch_allow_networks,
    )  # fmt: skip

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("handler_failed", exc_info=error, type=body.get("type"))

    commands.register(app, deps)
    alerts.register(app, deps)
    threads.register(app, deps)
    home.register(app, deps)
    links.register(app, deps)
    return app


def wsgi_app(app: App, store: RedisStore) -> WSGIApplication:
    slack = SlackRequestHandler(app)

    def route(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/slack/events" and environ.get("REQUEST_METHOD") == "POST":
            return slack(environ, start_response)
        if path == "/healthz":
            try:
                store.ping()
            except StoreError:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"redis unreachable\n"]
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return route


def _connect(settings: Settings) -> RedisStore:
    if not settings.redis_url:
        raise NewsbotError("REDIS_URL is not set: the web process reads and queues through Redis")
    store = RedisStore.from_url(settings.redis_url)
    store.ping()
    return store


def serve(settings: Settings, port: int, host: str = "0.0.0.0") -> int:
    """HTTP mode, or Socket Mode when SLACK_APP_TOKEN is set (no public address needed)."""
    import waitress

    store = _connect(settings)
    app = build_app(settings, store)
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("socket_mode_started")
        SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        return 0
    log.info("web_started", port=port)
    waitress.serve(wsgi_app(app, store), host=host, port=port, threads=16, ident="newsbot")
    return 0


def run_all(settings: Settings, port: int, host: str = "127.0.0.1") -> int:
    """Web and worker in one process, for a small team or a laptop (`newsbot run`)."""
    import threading

    from bot.worker import run_worker

    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(settings, stop), name="worker", daemon=True)
    worker.start()
    try:
        return serve(settings, port, host)
    finally:
        stop.set()
        worker.join(timeout=15)
