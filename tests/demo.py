"""`make demo`: the whole site on fake-but-realistic data, no network needed.

Starts the chutes.ai stand-in (`tests.standin`: fixture data shifted to today plus
synthetic models) on a free loopback port, runs the real scraper against it into
`instance/demo.sqlite3`, then serves the site with the "Demo data" banner. The stand-in
stops when the site does (Ctrl-C, SIGTERM or an error).

Run from the repository root: `.venv/bin/python -m tests.demo [--port 5000] [--synthetic 40]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from tests.demo_history import run_back_story, stand_in_args

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Capacity history: the stand-in serves a snapshot 12 h later on each request, starting
# CAPACITY_DAYS ago, so the scrapes before the real one fill the daily rate-limited charts.
CAPACITY_DAYS = 9
SNAPSHOT_STEP = timedelta(hours=12)
# Two fixture models worth comparing: fast, and refused 95 % / 48 % of the time.
COMPARE_IDS = "42ee92ba-a537-5a73-8741-876067750db7,b048fe26-0352-5c46-acf7-335e527e7f3d"
BIN = pathlib.Path(sys.executable).parent  # the venv's bin, whichever python runs this


@contextlib.contextmanager
def spawned_upstream(cli_args: list[str], log_path: pathlib.Path) -> Iterator[str]:
    """`python -m tests.standin --port 0 ARGS` in its own process, stderr to `log_path`;
    yields its base URL once it answers, and stops it afterwards."""
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            # Port 0: a free port, printed on the first line, so no race with other programs.
            [sys.executable, "-m", "tests.standin", "--port", "0", *cli_args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the chutes.ai stand-in did not start; see {log_path}")
        _wait_until_up(url, proc)
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the chutes.ai stand-in exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the chutes.ai stand-in did not answer at {url} in {timeout:.0f} s")


def fill_capacity_history(env: dict[str, str]) -> None:
    """Scrape once per earlier capacity snapshot (the real scrape.py run takes the last),
    in one process: importing the app once keeps this to a few seconds."""
    runs = round(timedelta(days=CAPACITY_DAYS) / SNAPSHOT_STEP)
    code = (
        "from app import create_app\n"
        "from app.scraping.run import run_scrape\n"
        "config = create_app().config\n"
        f"for _ in range({runs}):\n"
        "    run_scrape(config, source='api')\n"
    )
    subprocess.run([str(BIN / "python"), "-c", code], cwd=ROOT, env=env, check=False)


# Own probes in the demo: a few runs of the real probe.py against the stand-in's streams
# (enough for the percentiles, which need 5 ok probes), with a throwaway key.
DEMO_PROBE_RUNS = 5


def run_demo_probes(env: dict[str, str]) -> None:
    key = ROOT / "instance" / "demo-probe.key"
    key.write_text("cpk_demo_not_a_real_key\n")
    key.chmod(0o600)
    probe_env = {
        **env,
        "LEADERBOARD_PROBE_KEY_FILE": str(key),
        "LEADERBOARD_PROBE_LOCATION": "the demo machine (loopback stand-in)",
    }
    print(f"demo: {DEMO_PROBE_RUNS} probe runs against the stand-in's streams", flush=True)
    for _ in range(DEMO_PROBE_RUNS):
        subprocess.run([str(BIN / "python"), "probe.py"], cwd=ROOT, env=probe_env, check=False)
    # The site shows where probes run from (its methodology page).
    env["LEADERBOARD_PROBE_LOCATION"] = probe_env["LEADERBOARD_PROBE_LOCATION"]


def demo_env(url: str, database: str) -> dict[str, str]:
    """The environment of the demo's scrapes and site: every chutes.ai URL at the stand-in."""
    return {
        **os.environ,
        "LEADERBOARD_API_URL": url,
        "LEADERBOARD_LLM_URL": url,
        "LEADERBOARD_WEB_URL": url,
        "LEADERBOARD_DATABASE": database,
        "LEADERBOARD_REQUEST_DELAY": "0",  # the stand-in is local; no need to be polite
        "LEADERBOARD_DEMO": "1",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the site's exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="the site's port")
    parser.add_argument("--synthetic", type=int, default=40, help="synthetic models to add")
    parser.add_argument("--page-form", default="inline", help="the stand-in's page form")
    parser.add_argument("--source", default="auto", choices=["auto", "api", "html"])
    parser.add_argument("--database", default="instance/demo.sqlite3")
    args = parser.parse_args(argv)

    # SIGTERM (e.g. from a process manager) unwinds through `finally` like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    (ROOT / "instance").mkdir(exist_ok=True)
    log_path = ROOT / "instance" / "demo-upstream.log"
    first_snapshot = datetime.now(UTC) - timedelta(days=CAPACITY_DAYS)
    capacity_args = [
        "--snapshots-from",
        first_snapshot.replace(tzinfo=None).isoformat(),
        "--snapshot-step",
        str(SNAPSHOT_STEP.total_seconds()),
        "--vary-capacity",
    ]
    fresh = not (ROOT / args.database).exists()

    def scrape_from(url: str) -> subprocess.CompletedProcess:
        command = [str(BIN / "python"), "scrape.py", "--all", "--source", args.source]
        return subprocess.run(command, cwd=ROOT, env=demo_env(url, args.database))

    cli = capacity_args + stand_in_args(args.synthetic, args.page_form)
    with spawned_upstream(cli, log_path) as url:
        print(f"demo: chutes.ai stand-in at {url} (request log: {log_path})", flush=True)
        env = demo_env(url, args.database)
        subprocess.run(
            [str(BIN / "flask"), "--app", "app", "init-db"], cwd=ROOT, env=env, check=True
        )
        if fresh:
            print("demo: a first scrape of an earlier catalogue, for events to show", flush=True)
            run_back_story(
                scrape_from,
                synthetic=args.synthetic,
                today=datetime.now(UTC).date(),
                page_form=args.page_form,
                snapshot_at=first_snapshot - SNAPSHOT_STEP,
            )
        fill_capacity_history(env)
        scrape = scrape_from(url)
        if scrape.returncode != 0:
            # Like `make dev`: a failed scrape is reported but the site still comes up.
            print(f"demo: scrape.py exited with {scrape.returncode}; serving anyway", flush=True)
        run_demo_probes(env)
        site_url = f"http://{args.host}:{args.port}"
        print(f"demo: site at {site_url}/ (Ctrl-C stops both)", flush=True)
        print(f"demo: compare two models at {site_url}/compare?ids={COMPARE_IDS}", flush=True)
        site = subprocess.run(
            [
                str(BIN / "flask"),
                "--app",
                "app",
                "run",
                "--host",
                args.host,
                "--port",
                str(args.port),
            ],
            cwd=ROOT,
            env=env,
        )
        return site.returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
