"""The apps' modules import one another in one direction: `cti → telephony → crm`, and no
module imports one that imports it back, not even from inside a function."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("crm", "telephony", "cti")  # each may import only itself and those before it


def app_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def imported(tree: ast.AST) -> set[str]:
    """Every absolute name an import anywhere in the tree could refer to (`from a import b`
    may import the module `a.b`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Each app module → the app modules it imports."""
    modules = app_modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[name] = {target for target in imported(tree) if target in modules} - {name}
    return graph


def test_the_graph_sees_imports_inside_functions():
    # cti.apps imports its system checks when the app is ready, not at module level
    assert "cti.checks" in import_graph()["cti.apps"]


def test_no_app_module_imports_one_that_imports_it_back():
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' → '.join(cycle.args[1])}") from None


def test_apps_import_only_their_own_layer_and_those_below():
    upward = sorted(
        f"{module} → {target}"
        for module, targets in import_graph().items()
        for target in targets
        if LAYERS.index(target.split(".")[0]) > LAYERS.index(module.split(".")[0])
    )
    assert upward == []
