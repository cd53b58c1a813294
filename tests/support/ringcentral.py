"""The app pointed at the sandbox, as it would be at RingCentral: only through
RINGCENTRAL_SERVER / _CLIENT_ID / _CLIENT_SECRET (settings in-process, env for subprocesses).

Fixtures (registered for the whole suite by tests/conftest.py):
    ringcentral          a freshly reset sandbox; settings point at it (confidential app), the
                         test client's callback is registered, our rate-limit budgets cleared
    ringcentral_public   the same with the public (PKCE-only) app, no client secret
    ringcentral_site     the session's daphne (`asgi_server`, which always talks to the session
                         sandbox) with a reset sandbox that accepts its callback

`sign_in(client, sandbox, user)` runs our sign-in through the sandbox's authorize and login
endpoints over HTTP, with the Django test client on our side.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.support.sandbox import SandboxClient

TEST_CALLBACK = "http://testserver/accounts/ringcentral/login/callback/"


def app_env(sandbox: SandboxClient, *, public: bool = False) -> dict[str, str]:
    """The environment that points the app at the sandbox (what production changes)."""
    creds = sandbox.credentials()
    client_id, secret = sandbox.app(public=public)
    return {
        "RINGCENTRAL_SERVER": creds["server"],
        "RINGCENTRAL_MEDIA_SERVER": creds["media_server"],
        "RINGCENTRAL_CLIENT_ID": client_id,
        "RINGCENTRAL_CLIENT_SECRET": secret or "",
    }


def clear_rate_budgets() -> None:
    """Forget our client-side rate-limit budgets: the sandbox was reset, its counters too."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter("callboard:rc-rate:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _configure(sandbox: SandboxClient, django_settings, *, public: bool) -> SandboxClient:
    for name, value in app_env(sandbox, public=public).items():
        setattr(django_settings, name, value)
    django_settings.RINGCENTRAL_JWT = ""
    sandbox.add_redirect_uri(TEST_CALLBACK)
    clear_rate_budgets()
    return sandbox


@pytest.fixture
def ringcentral(fresh_sandbox: SandboxClient, settings) -> SandboxClient:
    return _configure(fresh_sandbox, settings, public=False)


@pytest.fixture
def ringcentral_public(fresh_sandbox: SandboxClient, settings) -> SandboxClient:
    return _configure(fresh_sandbox, settings, public=True)


@dataclass
class Site:
    url: str
    sandbox: SandboxClient

    @property
    def callback(self) -> str:
        return self.url + "/accounts/ringcentral/login/callback/"

    def reset(self) -> SandboxClient:
        """A freshly seeded sandbox that accepts this site's callback."""
        self.sandbox.reset()
        self.sandbox.add_redirect_uri(self.callback)
        clear_rate_budgets()
        return self.sandbox


@pytest.fixture
def ringcentral_site(asgi_server: str, sandbox: SandboxClient, settings) -> Site:
    """The session's daphne (already configured against the sandbox) with a freshly reset
    sandbox that accepts its callback; in-process settings point there too."""
    site = Site(url=asgi_server, sandbox=sandbox)
    _configure(site.reset(), settings, public=False)
    return site


# --- signing in over HTTP ---------------------------------------------------------------


def start_sign_in(client: Client, *, next_url: str | None = None) -> str:
    """POST our sign-in button; returns the RingCentral authorize URL we redirect to."""
    response = client.post("/accounts/ringcentral/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content
    return response["Location"]


def authorize_at_sandbox(
    sandbox: SandboxClient, authorize_url: str, user: dict | None, *, deny: bool = False
) -> str:
    """Open the authorize URL and submit the sandbox's login form as `user`; returns the
    callback URL RingCentral sends the browser back to (with code and state, or an error)."""
    with httpx.Client(timeout=10) as http:
        first = http.get(authorize_url)
        assert first.status_code == 302, first.text
        login = urlsplit(first.headers["location"])
        form = {
            "request": parse_qs(login.query)["request"][0],
            "action": "deny" if deny else "allow",
        }
        if user is not None:
            form.update(username=user["email"], password=user["password"])
        second = http.post(f"{sandbox.url}{login.path}", data=form)
        assert second.status_code == 302, second.text
        return second.headers["location"]


def follow_callback(client: Client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: Client, sandbox: SandboxClient, user: dict, *, next_url: str | None = None):
    """The whole sign-in as `user`; returns our callback's response."""
    authorize_url = start_sign_in(client, next_url=next_url)
    return follow_callback(client, authorize_at_sandbox(sandbox, authorize_url, user))


def in_a_worker_thread(fn: Callable[[], object]) -> BaseException | None:
    """Run `fn` as a Celery worker or a view would: on a thread with no event loop and its own
    database connection. (A session's Playwright browser keeps a loop running on the test
    thread, where publishing to the channel layer cannot work.) Returns what it raised."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return outcome[0]
