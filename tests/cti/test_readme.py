"""The README says what ships: every test its table of what works today names exists."""

import ast
import re

from tests.support.processes import ROOT

README = (ROOT / "README.md").read_text()


def functions_in(path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_readme_names_exists():
    table = README.split("## What works today", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", table)
    assert len(named) > 40
    missing = [
        f"{path}::{name}" if name else path
        for path, name in named
        if not (ROOT / path).is_file() or (name and name not in functions_in(ROOT / path))
    ]
    assert missing == []


def test_every_row_of_what_works_names_a_test():
    table = README.split("## What works today", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 15
    assert [row for row in rows[1:] if "`tests/" not in row] == []
