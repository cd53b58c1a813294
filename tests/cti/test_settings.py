import os
import re
import subprocess
import sys

import pytest

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


# What a developer's .env holds: DEBUG asked for, and the secrets there are no defaults for.
DEV_ENV = {
    "DEBUG": "true",
    "SECRET_KEY": "d" * 50,
    "TOKEN_ENCRYPTION_KEYS": "ZGV2ZWxvcG1lbnQta2V5LWZvci10ZXN0cy0wMDAwMDA=",
}


def run_django(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`python <args>` with exactly `env` as Callboard's configuration: none of the test run's
    own (its DEBUG, secrets, database) leaks in."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    clean.update(env, ENV_FILE="/dev/null", DJANGO_SETTINGS_MODULE="cti.settings")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def start_django(env: dict) -> subprocess.CompletedProcess:
    return run_django(env, "-c", "import django; django.setup()")


def read_setting(env: dict, name: str) -> str:
    result = run_django(env, "-c", f"from django.conf import settings; print(settings.{name})")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def run_manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_django(env, "manage.py", *args)


def test_debug_is_off_when_unset_and_production_needs_everything():
    result = start_django({})
    assert result.returncode != 0
    assert (
        "Missing required environment variable(s) with DEBUG off: SECRET_KEY, ALLOWED_HOSTS, "
        "DATABASE_URL, REDIS_URL, TOKEN_ENCRYPTION_KEYS, RINGCENTRAL_SERVER, RINGCENTRAL_CLIENT_ID."
    ) in result.stderr


def test_debug_on_has_no_built_in_secrets():
    # given DEBUG asked for and no secrets
    result = start_django({"DEBUG": "true"})
    # then start-up stops naming them: there is no public development key to fall back on
    assert result.returncode != 0
    assert (
        "Missing required environment variable(s) (there are no built-in secrets): SECRET_KEY, "
        "TOKEN_ENCRYPTION_KEYS. See .env.example; `make demo` and `make test` make their own."
    ) in result.stderr


def test_the_token_key_is_the_configured_one_and_nothing_derived():
    assert read_setting(DEV_ENV, "TOKEN_ENCRYPTION_KEYS") == str([DEV_ENV["TOKEN_ENCRYPTION_KEYS"]])
    assert read_setting(DEV_ENV, "DEBUG") == "True"


def test_debug_off_without_secret_key_fails_naming_it():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = start_django(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Missing required environment variable(s) with DEBUG off: SECRET_KEY." in result.stderr


def test_debug_off_with_everything_set_starts():
    result = start_django(PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_invalid_boolean_is_refused_with_its_name():
    result = start_django({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false, got 'maybe'" in result.stderr


def test_empty_values_copied_from_env_example_keep_the_secure_cookie_defaults():
    # given production settings with the cookie flags left empty, as .env.example has them
    env = {**PRODUCTION_ENV, "SESSION_COOKIE_SECURE": "", "CSRF_COOKIE_SECURE": " "}
    # then the documented default (secure with DEBUG off) holds
    assert read_setting(env, "SESSION_COOKIE_SECURE") == "True"
    assert read_setting(env, "CSRF_COOKIE_SECURE") == "True"


def test_check_refuses_a_production_deploy_without_collected_static_files(tmp_path):
    env = {**PRODUCTION_ENV, "STATIC_ROOT": str(tmp_path / "static")}
    result = run_manage(env, "check")
    assert result.returncode != 0
    assert "cti.E001" in result.stderr
    assert "Run: python manage.py collectstatic --noinput" in result.stderr


def test_check_passes_once_static_files_are_collected(tmp_path):
    env = {**PRODUCTION_ENV, "STATIC_ROOT": str(tmp_path / "static")}
    collected = run_manage(env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    result = run_manage(env, "check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ["2s", "-1", "0", "nan"])
def test_invalid_health_check_timeout_is_refused_with_its_name(value):
    result = start_django({**DEV_ENV, "HEALTH_CHECK_TIMEOUT": value})
    assert result.returncode != 0
    assert f"HEALTH_CHECK_TIMEOUT must be a positive number of seconds, got {value!r}" in (
        result.stderr
    )


def test_health_check_timeout_accepts_fractions():
    assert (
        read_setting({**DEV_ENV, "HEALTH_CHECK_TIMEOUT": " 0.5 "}, "HEALTH_CHECK_TIMEOUT") == "0.5"
    )


def test_redis_url_without_a_scheme_is_refused_with_its_name():
    result = start_django({**DEV_ENV, "REDIS_URL": "127.0.0.1:6379"})
    assert result.returncode != 0
    assert (
        "REDIS_URL must be a redis://, rediss:// or unix:// URL, got '127.0.0.1:6379'"
        in result.stderr
    )


def test_unknown_database_url_scheme_is_refused_with_its_name():
    result = start_django({**DEV_ENV, "DATABASE_URL": "postgress://u:p@127.0.0.1:5432/callboard"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL: Scheme 'postgress://' is unknown" in (result.stderr)


def test_soft_time_limit_not_below_the_hard_limit_is_refused():
    # a soft limit at or above the hard one never fires: the task is killed without cleanup
    result = start_django(
        {**DEV_ENV, "CELERY_TASK_TIME_LIMIT": "300", "CELERY_TASK_SOFT_TIME_LIMIT": "300"}
    )
    assert result.returncode != 0
    assert (
        "CELERY_TASK_SOFT_TIME_LIMIT (300) must be positive and below CELERY_TASK_TIME_LIMIT (300)"
        in result.stderr
    )


def test_visibility_timeout_outlasts_a_long_hard_time_limit():
    # a late-acknowledged task must not be handed to a second worker while it still runs
    env = {**DEV_ENV, "CELERY_TASK_TIME_LIMIT": "7200", "CELERY_TASK_SOFT_TIME_LIMIT": "7000"}
    options = read_setting(env, "CELERY_BROKER_TRANSPORT_OPTIONS")
    assert options == "{'visibility_timeout': 7500}"
    assert (
        read_setting(DEV_ENV, "CELERY_BROKER_TRANSPORT_OPTIONS") == "{'visibility_timeout': 3600}"
    )


def test_allowed_host_written_as_a_url_is_refused_with_its_name():
    # Django would answer every request with 400 Bad Request
    result = start_django({**DEV_ENV, "ALLOWED_HOSTS": "localhost, https://crm.example.com"})
    assert result.returncode != 0
    assert (
        "ALLOWED_HOSTS takes host names (crm.example.com), got 'https://crm.example.com'"
        in result.stderr
    )


def test_csrf_trusted_origin_without_a_scheme_is_refused_with_its_name():
    # Django would never match it, refusing form posts from that origin
    result = start_django({**DEV_ENV, "CSRF_TRUSTED_ORIGINS": "crm.example.com"})
    assert result.returncode != 0
    assert (
        "CSRF_TRUSTED_ORIGINS takes origins with a scheme (https://crm.example.com), "
        "got 'crm.example.com'" in result.stderr
    )


def test_env_example_documents_every_variable_the_settings_and_the_demo_read():
    from dotenv import dotenv_values

    documented = set(dotenv_values(ROOT / ".env.example"))
    settings_source = (ROOT / "cti" / "settings.py").read_text()
    demo_source = (ROOT / "scripts" / "demo.py").read_text()
    read = set(re.findall(r'(?:env_\w+|redis_url)\("([A-Z_0-9]+)"', settings_source))
    for required in re.findall(r"require\(\s*\[([^]]*)\]", settings_source):
        read |= set(re.findall(r'"([A-Z][A-Z_0-9]+)"', required))
    read |= set(re.findall(r'(?:env\.get|number)\((?:env, )?"([A-Z_0-9]+)"', demo_source))
    read -= {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED"}
    assert len(read) > 35
    assert sorted(read - documented) == []
