"""Start real servers for tests: daphne serving the ASGI app, a Celery worker, the sandbox."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        raise RuntimeError("server tests need PostgreSQL: set DATABASE_URL (make test does)")
    auth = quote(db["USER"])
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def child_env(**overrides: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cti.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "ENV_FILE": "/dev/null",
            "PYTHONUNBUFFERED": "1",
            "RINGCENTRAL_SERVER": settings.RINGCENTRAL_SERVER,
            "RINGCENTRAL_CLIENT_ID": settings.RINGCENTRAL_CLIENT_ID,
            "RINGCENTRAL_CLIENT_SECRET": settings.RINGCENTRAL_CLIENT_SECRET,
            "CHANNELS_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        }
    )
    env.update(overrides)
    return env


class ServerProcess:
    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path) -> None:
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until(self, ready: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if ready():
                    return
            except Exception:  # noqa: S110 - not ready yet
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


def port_accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_daphne(log_dir: Path, **env_overrides: str) -> tuple[ServerProcess, str]:
    port = free_port()
    server = ServerProcess(
        f"daphne-{port}",
        [
            sys.executable,
            "-m",
            "cti.serve",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "cti.asgi:application",
        ],
        child_env(**env_overrides),
        log_dir,
    )
    server.wait_until(lambda: port_accepts(port))
    return server, f"http://127.0.0.1:{port}"


def start_celery_worker(log_dir: Path, **env_overrides: str) -> ServerProcess:
    from cti.celery import app

    name = f"test-{os.getpid()}@%h"
    worker = ServerProcess(
        "celery-worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cti",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
        ],
        child_env(**env_overrides),
        log_dir,
    )
    worker.wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=60)
    return worker
