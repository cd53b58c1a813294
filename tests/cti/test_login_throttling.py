"""Log-in throttling (django-axes): the local log-in and Django admin's refuse a user name that
failed too often from one address, with a page that says when to try again."""

import importlib
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.utils import timezone

from tests.cti.test_settings import read_setting, start_django
from tests.factories import agent

pytestmark = pytest.mark.django_db

LIMIT = 5  # LOGIN_FAILURE_LIMIT's default
COOL_OFF = timedelta(minutes=15)  # LOGIN_LOCKOUT_MINUTES's default


def log_in(client: Client, password: str, *, username: str = "alex", path="/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(client: Client, **extra) -> None:
    for _ in range(LIMIT - 1):
        assert log_in(client, "wrong", **extra).status_code == 200
    assert log_in(client, "wrong", **extra).status_code == 429


def test_the_right_password_after_too_many_wrong_ones_gets_the_lockout_page():
    # given an agent whose password was guessed wrong up to the limit
    agent(username="alex")
    client = Client()
    for _ in range(LIMIT - 1):
        refused = log_in(client, "wrong")
        assert refused.status_code == 200
        assert "Please enter a correct username and password" in refused.content.decode()
    last = log_in(client, "wrong")
    # when the right password comes next
    before = timezone.localtime() + COOL_OFF
    response = log_in(client, "pw-for-tests")
    after = timezone.localtime() + COOL_OFF
    # then the wrong one that reached the limit and the right one both get the lockout page
    assert last.status_code == 429
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "<h1>Too many sign-in attempts</h1>" in page
    wait = re.search(r"Try again in 15 minutes, after (\d\d:\d\d) \(UTC\)\.", page)
    assert wait is not None
    assert wait.group(1) in {before.strftime("%H:%M"), after.strftime("%H:%M")}
    assert 'aria-label="Main"' not in page  # the site's page, signed out
    assert not signed_in(client)
    # and the failures are kept by user name and address, without the passwords
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "alex",
        "127.0.0.1",
        LIMIT + 1,
    )
    assert "wrong" not in attempt.post_data
    assert "pw-for-tests" not in attempt.post_data


def test_a_lockout_ends_after_the_cool_off():
    agent(username="alex")
    client = Client()
    lock_out(client)
    # when the lockout time has passed since the last try
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - COOL_OFF - timedelta(seconds=1))
    # then the right password signs in
    response = log_in(client, "pw-for-tests")
    assert response.status_code == 302
    assert signed_in(client)
    assert AccessAttempt.objects.count() == 0


def test_a_try_during_the_lockout_starts_the_wait_again():
    agent(username="alex")
    client = Client()
    lock_out(client)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - COOL_OFF + timedelta(minutes=1))
    assert log_in(client, "pw-for-tests").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=2))
    assert log_in(client, "pw-for-tests").status_code == 429
    assert not signed_in(client)


def test_a_good_log_in_forgets_the_earlier_failures():
    agent(username="alex")
    client = Client()
    for _ in range(LIMIT - 1):
        log_in(client, "wrong")
    assert log_in(client, "pw-for-tests").status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        assert log_in(client, "wrong").status_code == 200
    assert log_in(client, "pw-for-tests").status_code == 302


def test_the_lockout_holds_for_that_user_name_from_that_address_only():
    agent(username="alex")
    agent(username="sam")
    lock_out(Client())
    assert log_in(Client(), "pw-for-tests", username="sam").status_code == 302
    assert log_in(Client(), "pw-for-tests", REMOTE_ADDR="10.0.0.2").status_code == 302
    assert log_in(Client(), "pw-for-tests").status_code == 429


def test_a_forwarded_address_is_ignored_unless_behind_a_proxy():
    # given a lockout from one address
    agent(username="alex")
    lock_out(Client())
    # when the same client claims another address in X-Forwarded-For
    response = log_in(Client(), "pw-for-tests", HTTP_X_FORWARDED_FOR="198.51.100.7")
    # then it is still refused
    assert response.status_code == 429


def test_behind_a_proxy_the_address_it_forwarded_counts(settings):
    settings.AXES_CLIENT_IP_CALLABLE = "cti.client_ip.forwarded_client_ip"
    agent(username="alex")
    # the proxy appends what it saw; what the client wrote before it does not count
    lock_out(Client(), HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
    spoofed = log_in(Client(), "pw-for-tests", HTTP_X_FORWARDED_FOR="10.1.1.1, 203.0.113.5")
    assert spoofed.status_code == 429
    other = log_in(Client(), "pw-for-tests", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 302


def test_behind_a_proxy_a_forwarded_value_that_is_no_address_counts_as_the_proxy(settings):
    settings.AXES_CLIENT_IP_CALLABLE = "cti.client_ip.forwarded_client_ip"
    agent(username="alex")
    assert log_in(Client(), "wrong", HTTP_X_FORWARDED_FOR="not-an-address").status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_admin_log_in_is_throttled_too():
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests")
    client = Client()
    for _ in range(LIMIT - 1):
        refused = log_in(client, "wrong", username="root", path="/admin/login/")
        assert refused.status_code == 200
    assert log_in(client, "wrong", username="root", path="/admin/login/").status_code == 429
    response = log_in(client, "pw-for-tests", username="root", path="/admin/login/")
    assert response.status_code == 429
    assert "<h1>Too many sign-in attempts</h1>" in response.content.decode()
    assert not signed_in(client)


def test_the_failure_limit_and_lockout_time_come_from_the_environment():
    env = {"LOGIN_FAILURE_LIMIT": "3", "LOGIN_LOCKOUT_MINUTES": "60"}
    assert read_setting(env, "AXES_FAILURE_LIMIT") == "3"
    assert read_setting(env, "AXES_COOLOFF_TIME") == "1.0"
    assert read_setting({"BEHIND_TLS_PROXY": "true"}, "AXES_CLIENT_IP_CALLABLE") == (
        "cti.client_ip.forwarded_client_ip"
    )


def test_a_failure_limit_below_one_is_refused_with_its_name():
    result = start_django({"LOGIN_FAILURE_LIMIT": "0"})
    assert result.returncode != 0
    assert "LOGIN_FAILURE_LIMIT must be at least 1, got 0" in result.stderr


@pytest.fixture
def admin_at_backoffice(settings):
    """Django admin moved to /backoffice/ (ADMIN_URL), with the URLconf rebuilt around it."""
    import cti.urls

    settings.ADMIN_URL = "backoffice/"
    importlib.reload(cti.urls)
    clear_url_caches()
    yield
    settings.ADMIN_URL = "admin/"
    importlib.reload(cti.urls)
    clear_url_caches()


def test_admin_lives_where_admin_url_says(admin_at_backoffice):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests")
    client = Client()
    client.force_login(root)
    assert reverse("admin:index") == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200
    assert client.get("/admin/").status_code == 404
    assert 'href="/backoffice/">Admin</a>' in client.get("/").content.decode()


def test_admin_url_that_is_not_a_path_is_refused_with_its_name():
    result = start_django({"ADMIN_URL": "/backoffice"})
    assert result.returncode != 0
    assert (
        "ADMIN_URL takes a path like admin/ (no leading slash, one at the end), got '/backoffice'"
        in result.stderr
    )
