"""The sandbox is its own program: it runs standalone and never imports the Django apps."""

import subprocess
import sys

from tests.support.processes import ROOT


def test_sandbox_imports_no_django_app():
    code = (
        "import sys, sandbox.app, sandbox.__main__\n"
        "apps = ('django', 'cti', 'crm', 'telephony')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in apps)\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_unknown_seed_stops_start_up_with_a_message():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--seed", "nope", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "unknown seed 'nope'; known: basic" in result.stderr
