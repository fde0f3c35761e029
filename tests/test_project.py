"""The project's own declarations stay in step with what is installed and run."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pins(path: pathlib.Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r"))]


def test_pyproject_declares_the_runtime_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["dependencies"] == pins(ROOT / "requirements.txt")
    assert project["requires-python"] == ">=3.11"


def test_ci_runs_lint_types_and_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    for step in ("make lint", "make test"):
        assert step in ci, step
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile[makefile.index("\nlint:") :].split("\n\n")[0]
    for tool in ("ruff check", "ruff format --check", "mypy"):
        assert tool in lint, tool
