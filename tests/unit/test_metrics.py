"""The metrics of one process and its status endpoints, without Redis or Slack: what a scrape
shows after posts, jobs and extractions, and what the probes answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from wsgiref.types import WSGIApplication
from wsgiref.util import setup_testing_defaults

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import BadInput
from bot.metrics import LATE_AFTER_SECONDS, Metrics, status_app
from bot.model import Event
from bot.web import request_type
from config.settings import Settings

DUE = datetime(2025, 4, 18, 9, 0, tzinfo=UTC)


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def call(app: WSGIApplication, path: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, object] = {"PATH_INFO": path, "wsgi.input": BytesIO()}
    setup_testing_defaults(environ)  # type: ignore[arg-type]
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc: object = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


def test_each_process_has_its_own_registry() -> None:
    web, worker = Metrics(), Metrics()  # no clash of names, as in `newsbot run` or a test run
    worker.reminder_posted("heads_up", DUE, DUE + timedelta(seconds=3))
    assert value(worker, "newsbot_reminders_posted_total", kind="heads_up") == 1
    assert value(web, "newsbot_reminders_posted_total", kind="heads_up") == 0


def test_a_post_records_its_kind_its_lateness_and_whether_it_was_late() -> None:
    metrics = Metrics()
    metrics.reminder_posted("heads_up", DUE, DUE + timedelta(seconds=2))
    metrics.reminder_posted("follow_up", DUE, DUE + timedelta(seconds=LATE_AFTER_SECONDS + 30))
    metrics.reminder_posted("heads_up", DUE, DUE - timedelta(seconds=1))  # a clock skew: 0
    assert value(metrics, "newsbot_reminders_posted_total", kind="heads_up") == 2
    assert value(metrics, "newsbot_reminders_posted_total", kind="follow_up") == 1
    assert value(metrics, "newsbot_reminder_lateness_seconds_count") == 3
    assert value(metrics, "newsbot_reminder_lateness_seconds_sum") == 2 + LATE_AFTER_SECONDS + 30
    assert value(metrics, "newsbot_reminder_lateness_seconds_bucket", le="2.0") == 2
    assert value(metrics, "newsbot_reminders_late_total") == 1


def test_other_outcomes_have_their_own_counters() -> None:
    metrics = Metrics()
    for outcome in ("failed", "retried", "retried", "recovered", "skipped", "cancelled"):
        metrics.reminder_finished(outcome)
    assert value(metrics, "newsbot_reminders_failed_total") == 1
    assert value(metrics, "newsbot_reminders_retried_total") == 2
    assert value(metrics, "newsbot_reminders_recovered_total") == 1
    assert value(metrics, "newsbot_reminders_skipped_total") == 1


def test_job_labels_stay_bounded() -> None:
    metrics = Metrics()
    metrics.job_finished("track_text", "tracked", 0.4)
    metrics.job_finished("made-up type from the stream", "unknown", 0.001)
    assert value(metrics, "newsbot_jobs_total", kind="track_text", outcome="tracked") == 1
    assert value(metrics, "newsbot_jobs_total", kind="other", outcome="unknown") == 1
    assert value(metrics, "newsbot_job_seconds_count", kind="track_text") == 1


def test_timed_extraction_counts_articles_and_times_refusals_too() -> None:
    metrics = Metrics()

    def extract(text: str, published: date | datetime, zone: str | None = None) -> list[Event]:
        if not text:
            raise BadInput("empty")
        return []

    timed = metrics.timed_extract(extract)
    assert timed("An article.", DUE, "UTC") == []
    with pytest.raises(BadInput):
        timed("", DUE, None)
    assert value(metrics, "newsbot_articles_extracted_total") == 1
    assert value(metrics, "newsbot_extraction_seconds_count") == 2


def test_a_broken_metric_never_breaks_the_caller() -> None:
    metrics = Metrics()

    class Broken:
        def labels(self, **labels: str) -> Broken:
            raise RuntimeError("metrics backend broke")

    metrics.reminders_posted = Broken()  # type: ignore[assignment]
    metrics.ack_seconds = Broken()  # type: ignore[assignment]
    metrics.reminder_posted("heads_up", DUE, DUE)  # does not raise
    metrics.acked("command", 0.01)


def test_status_endpoints_answer_liveness_readiness_and_metrics() -> None:
    metrics = Metrics()
    metrics.acked("command", 0.004)
    state: dict[str, str | None] = {"live": None, "ready": None}
    app = status_app(metrics, live=lambda: state["live"], ready=lambda: state["ready"])
    assert call(app, "/healthz")[::2] == ("200 OK", b"ok\n")
    assert call(app, "/readyz")[::2] == ("200 OK", b"ok\n")
    state["ready"] = "redis unreachable"
    assert call(app, "/healthz")[0] == "200 OK"
    assert call(app, "/readyz")[::2] == ("503 Service Unavailable", b"redis unreachable\n")
    state["live"] = "scheduler stopped"
    assert call(app, "/healthz")[::2] == ("503 Service Unavailable", b"scheduler stopped\n")
    status, headers, body = call(app, "/metrics")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    [count] = [s for s in families["newsbot_ack_seconds"].samples if s.name.endswith("_count")]
    assert count.labels == {"type": "command"} and count.value == 1
    assert call(app, "/nothing")[0] == "404 Not Found"


def test_a_probe_that_crashes_answers_503() -> None:
    def crash() -> str | None:
        raise RuntimeError("boom")

    app = status_app(Metrics(), live=lambda: None, ready=crash)
    assert call(app, "/readyz")[::2] == ("503 Service Unavailable", b"probe failed\n")


def test_every_metric_is_exposed_with_its_prefix_and_type() -> None:
    body = Metrics().exposition().decode()
    types = {f.name: f.type for f in text_string_to_metric_families(body)}
    expected = {
        "newsbot_reminders_posted": "counter",
        "newsbot_reminders_failed": "counter",
        "newsbot_reminders_retried": "counter",
        "newsbot_reminders_late": "counter",
        "newsbot_reminder_lateness_seconds": "histogram",
        "newsbot_jobs": "counter",
        "newsbot_articles_extracted": "counter",
        "newsbot_extraction_seconds": "histogram",
        "newsbot_ack_seconds": "histogram",
    }
    for name, kind in expected.items():
        assert types.get(name) == kind, name
    assert "process_resident_memory_bytes" in body


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"type": "event_callback", "event": {"type": "app_mention"}}', "event"),
        (b"payload=%7B%22type%22%3A%22block_actions%22%7D", "interaction"),
        (b"token=x&team_id=T1&command=%2Fnews&text=help", "command"),
        (b"token=x&text=payload%3Dno&command=%2Fnews", "command"),
        (b"", "other"),
    ],
)
def test_request_type_is_read_from_the_body(body: bytes, kind: str) -> None:
    assert request_type(body) == kind


def test_metrics_settings_come_from_the_environment(tmp_path: Path) -> None:
    none = tmp_path / "none.env"
    default = Settings.from_env({}, none)
    assert (default.metrics_port, default.metrics_host) == (0, "0.0.0.0")
    settings = Settings.from_env(
        {"NEWSBOT_METRICS_PORT": "9102", "NEWSBOT_METRICS_HOST": "127.0.0.1"}, none
    )
    assert (settings.metrics_port, settings.metrics_host) == (9102, "127.0.0.1")
