"""What a skipped test means: a loud line locally, a failure in CI.

The browser, deploy and systemd tests skip when Chromium, nginx or systemd are not
installed, which is fine on a laptop but must never let CI pass on a partial run. Hooks
only; tests/conftest.py imports them (pytest finds hooks by name there). They hold under
pytest-xdist too: a worker turns the skip into a failure, the controller counts and prints.
"""

import os
import shutil
from collections import Counter

import pytest

# Tests that drive a real system tool; CI installs every one (.ci/run).
REAL_SYSTEM_MARKERS = ("browser", "deploy", "systemd", "node")
# Debian package -> how to tell it is installed.
APT_PACKAGES = {
    "chromium": lambda: os.access("/usr/bin/chromium", os.X_OK),
    "nginx-light": lambda: any(
        os.access(p, os.X_OK) for p in (shutil.which("nginx") or "", "/usr/sbin/nginx")
    ),
    "systemd": lambda: shutil.which("systemd-analyze") is not None,
    "sqlite3": lambda: shutil.which("sqlite3") is not None,
    "strace": lambda: shutil.which("strace") is not None,
    "nodejs": lambda: shutil.which("node") is not None,
    # tests/system/test_systemd_boot.py builds its Debian root with it (and needs root).
    "debootstrap": lambda: shutil.which("debootstrap") is not None,
}


def in_ci() -> bool:
    """CI=true (GitHub Actions, GitLab, .ci/run) or any other truthy value."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing_packages() -> list[str]:
    return [name for name, installed in APT_PACKAGES.items() if not installed()]


def _real_system_marker(item: pytest.Item) -> str | None:
    return next((m for m in REAL_SYSTEM_MARKERS if item.get_closest_marker(m)), None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if not report.skipped or hasattr(report, "wasxfail"):
        return report
    marker = _real_system_marker(item)
    # Counted in pytest_runtest_logreport, which also runs in the xdist controller: the
    # attribute travels with the report from the worker (pytest serialises its __dict__).
    report.skip_policy_kind = marker or "other"
    if marker and in_ci():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reason = str(reason).removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true: a {marker} test may not skip, CI must run everything. "
            f"It skipped because: {reason}"
        )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    # A whole module skipped at import (pytest.importorskip: e.g. Playwright missing).
    report = yield
    if in_ci() and report.skipped and isinstance(collector, pytest.Module):
        report.outcome = "failed"
        report.longrepr = f"CI=true: {collector.nodeid} may not skip: {report.longrepr}"
    return report


_SKIPPED = pytest.StashKey[Counter]()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_SkipCounter(config), "skip_policy_counter")


class _SkipCounter:
    """Counts the skips by kind where the reports arrive: in a plain run, the one process;
    under xdist, the controller, whose terminal prints the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        kind = getattr(report, "skip_policy_kind", None)
        if kind is not None:
            self.config.stash.setdefault(_SKIPPED, Counter())[kind] += 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller prints the line
        return
    skipped = config.stash.get(_SKIPPED, Counter())
    if in_ci() or not any(skipped[m] for m in REAL_SYSTEM_MARKERS):
        return
    kinds = ", ".join(f"{count} {marker}" for marker, count in sorted(skipped.items()))
    missing = missing_packages()
    fix = (
        f"missing: {' '.join(missing)} — sudo apt-get install {' '.join(missing)}"
        if missing
        else "see the skip reasons above"
    )
    terminalreporter.write_line(
        f"NOT A FULL RUN: {sum(skipped.values())} tests skipped ({kinds}); {fix}",
        red=True,
        bold=True,
    )
