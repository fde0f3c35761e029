"""Issue 12, a newcomer's path: what `make test` says about skipped tests (locally a loud
line naming what to install, in CI a failure), and what `make dev` says offline."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app import create_app

ROOT = Path(__file__).resolve().parents[1]

SKIPPING_TESTS = textwrap.dedent(
    """
    import pytest

    @pytest.mark.browser
    def test_needs_chromium():
        pytest.skip("/usr/bin/chromium is missing")

    @pytest.mark.deploy
    @pytest.mark.skipif(True, reason="nginx is not installed")
    def test_needs_nginx():
        pass

    def test_plain_skip():
        pytest.skip("../shared is not beside this checkout")

    def test_passes():
        pass
    """
)


def run_pytest(tmp_path: Path, ci: str | None, body: str = SKIPPING_TESTS):
    (tmp_path / "conftest.py").write_text(
        "from tests.skip_policy import (  # noqa: F401\n"
        "    pytest_make_collect_report, pytest_runtest_makereport, pytest_terminal_summary)\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser\n    deploy\n")
    (tmp_path / "test_sample.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_local_run_names_what_is_missing_in_one_loud_line(tmp_path) -> None:
    proc = run_pytest(tmp_path, ci=None)
    assert proc.returncode == 0, proc.stdout
    loud = [ln for ln in proc.stdout.splitlines() if ln.startswith("NOT A FULL RUN")]
    assert len(loud) == 1, proc.stdout
    assert "3 tests skipped" in loud[0] and "1 browser" in loud[0] and "1 deploy" in loud[0]
    assert "apt-get install" in loud[0] or "see the skip reasons" in loud[0]


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_skipped_browser_or_deploy_test_fails(tmp_path, ci) -> None:
    proc = run_pytest(tmp_path, ci=ci)
    assert proc.returncode == 1, proc.stdout
    # The skipif one skips in setup, so pytest counts it as an error: red either way.
    assert "1 failed, 1 passed, 1 skipped, 1 error" in proc.stdout, proc.stdout
    assert "CI=true: a browser test may not skip" in proc.stdout
    assert "nginx is not installed" in proc.stdout
    assert "NOT A FULL RUN" not in proc.stdout


def test_in_ci_a_module_skipped_at_import_fails(tmp_path) -> None:
    body = "import pytest\npytest.importorskip('no_such_module_for_sure')\n"
    assert run_pytest(tmp_path, ci="false", body=body).returncode == 5  # nothing ran
    proc = run_pytest(tmp_path, ci="true", body=body)
    assert proc.returncode != 0 and "may not skip" in proc.stdout, proc.stdout


def test_ci_script_runs_the_tests_with_ci_set() -> None:
    script = (ROOT / ".ci/run").read_text()
    assert "export CI=true" in script
    assert script.index("export CI=true") < script.index("make test")


# --- make dev, offline ----------------------------------------------------------------


def test_make_dev_offline_says_why_in_one_line_and_goes_on(tmp_path) -> None:
    closed = "http://127.0.0.1:9"  # nothing listens on the discard port: refused at once
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": str(tmp_path / "dev.sqlite3"),
        "LEADERBOARD_API_URL": closed,
        "LEADERBOARD_LLM_URL": closed,
        "LEADERBOARD_WEB_URL": closed,
    }
    # The venv is already there: don't let make reinstall it.
    old = ["--assume-old=.venv/.runtime", "--assume-old=.venv/bin/python"]
    start = time.monotonic()
    proc = subprocess.run(
        ["make", "--no-print-directory", *old, "dev-scrape"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    out = proc.stdout
    assert proc.returncode == 0, out
    assert "Retrying" not in out
    assert "Error 1" not in out and "ignored" not in out
    errors = [ln for ln in out.splitlines() if ln.startswith("ERROR")]
    assert len(errors) == 1 and "failed" in errors[0], out
    assert "make demo" in out.splitlines()[-1]
    assert elapsed < 10, elapsed


def test_scrape_verbose_shows_the_retries(db_path) -> None:
    closed = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": db_path,  # initialised: the scraper never creates it
        "LEADERBOARD_LLM_URL": closed,
        "LEADERBOARD_SOURCE": "api",
        "LEADERBOARD_HTTP_RETRIES": "1",
    }
    proc = subprocess.run(
        [sys.executable, "scrape.py", "--verbose"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Retrying" in proc.stderr


@pytest.mark.parametrize(("debug", "make_demo"), [(True, True), (False, False)])
def test_empty_state_tells_a_developer_about_make_demo(db_path, debug, make_demo) -> None:
    app = create_app({"TESTING": True, "DATABASE": db_path, "DEBUG": debug})
    page = app.test_client().get("/").get_data(as_text=True)
    assert ("make demo" in page) is make_demo
    # Under `make dev` no timer runs: no promise of a scrape within minutes.
    assert ("scrape runs within" in page) is not debug


def test_readme_names_host_and_port() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "HOST=" in readme and "PORT=" in readme
