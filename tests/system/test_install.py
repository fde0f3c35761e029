"""deploy/install.sh: atomic releases, hash-locked dependencies, validated server names."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy_helpers import DEPLOY, ROOT, SERVER_NAME

pytestmark = pytest.mark.deploy


# --- install.sh: atomic releases, hash-locked dependencies, validated server names ----------

INSTALL_SH = DEPLOY / "install.sh"
PREFIX = "opt/chutes-leaderboard"


def run_install(root: Path, *args: str, src: Path = ROOT, path_prefix: str = "", venv=False):
    env = {**os.environ, "DESTDIR": ""}
    if path_prefix:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    return subprocess.run(
        [
            "bash",
            str(src / "deploy/install.sh"),
            "--root",
            str(root),
            *([] if venv else ["--no-venv"]),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def checkout_copy(tmp_path: Path) -> Path:
    """A copy of what install.sh installs, to change without touching the checkout."""
    src = tmp_path / "src"
    src.mkdir()
    for item in [
        "app",
        "static",
        "templates",
        "deploy",
        "schema.sql",
        "scrape.py",
        "probe.py",
        "requirements.txt",
        "requirements.lock",
        "pyproject.toml",
    ]:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, src / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, src / item)
    return src


@pytest.mark.parametrize(
    "name",
    [
        "evil.example;\n    include /etc/passwd",
        "a..b",
        "-a.example",
        "a_b.example",
        "x" * 64 + ".example",
        "ok.example bad}",
        "{}",
        "ok.example\tother",
        "*.example.com",
    ],
)
def test_install_refuses_a_server_name_that_is_no_host_name(tmp_path, name) -> None:
    proc = run_install(tmp_path / "root", "--server-name", name)
    assert proc.returncode != 0
    assert "--server-name must be host names" in proc.stderr
    assert not (tmp_path / "root").exists()  # refused before anything was written


@pytest.mark.parametrize(
    "names",
    [
        "leaderboard.example.com www.leaderboard.example.com",
        "localhost",
        "203.0.113.7",
        "xn--bcher-kva.example",
        "a-b.c-d.example.",
    ],
)
def test_install_accepts_host_names(tmp_path, names) -> None:
    proc = run_install(tmp_path / "root", "--server-name", names)
    assert proc.returncode == 0, proc.stderr
    site = (tmp_path / "root/etc/nginx/sites-available/chutes-leaderboard.conf").read_text()
    assert f"server_name {names};" in site


def test_an_upgrade_that_dies_midway_leaves_the_old_release_live(tmp_path) -> None:
    src = checkout_copy(tmp_path)
    root = tmp_path / "root"
    assert run_install(root, "--server-name", SERVER_NAME, src=src).returncode == 0
    live = root / PREFIX
    assert live.is_symlink()
    first = os.readlink(live)
    assert first.startswith("chutes-leaderboard.releases/")

    # A new version; the copy of templates/ fails (disk full, a kill) half way.
    (src / "app/new_module.py").write_text("VERSION = 2\n")
    (src / "templates/new.html").write_text("v2\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "cp").write_text(
        '#!/bin/sh\ncase "$*" in *templates*) echo "cp: No space left" >&2; exit 1;; esac\n'
        'exec /bin/cp "$@"\n'
    )
    (fake / "cp").chmod(0o755)
    proc = run_install(root, src=src, path_prefix=str(fake))
    assert proc.returncode != 0
    assert os.readlink(live) == first  # nothing of the new version is live
    assert not (live / "app/new_module.py").exists()
    assert (live / "templates/index.html").is_file()

    # The next run completes it, switches in one step, and keeps the previous release.
    proc = run_install(root, src=src)
    assert proc.returncode == 0, proc.stderr
    assert os.readlink(live) != first and (live / "app/new_module.py").is_file()
    releases = sorted(p.name for p in (root / "opt/chutes-leaderboard.releases").iterdir())
    assert first.split("/")[1] in releases and len(releases) == 2, releases


def test_upgrade_from_the_layout_without_releases(tmp_path) -> None:
    root = tmp_path / "root"
    old = root / PREFIX
    (old / "app").mkdir(parents=True)
    (old / "app/old.py").write_text("# before releases\n")
    assert run_install(root, "--server-name", SERVER_NAME).returncode == 0
    assert old.is_symlink() and (old / "app/__init__.py").is_file()
    assert not (old / "app/old.py").exists()


def test_install_and_make_use_the_hash_locks_only() -> None:
    script = INSTALL_SH.read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "--upgrade pip" not in script and "--upgrade pip" not in makefile
    assert '--require-hashes -r "$SRC/$LOCK"' in script and "LOCK=requirements.lock" in script
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-dev.lock" in makefile


@pytest.mark.parametrize(
    ("inputs", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_locks_pin_every_package_with_hashes(inputs, lock) -> None:
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
    pins = {}
    for entry in entries:
        head = entry.strip().split(" ", 1)[0]
        if "==" in head:
            name, version = head.split("==")
            pins[name.lower()] = version
            assert "--hash=sha256:" in entry, head
    # Every direct pin is in the lock at the same version...
    for path in {inputs, "requirements.txt"}:
        for line in (ROOT / path).read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==")
                assert pins[name.strip().lower()] == version.strip(), (path, line)
    # ...and so are the transitive dependencies (this is what the .txt files lack).
    assert {"jinja2", "markupsafe", "itsdangerous", "cachelib", "idna", "certifi"} <= set(pins)


@pytest.mark.slow
def test_a_lock_with_a_wrong_hash_never_goes_live(tmp_path) -> None:
    """A real venv: dependencies are installed and verified before the switch; a tampered
    package (its hash does not match) stops the upgrade with the old release live."""
    src = checkout_copy(tmp_path)
    root = tmp_path / "root"
    proc = run_install(root, "--server-name", SERVER_NAME, src=src, venv=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    live = root / PREFIX
    first = os.readlink(live)
    python = live / ".venv/bin/python"
    check = subprocess.run([str(python), "-c", "import flask, flask_caching, requests"])
    assert check.returncode == 0

    # Every hash of flask's files altered: as if PyPI (or a mirror) served other bytes.
    lock = src / "requirements.lock"
    entry = re.compile(r"^flask==\S+ \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", re.M)
    text = lock.read_text()
    found = entry.search(text)
    assert found
    tampered = re.sub(r"sha256:[0-9a-f]{8}", "sha256:00000000", found.group(0))
    lock.write_text(text.replace(found.group(0), tampered))
    (src / "app/new_module.py").write_text("VERSION = 2\n")
    proc = run_install(root, src=src, venv=True)
    assert proc.returncode != 0
    assert "hash" in (proc.stdout + proc.stderr).lower()
    assert os.readlink(live) == first
    assert not (live / "app/new_module.py").exists()
