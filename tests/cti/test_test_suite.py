"""The suite itself: it runs on PostgreSQL only, and reads nothing outside the repository."""

import os
import subprocess
import sys

import pytest

from tests.support.processes import ROOT
from tests.support.reference import REFERENCE


@pytest.mark.parametrize("database_url", [None, "", "sqlite:///var/tests.sqlite3"])
def test_the_suite_refuses_to_start_on_anything_but_postgresql(database_url):
    # given no PostgreSQL in DATABASE_URL (unset, empty, or SQLite)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    # when someone runs pytest
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/cti/test_pages.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then nothing runs, and the message says how to run it
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "The test suite runs on PostgreSQL only. Run it with `make test`" in result.stderr
    assert "passed" not in result.stdout


def test_the_reference_files_are_part_of_the_repository():
    assert REFERENCE.is_relative_to(ROOT)
    assert (REFERENCE / "rc-platform.json").stat().st_size > 1_000_000
    assert len(list((REFERENCE / "events" / "recorded").glob("telephony_events__*.json"))) == 3
    assert "licence" in (REFERENCE / "README.md").read_text()
