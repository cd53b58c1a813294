import os
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.support.processes import start_celery_worker, start_daphne
from tests.support.sandbox import SandboxClient, start_sandbox
from tests.support.webhooks import WebhookReceiver

pytest_plugins = ["tests.support.browser", "tests.support.ringcentral"]

LOG_DIR = Path(os.environ.get("TEST_LOG_DIR", "var/test-logs")).resolve()


def pytest_terminal_summary(terminalreporter):
    """How many of the sandbox's API operations had a response validated against the spec."""
    from tests.support.openapi import VALIDATED

    if not VALIDATED:
        return
    from tests.sandbox.test_spec_coverage import api_routes, concrete
    from tests.support.openapi import find_operation

    served = {}
    for route in api_routes():
        template, _ = find_operation(route.method, concrete(route.path))
        served[(route.method, template)] = route
    unchecked = sorted(f"{m} {t}" for (m, t) in served if (m, t) not in VALIDATED)
    # A run of a few tests sees few operations: name them only when most were seen.
    missing = ", ".join(unchecked) if len(unchecked) <= 10 else f"{len(unchecked)} operations"
    terminalreporter.write_line(
        f"spec-validated JSON responses for {len(served) - len(unchecked)} of the sandbox's "
        f"{len(served)} API operations; none seen for: {missing or '-'}"
    )


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's session-wide browser keeps an event loop running on the
    main thread, and asyncio tests collected after it (tests/sandbox, tests/telephony sort after
    tests/e2e) could not start their own."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def _clean_redis():
    """The suite owns its Redis database: start from empty so no stale message leaks in."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def asgi_server(sandbox, django_db_setup, django_db_blocker):
    """daphne serving the real ASGI app (HTTP + WebSocket) on the test database, talking to the
    session's sandbox as it would to RingCentral.

    Tests that use it must write with `transactional_db` so the server sees committed rows.
    """
    with django_db_blocker.unblock():
        from django.db import connections

        connections.close_all()
    from tests.support.ringcentral import app_env  # a plugin module: import after registration

    server, url = start_daphne(LOG_DIR, **app_env(sandbox))
    yield url
    server.stop()
    with django_db_blocker.unblock():
        close_other_sessions()


@pytest.fixture(scope="session")
def celery_worker(sandbox, django_db_setup, django_db_blocker):
    """A real Celery worker process on the test database and Redis broker, talking to the
    session's sandbox."""
    from tests.support.ringcentral import app_env

    worker = start_celery_worker(LOG_DIR, **app_env(sandbox))
    yield worker
    worker.stop()
    with django_db_blocker.unblock():
        close_other_sessions()


def close_other_sessions() -> None:
    """Server processes have stopped; make PostgreSQL drop their sessions now, not after the
    test database is due to be dropped."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session")
def sandbox() -> SandboxClient:
    """The RingCentral sandbox (`python -m sandbox`) on a free port, for the whole session.
    Tests that change its state use `fresh_sandbox` (or reset it themselves)."""
    server, client = start_sandbox(LOG_DIR)
    yield client
    client.close()
    server.stop()


@pytest.fixture
def fresh_sandbox(sandbox: SandboxClient) -> SandboxClient:
    """The session's sandbox, reset to a freshly seeded account before the test."""
    sandbox.reset()
    return sandbox


@pytest.fixture
def webhook_receiver() -> WebhookReceiver:
    """A local HTTP server that answers the webhook validation handshake and records
    deliveries (`.deliveries`, `.wait_for(n)`); `.set(status=500, delay=...)` changes it."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
