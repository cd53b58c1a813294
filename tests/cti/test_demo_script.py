"""`make demo` end to end (scripts/demo.py on free ports, SQLite and the embedded Redis): the
sandbox comes up with its history and traffic, the app is healthy, the sandbox's supervisor
signs in with RingCentral and lands as a supervisor, and Ctrl-C stops every child."""

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.processes import ROOT, free_port, port_accepts

READY = "Callboard is running at"
# A newcomer's shell has none of the test run's configuration.
NOT_INHERITED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEYS",
    "DJANGO_SETTINGS_MODULE",
)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def running_demo(tmp_path: Path, ports: dict[str, int] | None = None, **extra_env: str):
    """scripts/demo.py on free ports with its own var/ and SQLite file, until it prints its
    summary; killed with everything it started afterwards, whatever the test did."""
    if ports is None:
        ports = {"PORT": free_port(), "SANDBOX_PORT": free_port(), "DEMO_REDIS_PORT": free_port()}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in NOT_INHERITED and not k.startswith("RINGCENTRAL_")
    }
    env.update({name: str(port) for name, port in ports.items()})
    env.update(
        ENV_FILE="/dev/null",
        DEMO_VAR=str(tmp_path),
        SQLITE_PATH=str(tmp_path / "demo.sqlite3"),
        DEMO_CONTACTS="40",
        DEMO_TRAFFIC_RATE="6",
        DEMO_WORKER_CONCURRENCY="1",
    )
    env.update(extra_env)
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "scripts/demo.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while READY not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.3)
        children = children_of(proc.pid)
        yield proc, ports, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for child in children:
            if group_alive(child):
                os.killpg(child, signal.SIGKILL)


@pytest.fixture
def demo(tmp_path):
    with running_demo(tmp_path) as running:
        yield running


def sign_in_with_ringcentral(app: str, user: dict) -> httpx.Response:
    """The browser's round trip over HTTP: our sign-in button, the sandbox's login form, the
    callback; returns the page it lands on."""
    with httpx.Client(timeout=15, follow_redirects=True) as browser:
        login = browser.get(f"{app}/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
        form = browser.post(
            f"{app}/accounts/ringcentral/login/", data={"csrfmiddlewaretoken": csrf, "next": "/"}
        )
        assert "/sandbox/login" in str(form.url), form.text[:500]
        request_id = parse_qs(urlsplit(str(form.url)).query)["request"][0]
        return browser.post(
            str(form.url).split("?")[0],
            data={
                "request": request_id,
                "action": "allow",
                "username": user["email"],
                "password": user["password"],
            },
        )


def test_make_demo_runs_the_sandbox_and_the_app_and_ctrl_c_stops_everything(demo):
    proc, ports, log = demo
    app, sandbox = f"http://127.0.0.1:{ports['PORT']}", f"http://127.0.0.1:{ports['SANDBOX_PORT']}"
    creds = httpx.get(f"{sandbox}/sandbox/v1/credentials").json()
    supervisor = next(u for u in creds["users"] if u["role"] == "supervisor")
    printed = log.read_text()
    for user in creds["users"]:
        assert f"{user['email']:<34} ext {user['extension_number']}  {user['password']}" in printed
    traffic = httpx.get(f"{sandbox}/sandbox/v1/traffic").json()
    assert (traffic["running"], traffic["settings"]["rate"]) == (True, 6.0)
    assert traffic["parties"] >= 40  # the CRM's contacts (and a few unknown callers)
    # it says it is running only once every part answers, beat included
    health = httpx.get(f"{app}/healthz")
    assert health.status_code == 200, health.text
    assert {name: c["status"] for name, c in health.json()["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "channel_layer": "ok",
        "celery_worker": "ok",
        "celery_beat": "ok",
    }

    home = sign_in_with_ringcentral(app, supervisor)
    assert str(home.url) == f"{app}/"
    assert "Welcome, Sofia" in home.text
    assert "You are signed in as a supervisor." in home.text

    # it runs as production does: DEBUG off (the product's own 404 page, no debug page)
    missing = httpx.get(f"{app}/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.text and "URLconf" not in missing.text

    children = children_of(proc.pid)
    assert len(children) == 5  # redis, sandbox, worker, beat, daphne
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0
    assert [pid for pid in children if group_alive(pid)] == []
    assert not any(port_accepts(port) for port in ports.values())


def test_closing_the_terminal_stops_everything(tmp_path):
    # given a running demo
    with running_demo(tmp_path, DEMO_TRAFFIC_RATE="0") as (proc, ports, _log):
        children = children_of(proc.pid)
        assert len(children) == 5
        # when its terminal goes away (SIGHUP)
        proc.send_signal(signal.SIGHUP)
        # then it stops every child it started, as Ctrl-C does
        assert proc.wait(30) == 0
        assert [pid for pid in children if group_alive(pid)] == []
        assert not any(port_accepts(port) for port in ports.values())


@pytest.mark.parametrize("pause", [0.3, 0.01])
def test_a_second_ctrl_c_while_stopping_still_stops_everything(tmp_path, pause):
    # given a running demo that has been asked to stop (0.01 s: before the stop has begun)
    with running_demo(tmp_path, DEMO_TRAFFIC_RATE="0") as (proc, _ports, log):
        children = children_of(proc.pid)
        proc.send_signal(signal.SIGINT)
        time.sleep(pause)
        # when an impatient user presses Ctrl-C again
        proc.send_signal(signal.SIGINT)
        # then it still stops every child before it exits, without a traceback
        assert proc.wait(30) == 0
        assert [pid for pid in children if group_alive(pid)] == []
        assert "Traceback" not in log.read_text()


def test_settings_in_the_env_file_are_used_like_the_app_uses_them(tmp_path):
    # given the demo's ports only in the dotenv file, as a copy of .env.example would have them
    ports = {"PORT": free_port(), "SANDBOX_PORT": free_port(), "DEMO_REDIS_PORT": free_port()}
    env_file = tmp_path / "demo.env"
    env_file.write_text("".join(f"{name}={port}   # a comment\n" for name, port in ports.items()))
    # when the demo runs with that file and none of them in the environment
    with running_demo(tmp_path, ports={}, ENV_FILE=str(env_file), DEMO_TRAFFIC_RATE="0") as (
        proc,
        _ports,
        log,
    ):
        # then it listens where the file says
        assert f"Callboard is running at http://127.0.0.1:{ports['PORT']}/" in log.read_text()
        assert httpx.get(f"http://127.0.0.1:{ports['PORT']}/login/").status_code == 200
        assert port_accepts(ports["SANDBOX_PORT"]) and port_accepts(ports["DEMO_REDIS_PORT"])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0


def test_a_port_that_is_not_a_number_is_named():
    env = {**os.environ, "ENV_FILE": "/dev/null", "PORT": "80OO", "REDIS_URL": "redis://x"}
    result = subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "PORT must be a whole number, got '80OO'"


def test_the_demo_makes_its_own_secrets_once_and_keeps_them(tmp_path):
    # given a first run of the demo, which signs people in and stores their tokens
    with running_demo(tmp_path, DEMO_TRAFFIC_RATE="0") as (proc, _ports, _log):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    secrets_file = tmp_path / "demo-secrets.env"
    first = secrets_file.read_text()
    # then its secrets are random, readable by their owner only, and none is a known constant
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    values = dict(line.split("=", 1) for line in first.splitlines() if "=" in line)
    assert sorted(values) == ["DEMO_LOCAL_PASSWORD", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"]
    assert len(values["SECRET_KEY"]) >= 50 and "insecure" not in values["SECRET_KEY"]
    # and the local log-in it prints is that random password, no built-in one
    printed = (tmp_path / "demo.log").read_text()
    local = f"Local Django login (no RingCentral): admin / {values['DEMO_LOCAL_PASSWORD']}"
    assert local in printed and "demo-admin" not in printed
    # when it runs again on the same files, it keeps them (the stored tokens stay readable)
    with running_demo(tmp_path, DEMO_TRAFFIC_RATE="0") as (proc, _ports, _log):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    assert secrets_file.read_text() == first
