import pytest
import requests

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
