import socket
import time

import pytest
import requests
from django.conf import settings
from django.core.cache import cache

from cti.health import BEAT_HEARTBEAT_KEY
from cti.tasks import beat_heartbeat
from tests.conftest import LOG_DIR
from tests.support.processes import start_daphne

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_reports_every_dependency_up(asgi_server, celery_worker):
    response = requests.get(f"{asgi_server}/healthz", timeout=15)
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert {name: checks[name]["status"] for name in checks if checks[name]["required"]} == {
        "database": "ok",
        "redis": "ok",
        "channel_layer": "ok",
        "celery_worker": "ok",
    }
    assert checks["database"]["detail"] == "postgresql"
    assert checks["celery_beat"]["required"] is False


def test_healthz_reports_stopped_redis_as_down_with_503():
    # given the app pointed at a Redis that is not running
    server, url = start_daphne(LOG_DIR, REDIS_URL="redis://127.0.0.1:1/0")
    try:
        response = requests.get(f"{url}/healthz", timeout=15)
    finally:
        server.stop()
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "down"
    assert "Connection" in body["checks"]["redis"]["detail"]
    assert body["checks"]["channel_layer"]["status"] == "down"
    assert body["checks"]["celery_worker"]["status"] == "down"


def test_healthz_reports_missing_worker_as_down(celery_worker):
    # given the app on a Redis database that no worker consumes: 15 is kept free of workers
    # for this (test runs use 9-14)
    server, url = start_daphne(LOG_DIR, REDIS_URL="redis://127.0.0.1:6379/15")
    try:
        response = requests.get(f"{url}/healthz", timeout=15)
    finally:
        server.stop()
    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["redis"]["status"] == "ok"
    assert checks["channel_layer"]["status"] == "ok"
    assert checks["celery_worker"] == {
        "status": "down",
        "required": True,
        "latency_ms": checks["celery_worker"]["latency_ms"],
        "detail": "RuntimeError: no worker answered",
    }


def test_healthz_hides_error_details_from_the_public_in_production(client, settings):
    # given production settings and an anonymous caller
    settings.DEBUG = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    # when it asks for the health report
    response = client.get("/healthz")
    # then it sees each state but no error text or host names
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "status": "down",
        "required": True,
        "latency_ms": response.json()["checks"]["redis"]["latency_ms"],
    }
    assert all("detail" not in check for check in response.json()["checks"].values())


def test_healthz_shows_details_to_staff_in_production(client, settings, admin_user):
    settings.DEBUG = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.force_login(admin_user)
    response = client.get("/healthz")
    assert response.json()["checks"]["redis"]["detail"].startswith("ConnectionError")


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers: a blackholed dependency."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def test_healthz_answers_503_in_time_when_the_database_does_not_answer(silent_port):
    # given the app pointed at a PostgreSQL that accepts connections and never replies
    server, url = start_daphne(
        LOG_DIR, DATABASE_URL=f"postgres://u:p@127.0.0.1:{silent_port}/callboard"
    )
    try:
        # when a monitor asks for the health report
        started = time.monotonic()
        response = requests.get(f"{url}/healthz", timeout=30)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    # then it hears "down" within the connect timeout instead of hanging
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "down"
    assert elapsed < 15


def test_healthz_answers_503_to_a_signed_in_browser_when_the_database_is_down():
    # given the app in production mode pointed at a stopped PostgreSQL, and a caller with a
    # session cookie
    server, url = start_daphne(
        LOG_DIR,
        DEBUG="false",
        SECRET_KEY="s" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        RINGCENTRAL_CLIENT_ID="client-id",
        TOKEN_ENCRYPTION_KEYS="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        DATABASE_URL="postgres://u:p@127.0.0.1:1/callboard",
    )
    try:
        response = requests.get(f"{url}/healthz", cookies={"sessionid": "a" * 32}, timeout=30)
    finally:
        server.stop()
    # then it gets the health report, not a server error from loading the session
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "down"
    assert "detail" not in response.json()["checks"]["database"]


def test_healthz_answers_plain_http_probes_when_https_is_enforced(client, settings):
    # given Django redirecting plain HTTP to HTTPS
    settings.SECURE_SSL_REDIRECT = True
    # when a load balancer probes the backend over plain HTTP
    response = client.get("/healthz")
    # then it gets the report, not a redirect it would count as a failure; pages still redirect
    assert response.status_code in (200, 503)
    assert response.json()["status"] in ("ok", "down")
    assert client.get("/login/").status_code == 301


@pytest.fixture
def no_heartbeat():
    cache.delete(BEAT_HEARTBEAT_KEY)
    yield
    cache.delete(BEAT_HEARTBEAT_KEY)


def beat_check(asgi_server: str) -> tuple[int, dict]:
    response = requests.get(f"{asgi_server}/healthz", timeout=15)
    return response.status_code, response.json()["checks"]["celery_beat"]


def test_beat_is_reported_ok_once_its_heartbeat_task_has_run(
    asgi_server, celery_worker, no_heartbeat
):
    # given beat has not ticked yet
    status, beat = beat_check(asgi_server)
    assert (status, beat["status"], beat["detail"]) == (
        200,
        "down",
        "RuntimeError: no heartbeat from celery beat yet",
    )
    # when the heartbeat task beat schedules runs on a worker
    beat_heartbeat.delay()
    deadline = time.monotonic() + 15
    while cache.get(BEAT_HEARTBEAT_KEY) is None:
        assert time.monotonic() < deadline, "the worker never ran the heartbeat"
        time.sleep(0.1)
    # then beat is ok, heard from moments ago
    status, beat = beat_check(asgi_server)
    assert (status, beat["status"], beat["required"]) == (200, "ok", False)
    assert beat["detail"] in ("last heartbeat 0s ago", "last heartbeat 1s ago")


def test_a_stale_beat_heartbeat_is_reported_down_without_failing_the_check(
    asgi_server, no_heartbeat
):
    # given beat's last heartbeat is ten minutes old (beat stopped; it ticks every 30 s)
    assert settings.CELERY_BEAT_SCHEDULE["beat-heartbeat"]["schedule"] == 30.0
    cache.set(BEAT_HEARTBEAT_KEY, time.time() - 600, timeout=600)
    # then /healthz says so, and stays 200: beat is reported, not required
    status, beat = beat_check(asgi_server)
    assert (status, beat["status"], beat["required"]) == (200, "down", False)
    assert beat["detail"] in (
        "RuntimeError: last heartbeat 600s ago",
        "RuntimeError: last heartbeat 601s ago",
    )


def test_a_503_is_logged_as_what_is_down_not_as_a_server_error(client, settings, caplog):
    # given Redis down for the app
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    # when a probe asks
    with caplog.at_level("INFO"):
        response = client.get("/healthz")
    # then it gets its 503, and the log names what is down instead of a request error
    assert response.status_code == 503
    lines = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert (
        "cti.views",
        "INFO",
        "healthz: down: redis, channel_layer, celery_worker, celery_beat",
    ) in lines
    assert [line for line in lines if line[0] == "django.request"] == []
