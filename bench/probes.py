"""`make bench`, own probes: what a probe run costs in CPU and memory, and the CPU share of
the prober while it times a stream (the goal: the prober adds < 5 % CPU to what it
measures, so its per-token work cannot slow the stream it times).

The stand-in (tests/standin) serves from this process; probe.py runs as a child through
bench/rusage.py, so the CPU seconds and peak RSS are the prober's alone (a child of this
process would report this process's size as its peak). Runs, all measured:

- no probe (daily token budget 0): start-up, imports, the catalogue read, the budget
  check and the probe_runs row: the fixed cost of a run, for 15 and for 300 models;
- realistic streams, 15 models: 256 tokens each at rates spread from 20 to 400 tok/s,
  first tokens after 0.1 to 2 s (a deterministic spread, tps and first-token delay
  interleaved);
- the fastest stream of that spread, 15 models: 256 tokens at 400 tok/s, first token
  after 0.1 s, where per-token work weighs most against the stream's time;
- fast streams, 300 models: 64 tokens at 1,000 tok/s (a big catalogue's per-run cost:
  DB reads, budget, writes, without waiting minutes for realistic streams).

Derived (said so in the output): per-probe CPU = (run - the no-probe run of the same
catalogue) / probes; per-probe wall = the mean total_s the probes stored (request sent to
last token); CPU per token = per-probe CPU / tokens; CPU share while streaming =
per-probe CPU / per-probe wall; the 300-model realistic run = its no-probe run + 300 x
the 15-model realistic per-probe cost and wall. Also measured: the prober's own
per-token code in-process, and the floor (a bare socket loop reading the same streams).
Numbers, not assertions: printed, and written into bench/results.md's own-probes section
(replaced when there is one).
"""

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.test import Client  # noqa: E402

from app.db import connection  # noqa: E402
from app.db import models as model_store  # noqa: E402
from app.probing.measure import StreamMeter  # noqa: E402
from app.probing.sse import SseDecoder  # noqa: E402
from tests.helpers import scrape  # noqa: E402
from tests.standin import Dataset, UpstreamApp, serve  # noqa: E402
from tests.standin.chat import ChatBehaviour  # noqa: E402

RESULTS = ROOT / "bench" / "results.md"
HEADING = "## Own probes (bench/probes.py)"
GOAL_SHARE = 0.05
TOKENS = 256  # PROBE_MAX_TOKENS's default: what one probe asks for
SLOW_TPS, FAST_TPS = 20.0, 400.0
SHORT_TTFT, LONG_TTFT = 0.1, 2.0
SMALL, BIG = 15, 300
FAST = ChatBehaviour(ttft=0.02, tps=1000.0, tokens=64)
FASTEST = ChatBehaviour(ttft=SHORT_TTFT, tps=FAST_TPS, tokens=TOKENS)
NO_PROBE_REPEATS = 3  # the fixed cost is small and noisy: its median
FASTEST_REPEATS = 3


@dataclass(frozen=True)
class Run:
    probes: int
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    waits: float = 0.0  # voluntary context switches (wake-ups)
    tps: tuple[float, ...] = ()  # what the run's ok probes measured
    stream_s: tuple[float, ...] = ()  # their total_s: request sent to last token


def spread(count: int) -> list[ChatBehaviour]:
    """`count` realistic answers: rates evenly from SLOW_TPS to FAST_TPS, first-token
    delays evenly from SHORT_TTFT to LONG_TTFT, paired by a fixed permutation so the fast
    streams are not all the quick starters."""
    step = max(1, count - 1)
    stride = next(s for s in (4, 7, 11, 13, 3, 2, 1) if _coprime(s, count))
    return [
        ChatBehaviour(
            ttft=SHORT_TTFT + (LONG_TTFT - SHORT_TTFT) * ((i * stride) % count) / step,
            tps=SLOW_TPS + (FAST_TPS - SLOW_TPS) * i / step,
            tokens=TOKENS,
        )
        for i in range(count)
    ]


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1


@dataclass
class Catalogue:
    upstream: UpstreamApp
    database: str
    base: str
    key: str
    names: list[str]

    def behave(self, behaviours: list[ChatBehaviour] | ChatBehaviour) -> None:
        """Every probed model's answer: one for all, or one each (names sorted)."""
        chat = self.upstream.chat
        if isinstance(behaviours, ChatBehaviour):
            chat.default, chat.by_model = behaviours, {}
            return
        chat.by_model = dict(zip(self.names, behaviours, strict=True))

    def probe_run(self, daily_tokens: int) -> Run:
        """One probe.py run as the timer starts it; its wall time, CPU and peak RSS."""
        env = {
            **os.environ,
            "LEADERBOARD_DATABASE": self.database,
            "LEADERBOARD_LLM_URL": self.base,
            "LEADERBOARD_REQUEST_DELAY": "0",
            "LEADERBOARD_RUN_BUDGET": "100000",
            "LEADERBOARD_PROBE_KEY_FILE": self.key,
            "LEADERBOARD_PROBE_DAILY_TOKENS": str(daily_tokens),
        }
        before = self.probe_count()
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "bench.rusage", sys.executable, "probe.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        wall = time.monotonic() - started
        usage = json.loads(out)
        assert usage["returncode"] == 0, usage
        return Run(
            self.probe_count() - before,
            wall,
            usage["cpu_s"],
            usage["max_rss_kib"] / 1024,
            usage["waits"],
            *self.measured(before),
        )

    def measured(self, after: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The tps and total_s of the ok probes stored after the first `after` ones."""
        conn = connection.connect(self.database)
        try:
            rows = conn.execute(
                "SELECT tps, total_s FROM probes WHERE outcome = 'ok' AND tps IS NOT NULL"
                " ORDER BY id LIMIT -1 OFFSET ?",
                (after,),
            ).fetchall()
        finally:
            conn.close()
        return tuple(float(r[0]) for r in rows), tuple(float(r[1]) for r in rows)

    def probe_count(self) -> int:
        conn = connection.connect(self.database)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM probes").fetchone()[0])
        finally:
            conn.close()

    def bare_read(self, streams: int) -> float:
        """CPU seconds of a child that reads `streams` answers with a bare socket loop."""
        host, port = self.base.rsplit("//", 1)[1].split(":")
        argv = [sys.executable, "-c", BARE_READER, host, port, str(streams), self.names[0]]
        out = subprocess.run(
            [sys.executable, "-m", "bench.rusage", *argv],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        usage = json.loads(out)
        assert usage["returncode"] == 0, usage
        return float(usage["cpu_s"])

    def no_probe(self) -> Run:
        """The fixed cost: a run whose daily budget allows no probe (median of a few)."""
        runs = [self.probe_run(0) for _ in range(NO_PROBE_REPEATS)]
        assert all(r.probes == 0 for r in runs)
        return Run(
            0,
            statistics.median(r.wall_s for r in runs),
            statistics.median(r.cpu_s for r in runs),
            statistics.median(r.max_rss_mb for r in runs),
            statistics.median(r.waits for r in runs),
        )


@contextmanager
def catalogue(models: int) -> Iterator[Catalogue]:
    """A scraped database of `models` stand-in models and the stand-in serving them."""
    with tempfile.TemporaryDirectory() as tmp:
        database = os.path.join(tmp, "bench.sqlite3")
        connection.init_db(database)
        today = datetime.now(UTC).date()
        upstream = UpstreamApp(Dataset.synthetic(models, days=2, today=today, seed=1))
        with serve(upstream) as base:
            assert scrape(database, base).status in ("ok", "partial")
            key = Path(tmp) / "probe.key"
            key.write_text("cpk_bench")
            conn = connection.connect(database)
            try:
                names = sorted(m["name"] for m in model_store.list_models(conn) if m.get("name"))
            finally:
                conn.close()
            yield Catalogue(upstream, database, base, str(key), names)


UNLIMITED = 10**9
# The floor: the same streams read by a bare socket loop (no HTTP library, no parsing),
# in a child of its own; argv: host port streams model.
BARE_READER = """
import socket, sys
host, port, streams, model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
body = ('{"model": "%s", "max_tokens": 256, "stream": true}' % model).encode()
head = "POST /v1/chat/completions HTTP/1.1\\r\\nHost: %s\\r\\nContent-Type: application/json"
head += "\\r\\nContent-Length: %d\\r\\n\\r\\n"
for _ in range(streams):
    sock = socket.create_connection((host, port))
    sock.sendall((head % (host, len(body))).encode() + body)
    while (data := sock.recv(65536)) and b"[DONE]" not in data:
        pass
    sock.close()
"""
OWN_CODE_REPEATS = 200


def own_code_per_token() -> float:
    """CPU seconds per token of the prober's own per-token code (SseDecoder.feed and
    StreamMeter.event), in this process, over the stand-in's own event bytes: what it
    adds to each read, without the HTTP stack or the wait for the bytes."""
    upstream = UpstreamApp(Dataset.synthetic(1, days=1, seed=1))
    upstream.chat.default = ChatBehaviour(ttft=0.0, tps=1e9, tokens=TOKENS)
    response = Client(upstream).post(
        "/v1/chat/completions",
        json={"model": "m", "max_tokens": TOKENS, "stream": True,
              "stream_options": {"include_usage": True}},
    )  # fmt: skip
    chunks = list(response.iter_encoded())
    started = time.process_time()
    for _ in range(OWN_CODE_REPEATS):
        decoder, meter = SseDecoder(), StreamMeter(0.0, 60.0, 180.0)
        for at, chunk in enumerate(chunks):
            for data in decoder.feed(chunk):
                meter.event(float(at), data)
        assert meter.result().output_tokens == TOKENS
    return (time.process_time() - started) / OWN_CODE_REPEATS / TOKENS


def measure() -> tuple[dict[str, Run], float, float]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the stand-in's request lines
    runs: dict[str, Run] = {}
    with catalogue(SMALL) as small:
        runs["small_none"] = small.no_probe()
        small.behave(spread(len(small.names)))
        runs["small_real"] = small.probe_run(UNLIMITED)
        small.behave(FASTEST)
        # The share that matters most, and the one that moves most with the machine's
        # load: a few runs, the median one in the table, the others beside it.
        fastest = sorted(
            (small.probe_run(UNLIMITED) for _ in range(FASTEST_REPEATS)), key=lambda r: r.cpu_s
        )
        runs["small_fastest"] = fastest[len(fastest) // 2]
        for index, run in enumerate(fastest):
            runs[f"fastest_{index}"] = run
        bare = (small.bare_read(SMALL) - small.bare_read(0)) / (SMALL * TOKENS)
    with catalogue(BIG) as big:
        runs["big_none"] = big.no_probe()
        big.behave(FAST)
        runs["big_fast"] = big.probe_run(UNLIMITED)
    return runs, own_code_per_token(), bare


@dataclass(frozen=True)
class PerProbe:
    cpu_s: float
    wall_s: float
    tokens: int
    waits: float = 0.0

    @property
    def waits_per_token(self) -> float:
        return self.waits / self.tokens

    @property
    def cpu_per_token_us(self) -> float:
        return self.cpu_s / self.tokens * 1e6

    @property
    def share(self) -> float:
        return self.cpu_s / self.wall_s


def per_probe(run: Run, none: Run, tokens: int) -> PerProbe:
    """Per probe: CPU beyond the no-probe run's, and the stream's own wall time (what the
    probes measured as total_s; the run's wall minus the no-probe run's is as noisy as a
    loaded machine makes the short no-probe run)."""
    assert len(run.stream_s) == run.probes, "every probe of a bench run is ok"
    return PerProbe(
        (run.cpu_s - none.cpu_s) / run.probes,
        statistics.fmean(run.stream_s),
        tokens,
        (run.waits - none.waits) / run.probes,
    )


def report(runs: dict[str, Run], own: float, bare: float, load: float) -> str:
    real = per_probe(runs["small_real"], runs["small_none"], TOKENS)
    fastest = per_probe(runs["small_fastest"], runs["small_none"], TOKENS)
    each_share = ", ".join(
        f"{per_probe(runs[f'fastest_{i}'], runs['small_none'], TOKENS).share * 100:.2f} %"
        for i in range(FASTEST_REPEATS)
    )
    fast = per_probe(runs["big_fast"], runs["big_none"], FAST.tokens)
    none = runs["big_none"]
    big_real = Run(
        BIG, none.wall_s + BIG * real.wall_s, none.cpu_s + BIG * real.cpu_s, float("nan")
    )
    spread_text = (
        f"{TOKENS} tokens at {SLOW_TPS:g}-{FAST_TPS:g} tok/s, first token after"
        f" {SHORT_TTFT:g}-{LONG_TTFT:g} s"
    )
    rows = [
        ("no probe (daily budget 0: start-up, catalogue read, run row)", SMALL, "small_none"),
        (f"realistic streams ({spread_text})", SMALL, "small_real"),
        (f"fastest stream of the spread ({TOKENS} tokens at {FAST_TPS:g} tok/s)", SMALL,
         "small_fastest"),
        ("no probe (daily budget 0)", BIG, "big_none"),
        (f"fast streams ({FAST.tokens} tokens at {FAST.tps:g} tok/s)", BIG, "big_fast"),
    ]  # fmt: skip
    lines = [
        HEADING,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.probes`: one",
        "probe.py process per row, against the loopback stand-in (REQUEST_DELAY 0). CPU and",
        'peak RSS are the probe.py process\'s own (rusage); "no probe" rows are the median of',
        f"{NO_PROBE_REPEATS} runs. Load average at start: {load:.2f} on {os.cpu_count()} cores.",
        "The stand-in, like an inference server, sends each token on its own, so each token",
        "is one wake-up and one read of the prober: the figures below split what that costs.",
        "",
        "| Run | models | probes | wall s | CPU s | peak RSS MB | |",
        "|---|---|---|---|---|---|---|",
    ]
    for what, models, name in rows:
        r = runs[name]
        lines.append(
            f"| {what} | {models} | {r.probes} | {r.wall_s:.2f} | {r.cpu_s:.2f} |"
            f" {r.max_rss_mb:.0f} | measured |"
        )
    lines.append(
        f"| realistic streams ({spread_text}) | {BIG} | {BIG} | {big_real.wall_s:.0f} |"
        f" {big_real.cpu_s:.2f} | {runs['big_fast'].max_rss_mb:.0f} | derived: the {BIG}-model"
        f" no-probe run + {BIG} x the {SMALL}-model realistic per-probe cost; RSS as in the"
        f" {BIG}-model fast run (rows are not kept past their probe); past RUN_BUDGET's"
        " default 300 s, so a real run would stop partial |"
    )

    def verdict(share: float) -> str:
        return "met" if share < GOAL_SHARE else "**not met**"

    lines += [
        "",
        "| Figure (derived from the runs above) | Value | Goal | Result |",
        "|---|---|---|---|",
        f"| Fixed cost of a run, {SMALL} / {BIG} models (no-probe runs) |"
        f" {runs['small_none'].cpu_s:.2f} / {none.cpu_s:.2f} s CPU | info | info |",
        f"| CPU per probe, realistic streams ({TOKENS} tokens) |"
        f" {real.cpu_s * 1000:.1f} ms ({real.cpu_per_token_us:.0f} µs per token, the"
        " probe's own fixed work included) | info | info |",
        f"| CPU per probe, fastest stream ({TOKENS} tokens at {FAST_TPS:g} tok/s) |"
        f" {fastest.cpu_s * 1000:.1f} ms ({fastest.cpu_per_token_us:.0f} µs per token;"
        f" {fastest.waits_per_token:.2f} wake-ups per token: fewer when the machine is busy"
        " and tokens queue up between reads) | info | info |",
        f"| CPU per probe, {BIG}-model catalogue, fast streams ({FAST.tokens} tokens) |"
        f" {fast.cpu_s * 1000:.1f} ms ({fast.cpu_per_token_us:.0f} µs per token) | info | info |",
        f"| The prober's own per-token code (SSE decoding + meter, in-process, measured) |"
        f" {own * 1e6:.1f} µs per token: {own * FAST_TPS * 100:.2f} % of a core at"
        f" {FAST_TPS:g} tok/s | info | info |",
        f"| The floor: the fastest streams read by a bare socket loop, no HTTP library, no"
        f" parsing (a child of its own, measured) | {bare * 1e6:.0f} µs per token:"
        f" {bare * FAST_TPS * 100:.2f} % at {FAST_TPS:g} tok/s; the prober's per-token CPU"
        f" above it ({(fastest.cpu_per_token_us - bare * 1e6):.0f} µs) is the HTTP stack"
        " (requests/urllib3, http.client's chunked reading) run once per wake-up, and its"
        " own code | info | info |",
        f"| Stream wall time per probe, realistic spread (the probes' total_s: request sent"
        f" to last token) | {real.wall_s:.2f} s | info | info |",
        f"| CPU share while streaming, realistic spread (CPU per probe / its wall time) |"
        f" {real.share * 100:.2f} % | < 5 % | {verdict(real.share)} |",
        f"| CPU share while streaming, fastest stream ({FAST_TPS:g} tok/s) |"
        f" {fastest.share * 100:.2f} %, the median of {FASTEST_REPEATS} runs ({each_share})"
        f" of {fastest.wall_s:.2f} s a probe | < 5 % | {verdict(fastest.share)} |",
        f"| What the fastest probes measured (the stand-in sends {FAST_TPS:g} tok/s) |"
        f" {_spread_of(runs['small_fastest'].tps)} | the stream not slowed | info |",
        f"| CPU share of a whole {BIG}-model realistic run (start-up included) |"
        f" {big_real.cpu_s / big_real.wall_s * 100:.2f} % of {big_real.wall_s / 60:.0f} min"
        " | info | info |",
    ]
    return "\n".join(lines) + "\n"


def _spread_of(values: tuple[float, ...]) -> str:
    if not values:
        return "no ok probe"
    return (
        f"median {statistics.median(values):.1f} tok/s (min {min(values):.1f}, max"
        f" {max(values):.1f}; {len(values)} probes)"
    )


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the own-probes section of results.md (up to the next `## `), or append it."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    start = old.find(HEADING)
    if start < 0:
        path.write_text(old.rstrip("\n") + "\n\n" + text)
        return
    end = old.find("\n## ", start + len(HEADING))
    rest = "" if end < 0 else old[end:]
    path.write_text(old[:start] + text + rest)


def main() -> None:
    load = os.getloadavg()[0]
    runs, own, bare = measure()
    text = report(runs, own, bare, load)
    print(text)
    write_section(text)


if __name__ == "__main__":
    main()
