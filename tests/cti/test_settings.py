import os
import subprocess
import sys

from tests.support.processes import ROOT

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "s" * 50,
    "ALLOWED_HOSTS": "callboard.example.com",
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/callboard",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "TOKEN_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "RINGCENTRAL_SERVER": "https://platform.ringcentral.com",
    "RINGCENTRAL_CLIENT_ID": "client-id",
}


def start_django(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    clean.update(env, ENV_FILE="/dev/null", DJANGO_SETTINGS_MODULE="cti.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_fails_naming_it():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = start_django(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Missing required environment variable(s) with DEBUG off: SECRET_KEY." in result.stderr


def test_debug_off_names_every_missing_variable():
    result = start_django({"DEBUG": "false"})
    assert result.returncode != 0
    assert (
        "Missing required environment variable(s) with DEBUG off: SECRET_KEY, ALLOWED_HOSTS, "
        "DATABASE_URL, REDIS_URL, TOKEN_ENCRYPTION_KEYS, RINGCENTRAL_SERVER, RINGCENTRAL_CLIENT_ID."
    ) in result.stderr


def test_debug_off_with_everything_set_starts():
    result = start_django(PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_invalid_boolean_is_refused_with_its_name():
    result = start_django({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false, got 'maybe'" in result.stderr
