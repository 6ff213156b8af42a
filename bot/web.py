"""The web process: the Bolt app behind a production WSGI server (waitress).

`/slack/events` takes slash commands, interactions and events (verified by Slack's signature
and a 5-minute replay window, both done by Bolt). `/healthz` says the process answers (no Redis
call, so a Redis outage does not get every web process restarted), `/readyz` that it can serve
Slack now (Redis answers), `/metrics` the Prometheus metrics, `newsbot_ack_seconds` among them.
"""

from __future__ import annotations

import io
import signal
import threading
import time
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import structlog
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import request as bolt_request_module
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.dispatch import Clock, SystemClock
from bot.errors import NewsbotError
from bot.metrics import Metrics, StatusServer, status_app
from bot.request_gate import gate, read_body
from bot.store import RedisStore, StoreError
from config.settings import Settings
from handlers import alerts, commands, home, links, threads
from handlers.deps import HandlerDeps

log = structlog.get_logger(__name__)


def parse_slack_body(body: str, content_type: str | None) -> dict[str, Any]:
    """Bolt's request body parser, without its mistake: Bolt takes any form body that
    contains the word "payload" anywhere for an interaction, so a slash command whose text
    says "payload" (a pasted article about a rocket launch) came back 404. Here only a
    `payload` field makes an interaction (the gate's reading). A body that cannot be read
    parses to {}, which Bolt refuses (401 unsigned, 404 unknown) instead of failing with a
    500."""
    return read_body(body.encode("utf-8", "surrogatepass"), content_type or "") or {}


# BoltRequest reads bodies through this module attribute; see parse_slack_body.
bolt_request_module.parse_body = parse_slack_body  # type: ignore[attr-defined]


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


def request_type(body: bytes) -> str:
    """What a Slack request to /slack/events is, from its body alone (no parsing)."""
    if body.lstrip()[:1] == b"{":
        return "event"  # the Events API posts JSON
    # Forms: an interaction is one `payload` field; a slash command has a `command` field.
    # `=` inside a value is percent-encoded, so `&name=` only ever starts a field.
    if body.startswith(b"payload=") or b"&payload=" in body:
        return "interaction"
    if body.startswith(b"command=") or b"&command=" in body:
        return "command"
    return "other"


def status_endpoints(
    store: RedisStore, metrics: Metrics, draining: threading.Event | None = None
) -> WSGIApplication:
    """/healthz, /readyz and /metrics of the web process. Readiness is 503 from SIGTERM on,
    so the load balancer stops sending requests while those in flight are answered."""
    metrics.watch(store)

    def ready() -> str | None:
        if draining is not None and draining.is_set():
            return "draining"
        # The app is built before this is served, so Redis is what readiness waits on.
        try:
            store.ping()
        except StoreError:
            return "redis unreachable"
        return None

    return status_app(metrics, live=lambda: None, ready=ready)


def wsgi_app(
    app: App,
    store: RedisStore,
    metrics: Metrics | None = None,
    *,
    signing_secret: str,
    draining: threading.Event | None = None,
) -> WSGIApplication:
    # The gate refuses unsigned and malformed bodies before Bolt, which would answer some 500.
    slack = gate(SlackRequestHandler(app), signing_secret)
    metrics = metrics or Metrics()
    status = status_endpoints(store, metrics, draining)

    def slack_events(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        # waitress has buffered the body already: reading it here to tell the request type
        # costs a copy, and Bolt reads the same bytes again.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return slack(environ, start_response)
        finally:
            metrics.acked(request_type(body), time.perf_counter() - started)

    def route(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/slack/events" and environ.get("REQUEST_METHOD") == "POST":
            return slack_events(environ, start_response)
        return status(environ, start_response)

    return route


def _connect(settings: Settings) -> RedisStore:
    if not settings.redis_url:
        raise NewsbotError("REDIS_URL is not set: the web process reads and queues through Redis")
    store = RedisStore.from_url(settings.redis_url)
    store.ping()
    return store


def serve(
    settings: Settings, port: int, host: str = "0.0.0.0", metrics: Metrics | None = None
) -> int:
    """HTTP mode, or Socket Mode when SLACK_APP_TOKEN is set (no public address needed)."""
    import waitress

    store = _connect(settings)
    app = build_app(settings, store)
    metrics = metrics or Metrics()
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        status: StatusServer | None = None
        if settings.metrics_port:
            # No HTTP server of our own in Socket Mode: the status endpoints get their port.
            endpoints = status_endpoints(store, metrics)
            try:
                status = StatusServer(endpoints, settings.metrics_host, settings.metrics_port)
            except OSError as error:
                where = f"{settings.metrics_host}:{settings.metrics_port}"
                raise NewsbotError(f"cannot serve metrics on {where}: {error}") from error
            status.start()
        log.info("socket_mode_started")
        try:
            SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        except SlackApiError as error:
            # A bad or revoked app token: one line that names Slack's answer, not a traceback.
            answer = error.response.get("error", error.response.status_code)
            raise NewsbotError(f"Socket Mode could not connect: Slack answered {answer}") from None
        finally:
            if status is not None:
                status.close()
        return 0
    draining = threading.Event()
    _stop_gracefully_on_sigterm(draining, settings.shutdown_grace_s)
    log.info("web_started", port=port)
    handler = wsgi_app(
        app, store, metrics, signing_secret=settings.slack_signing_secret or "", draining=draining
    )
    waitress.serve(handler, host=host, port=port, threads=16, ident="newsbot")
    log.info("web_stopped", port=port)
    return 0


def _stop_gracefully_on_sigterm(draining: threading.Event, grace_s: float) -> None:
    """On SIGTERM, /readyz turns 503 at once and requests are still served for `grace_s`
    seconds (the time a load balancer takes to notice); then waitress's loop ends the way
    Ctrl-C ends it, answering what is in progress (up to 5 s) before the process exits."""

    def finish() -> None:
        signal.raise_signal(signal.SIGINT)  # handled in the main thread: waitress closes

    def stop(signum: int, frame: object) -> None:
        if draining.is_set():
            return
        draining.set()
        log.info("web_draining", grace_s=grace_s)
        if grace_s <= 0:
            raise SystemExit(0)
        threading.Timer(grace_s, finish).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def run_all(settings: Settings, port: int, host: str = "127.0.0.1") -> int:
    """Web and worker in one process, for a small team or a laptop (`newsbot run`)."""
    from bot.worker import run_worker

    stop = threading.Event()
    metrics = Metrics()  # one registry: the web port's /metrics shows the worker's too
    worker = threading.Thread(
        target=run_worker, args=(settings, stop, metrics), name="worker", daemon=True
    )
    worker.start()
    try:
        return serve(settings, port, host, metrics)
    finally:
        stop.set()
        worker.join(timeout=15)
