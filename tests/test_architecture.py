"""The house rules, held by reading the code: which package may import which.

app/web, app/api and app/scraping stand side by side and never import one another; the
shared lower layers (plumbing, storage, settings, rows, the methodology, the clock, the
read model) import none of the three; there are no import cycles; and the scraper's
side loads no Flask at all.
"""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APP = ROOT / "app"
SIDES = ("app.web", "app.api", "app.scraping", "app.probing")
LOWER = (
    "app.plumbing",
    "app.db",
    "app.settings",
    "app.rows",
    "app.methodology",
    "app.clock",
    "app.ranking",
    "app.readmodel",
    "app.probe_figures",
)


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in APP.rglob("*.py")}


def imports_of(path: pathlib.Path) -> set[str]:
    """The app modules a module imports at its top level or in functions (not the
    packages an import passes through: `from app.db import models` imports app.db.models).
    Imports under `if TYPE_CHECKING:` are left out: they never run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("app"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else str(node.module))
    return {name for name in found if name in MODULES}


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_is_read():
    # A rule over an empty graph would hold vacuously.
    assert len(MODULES) > 60
    assert "app.db.models" in GRAPH["app.readmodel"]
    assert "app.plumbing.bodies" in GRAPH["app.web.badge"]


@pytest.mark.parametrize("side", SIDES)
def test_the_sides_never_import_one_another(side):
    others = [s for s in SIDES if s != side]
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if within(name, side)
        for target in targets
        if any(within(target, other) for other in others)
    )
    assert wrong == []


@pytest.mark.parametrize("layer", LOWER)
def test_the_lower_layers_import_none_of_the_sides(layer):
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if within(name, layer)
        for target in targets
        if any(within(target, side) for side in SIDES) or target == "app.factory"
    )
    assert wrong == []


def test_no_import_cycles():
    """Depth-first search for a back edge; the cycle is named if there is one."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[name] = "done"
        path.pop()
        return None

    for name in sorted(GRAPH):
        if name not in state:
            assert visit(name) is None


def loaded_modules(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import app.scraping.run",
        "import app.settings, app.clock, app.db.write",
        "import scrape",
        "import app.probing.measure",
    ],
)
def test_the_scraper_loads_no_flask(code):
    loaded = loaded_modules(code)
    assert {"app.scraping.run", "app.settings", "app.probing.measure"} & loaded  # it really ran
    assert not {m for m in loaded if m.split(".")[0] in {"flask", "werkzeug", "jinja2"}}


def test_scrape_help_imports_no_flask():
    """The issue's own check: `python -X importtime scrape.py --help` shows no flask."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "scrape.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "app.scraping.run" in result.stderr
    assert "flask" not in result.stderr


def test_the_web_side_still_builds_the_whole_app():
    # The documented entry points: `from app import create_app`, flask --app app.
    loaded = loaded_modules("from app import create_app\ncreate_app({'TESTING': True})")
    assert {"flask", "app.factory", "app.web.board", "app.api.routes"} <= loaded
