"""scripts/test-services.sh (the service part of `make test`) against fake PostgreSQL and Redis
commands on a PATH of their own, so the machine's real services are never touched."""

import shutil
import subprocess
from pathlib import Path

from tests.support.processes import ROOT

SCRIPT = ROOT / "scripts" / "test-services.sh"
TOOLS = ["bash", "sh", "env", "id", "ls", "sort", "tail", "seq", "sleep", "cat", "mkdir"]


def fake_path(tmp_path: Path, fakes: dict[str, str]) -> str:
    """A PATH holding only the shell tools the script needs and the given fake commands."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in set(TOOLS) - set(fakes):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    for name, body in fakes.items():
        fake = bin_dir / name
        fake.write_text(f"#!/bin/sh\n{body}\n")
        fake.chmod(0o755)
    return str(bin_dir)


def run_script(tmp_path: Path, fakes: dict[str, str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": fake_path(tmp_path, fakes), "CHROMIUM_PATH": "/bin/true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_redis_that_does_not_come_up_stops_the_run_with_a_message(tmp_path):
    # given Redis installed but stopped, and a redis-server that starts nothing
    fakes = {"redis-cli": "exit 1", "redis-server": "exit 0"}
    # when the script makes sure the services run
    result = run_script(tmp_path, fakes, DATABASE_URL="postgres://u:p@127.0.0.1:5432/db")
    # then it fails, says so, and prints no URLs to test against
    assert result.returncode == 1
    assert "test-services: Redis did not start on 127.0.0.1:6379" in result.stderr
    assert result.stdout == ""


def test_postgresql_that_does_not_come_up_stops_the_run_with_a_message(tmp_path):
    # given PostgreSQL installed but stopped, and a pg_ctlcluster that starts nothing
    fakes = {"pg_isready": "exit 1", "pg_ctlcluster": "exit 0", "psql": "exit 2"}
    # when the script makes sure the services run, as root
    result = run_script(tmp_path, fakes, REDIS_URL="redis://127.0.0.1:6379/9")
    # then it fails naming the server, not the role it could not create
    assert result.returncode == 1
    assert "test-services: PostgreSQL did not start on 127.0.0.1:5432" in result.stderr
    assert "role" not in result.stderr
    assert result.stdout == ""


def test_stopped_postgresql_without_root_says_how_to_start_it(tmp_path):
    fakes = {"pg_isready": "exit 1", "pg_ctlcluster": "exit 0", "id": "echo 1000"}
    result = run_script(tmp_path, fakes, REDIS_URL="redis://127.0.0.1:6379/9")
    assert result.returncode == 1
    assert "PostgreSQL is stopped. Start it: sudo pg_ctlcluster" in result.stderr


def test_role_that_may_not_create_databases_is_fixed_as_root(tmp_path):
    # given PostgreSQL running and the callboard role able to log in but not create databases
    log = tmp_path / "runuser.log"
    fakes = {"pg_isready": "exit 0", "psql": "echo f", "runuser": f'echo "$*" >> {log}'}
    # when the script runs as root
    result = run_script(tmp_path, fakes, REDIS_URL="redis://127.0.0.1:6379/9")
    # then it grants what the test database needs and goes on
    assert result.returncode == 0, result.stderr
    assert "CREATEDB" in log.read_text()
    assert "DATABASE_URL=postgres://callboard:callboard@127.0.0.1:5432/callboard" in result.stdout


def test_role_that_may_not_create_databases_without_root_says_how(tmp_path):
    fakes = {"pg_isready": "exit 0", "psql": "echo f", "id": "echo 1000"}
    result = run_script(tmp_path, fakes, REDIS_URL="redis://127.0.0.1:6379/9")
    assert result.returncode == 1
    assert "PostgreSQL role callboard may not create databases" in result.stderr
    assert "ALTER ROLE callboard LOGIN CREATEDB PASSWORD 'callboard'" in result.stderr
    assert result.stdout == ""
