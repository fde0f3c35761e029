"""tests/skip_policy.py: what `make test` says about skipped tests (locally a loud line
naming what to install, in CI a failure), in a plain run and under pytest-xdist."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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


def run_pytest(tmp_path: Path, ci: str | None, body: str = SKIPPING_TESTS, *args: str):
    (tmp_path / "conftest.py").write_text(
        "from tests.skip_policy import (  # noqa: F401\n"
        "    pytest_configure, pytest_make_collect_report, pytest_runtest_makereport,\n"
        "    pytest_terminal_summary)\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser\n    deploy\n")
    (tmp_path / "test_sample.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, str(tmp_path)],
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


# Under pytest-xdist (make test): the workers run the tests and make the reports, the
# controller counts them and prints the summary.


def test_under_xdist_the_local_line_still_prints_once(tmp_path) -> None:
    proc = run_pytest(tmp_path, None, SKIPPING_TESTS, "-n", "2")
    assert proc.returncode == 0, proc.stdout
    loud = [ln for ln in proc.stdout.splitlines() if ln.startswith("NOT A FULL RUN")]
    assert len(loud) == 1, proc.stdout
    assert "3 tests skipped" in loud[0] and "1 browser" in loud[0] and "1 deploy" in loud[0]


def test_under_xdist_a_skipped_browser_or_deploy_test_still_fails_ci(tmp_path) -> None:
    proc = run_pytest(tmp_path, "true", SKIPPING_TESTS, "-n", "2")
    assert proc.returncode == 1, proc.stdout
    assert "1 failed, 1 passed, 1 skipped, 1 error" in proc.stdout, proc.stdout
    assert "CI=true: a browser test may not skip" in proc.stdout
    assert "nginx is not installed" in proc.stdout
    assert "NOT A FULL RUN" not in proc.stdout


def test_under_xdist_a_module_skipped_at_import_still_fails_ci(tmp_path) -> None:
    body = "import pytest\npytest.importorskip('no_such_module_for_sure')\n"
    proc = run_pytest(tmp_path, "true", body, "-n", "2")
    assert proc.returncode != 0 and "may not skip" in proc.stdout, proc.stdout


def test_ci_script_runs_the_tests_with_ci_set() -> None:
    script = (ROOT / ".ci/run").read_text()
    assert "export CI=true" in script
    assert script.index("export CI=true") < script.index("make test")
