"""Surge: wrk sends pre-signed, distinct Slack requests over loopback to ``golive serve`` (the
production gunicorn server, in a subprocess, on a large provider's database) and, in the same
run, to two bare Bolt apps served the same way (benchmarks/bare.py): `/golive`, report
submissions and triage button clicks at 1, 10 and 50 concurrent clients, on SQLite and
PostgreSQL. The fake Slack Web API (tests/fakeslack.py) answers every call after a Slack-like
delay, so a Web API call made before the ack shows in the latency.

Afterwards every submission wrk sent is checked against the database: one issue per submitted
view, none lost, none doubled. Peak resident memory is the sum over gunicorn's master and
workers, sampled from /proc.
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, bindparam, text

from benchmarks import webapi_cost
from benchmarks.databases import BACKENDS, fresh_database, pg_available
from benchmarks.provider import CHANNELS, generate, user_id
from bot.ids import Report, Triage
from store.records.enums import ChannelPurpose
from store.records.models import ISSUE_PREFIX
from tests.fakeslack import FakeSlack
from tests.slack_requests import (
    block_actions,
    plain_text_input,
    radio_buttons,
    sign,
    slash_command,
    static_select,
    view_submission,
)

HERE = Path(__file__).parent
ROOT = HERE.parent
SECRET = "bench-signing-secret"
KINDS = ("slash", "submit", "click")
CONCURRENCY = (1, 10, 50)
WORKERS, THREADS = 2, 8
FORM = "application/x-www-form-urlencoded"
# Requests generated per second of run, above the fastest rate seen, so none is reused.
RATE_CAP = {"bolt": 6000, "slash": 4000, "click": 4000, "submit": 2500, "submit_new": 600}


@dataclass(frozen=True)
class Target:
    """A server under test: golive on one backend, or a bare Bolt app."""

    name: str
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not become healthy")


@contextmanager
def serving(
    name: str, command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[Target]:
    """Start a server in its own process group; stop it (master and workers) afterwards."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield Target(name, url, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_tree(root: int) -> list[int]:
    """A process and all its descendants (gunicorn's master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(entry)) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds used so far by a process and its descendants."""
    ticks = 0
    for pid in process_tree(root):
        if (fields := _stat_fields(pid)) is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_memory_kib(root: int) -> tuple[int, int]:
    """Resident (RSS) and proportional (PSS: shared pages split between their sharers) memory
    of a process and all its descendants, from /proc. Gunicorn's workers share the pages the
    master loaded before forking, so the RSS sum counts those once per process."""
    rss = pss = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


class PeakRss:
    """Samples the server tree's memory every 100 ms while running; the peaks, in KiB."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = tree_memory_kib(self.pid)
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(0.1)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------- requests


def report_state(service_id: int, description: str) -> dict[str, Any]:
    """The report modal's state as Slack sends it on submit (block id == action id)."""
    return {
        Report.SERVICE: {Report.SERVICE: static_select(str(service_id))},
        Report.CATEGORY: {Report.CATEGORY: static_select("medication")},
        Report.DESCRIPTION: {Report.DESCRIPTION: plain_text_input(description)},
        Report.IMPACT: {Report.IMPACT: radio_buttons("some")},
        Report.URGENCY: {Report.URGENCY: radio_buttons("medium")},
        Report.WORKAROUND: {Report.WORKAROUND: radio_buttons("safe")},
        Report.WORKAROUND_DETAIL: {Report.WORKAROUND_DETAIL: plain_text_input(None)},
    }


def request_body(kind: str, i: int, run: str, rng: random.Random, hooks: str) -> str:
    """One distinct request: its own trigger id, and for a submission its own view id."""
    if kind == "slash":
        user = user_id(rng.randrange(1000))
        return urlencode(slash_command("", user_id=user, hooks_url=hooks))
    if kind == "click":
        ref = f"GL-{rng.randrange(1, 50_001):04d}"
        payload = block_actions(
            Triage.ASSIGN,
            ref,
            user_id=user_id(0),
            block_id=f"{Triage.ACTIONS_BLOCK}:{ref}",
            hooks_url=hooks,
        )
        return urlencode({"payload": json.dumps(payload)})
    view = f"V{run}{i:08d}"
    user = user_id(rng.randrange(1000)) if kind == "submit" else f"UN{run}{i:07d}"
    payload = view_submission(
        Report.MODAL,
        report_state(rng.randrange(1, 151), f"Surge report {view}: eMAR would not load"),
        user_id=user,
        view_id=view,
        view_hash=f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
    )
    return urlencode({"payload": json.dumps(payload)})


def write_requests(path: Path, kind: str, count: int, run: str, hooks: str) -> list[str]:
    """Sign ``count`` requests now (Bolt refuses a timestamp over five minutes old); returns
    the view ids of submissions, in file order."""
    rng = random.Random(run)
    views = []
    with path.open("w") as handle:
        for i in range(count):
            body = request_body(kind, i, run, rng, hooks)
            headers = sign(body, SECRET)
            handle.write(
                f"{headers['X-Slack-Request-Timestamp']}\t{headers['X-Slack-Signature']}"
                f"\t{FORM}\t{body}\n"
            )
            if kind.startswith("submit"):
                views.append(f"V{run}{i:08d}")
    return views


def wrk(url: str, requests: Path, clients: int, seconds: float) -> dict[str, Any]:
    threads = min(2, clients)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    answer = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(HERE / "signed.lua"),
            f"{url}/slack/events",
            "--",
            str(requests),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in answer.stdout.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    duration = raw["duration_us"] / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sent = {thread: count for thread, count, _ in raw["threads"]}
    have = {thread: n for thread, _, n in raw["threads"]}
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors"))
    return {
        "clients": clients,
        "seconds": duration,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / duration, 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "timeouts": raw["timeouts"],
        "reused": any(sent[t] > have[t] for t in sent),
        "wrk_cpu_pct": round(100 * cpu / duration, 1),
        "sent_per_thread": sent,
        "threads": threads,
    }


def sent_views(views: list[str], result: dict[str, Any]) -> set[str]:
    """The view ids wrk sent: thread k sends lines k, k+T, ... in order. wrk calls the first
    thread's request() once before the run to check the script, and never sends that one."""
    threads = result["threads"]
    chosen = set()
    for thread, count in result["sent_per_thread"].items():
        mine = views[thread::threads]
        first = 1 if thread == 0 else 0
        chosen.update(mine[first : min(count, len(mine))])
    return chosen


def check_reports(engine: Engine, expected: set[str], run: str) -> dict[str, Any]:
    """Every submitted view recorded once: none lost, none doubled, none invented."""
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT description, number FROM issue WHERE description LIKE :p"),
                {"p": f"Surge report V{run}%"},
            ).all()
        found = [row[0].split(":", 1)[0].removeprefix("Surge report ") for row in rows]
        if len(set(found)) >= len(expected) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    seen = set(found)
    return {
        "submitted": len(expected),
        "recorded": len(found),
        "lost": len(expected - seen),
        "doubled": len(found) - len(seen),
        "unexpected": len(seen - expected),
        "messages_owed": owed_messages(engine, [f"{ISSUE_PREFIX}{row[1]:04d}" for row in rows]),
    }


def owed_messages(engine: Engine, refs: list[str]) -> int:
    """The Slack messages the reports owe (triage posts, confirmations, alerts): each is a
    Web API call, though the outbox may post it after the cell and its drain."""
    owed = 0
    with engine.connect() as connection:
        for start in range(0, len(refs), 500):
            owed += connection.execute(
                text("SELECT count(*) FROM outbox WHERE subject IN :refs").bindparams(
                    bindparam("refs", expanding=True)
                ),
                {"refs": refs[start : start + 500]},
            ).scalar_one()
    return owed


# ---------------------------------------------------------------- runs


def run_target(
    target: Target,
    kinds: list[str],
    concurrency: list[int],
    seconds: float,
    work: Path,
    fake: FakeSlack,
    cap: Callable[[str], int],
    engine: Engine | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    peak = peak_pss = 0
    for kind in kinds:
        for clients in concurrency:
            run = uuid.uuid4().hex[:6].upper()
            path = work / f"requests-{run}.tsv"
            views = write_requests(path, kind, int(cap(kind) * seconds), run, fake.hooks_url)
            before = web_api_calls(fake)
            cpu_before = tree_cpu_s(target.pid)
            with PeakRss(target.pid) as memory:
                result = wrk(target.url, path, clients, seconds)
            during = web_api_calls(fake) - before
            result["web_api_calls"] = dict(during)
            result["modals_opened_per_s"] = round(during["views.open"] / result["seconds"], 1)
            result["drain_s"] = drain(fake)
            # Every call the cell's requests led to, the work after their acks included.
            made = sum((web_api_calls(fake) - before).values())
            result["web_api_calls_per_request"] = round(made / max(result["requests"], 1), 2)
            # The server's CPU for the cell's requests, the work after their acks included.
            spent = tree_cpu_s(target.pid) - cpu_before
            result["server_cpu_ms_per_request"] = round(
                1000 * spent / max(result["requests"], 1), 3
            )
            path.unlink()
            peak = max(peak, memory.peak)
            peak_pss = max(peak_pss, memory.peak_pss)
            result["peak_rss_mb"] = round(memory.peak / 1024, 1)
            result["peak_pss_mb"] = round(memory.peak_pss / 1024, 1)
            if engine is not None and kind.startswith("submit"):
                result["records"] = check_reports(engine, sent_views(views, result), run)
                # A report's posts trail it at Slack's pace of a post a second per channel,
                # mostly after the drain: count the calls it owes, not only those made so far.
                owed = result["records"]["messages_owed"] / max(result["requests"], 1)
                result["web_api_calls_per_request"] = round(
                    max(result["web_api_calls_per_request"], owed), 2
                )
            result.pop("sent_per_thread")
            results.setdefault(kind, []).append(result)
            print(f"    {target.name} {kind} x{clients}: {summary(result)}", flush=True)
    return {
        "kinds": results,
        "peak_rss_mb": round(peak / 1024, 1),
        "peak_pss_mb": round(peak_pss / 1024, 1),
    }


def web_api_calls(fake: FakeSlack) -> Counter[str]:
    return Counter(call.method for call in fake.calls())


def drain(fake: FakeSlack, *, quiet: float = 1.0, limit: float = 20.0) -> float | None:
    """Seconds until the server's work after the ack (lazy listeners, outbox) stops calling
    the Web API, so the next run starts clean; None if it still had not after ``limit``."""
    started = time.monotonic()
    seen, last_change = len(fake.calls()), time.monotonic()
    while time.monotonic() - last_change < quiet:
        if time.monotonic() - started > limit:
            return None
        time.sleep(0.2)
        now_seen = len(fake.calls())
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
    return round(last_change - started, 1)


def summary(result: dict[str, Any]) -> str:
    keys = (
        "rps",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "errors",
        "peak_pss_mb",
        "records",
        "modals_opened_per_s",
        "drain_s",
    )
    return ", ".join(f"{k}={result[k]}" for k in keys if k in result)


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def run_floors(
    work: Path, fake: FakeSlack, kinds: list[str], concurrency: list[int], seconds: float
) -> dict[str, Any]:
    floors = {}
    for runner in ("default", "ack-first"):
        port = free_port()
        command = python_command(
            "-m",
            "benchmarks.bare",
            "--runner",
            runner,
            "--port",
            str(port),
            "--secret",
            SECRET,
            "--api-url",
            fake.base_url,
        )
        with serving(
            f"bolt-{runner}", command, dict(os.environ), port, work / "bare.log"
        ) as target:
            floors[runner] = run_target(
                target,
                [k for k in kinds if k != "submit_new"],
                concurrency,
                seconds,
                work,
                fake,
                lambda _kind: RATE_CAP["bolt"],
            )
    return floors


def run_golive(
    backend: str,
    work: Path,
    fake: FakeSlack,
    kinds: list[str],
    concurrency: list[int],
    seconds: float,
) -> dict[str, Any]:
    with fresh_database(backend, work, "surge") as db:
        started = time.perf_counter()
        generate(db.engine, scale=1)
        print(f"  {backend}: provider generated in {time.perf_counter() - started:.0f} s")
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base_url,
            "GOLIVE_WORKERS": str(WORKERS),
            "GOLIVE_THREADS": str(THREADS),
            "GOLIVE_TRIAGE_CHANNEL": CHANNELS[ChannelPurpose.TRIAGE],
            "GOLIVE_PROJECT_CHANNEL": CHANNELS[ChannelPurpose.PROJECT],
            "GOLIVE_BOARD_CHANNEL": CHANNELS[ChannelPurpose.BOARD],
        }
        command = python_command("-m", "bot.cli", "serve", "--no-scheduler", "--port", str(port))
        with serving(
            f"golive-{backend}", command, env, port, work / f"golive-{backend}.log"
        ) as target:
            idle, idle_pss = tree_memory_kib(target.pid)
            result = run_target(
                target,
                kinds,
                concurrency,
                seconds,
                work,
                fake,
                lambda kind: RATE_CAP[kind],
                engine=db.engine,
            )
        result["idle_rss_mb"] = round(idle / 1024, 1)
        result["idle_pss_mb"] = round(idle_pss / 1024, 1)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--seconds", type=float, default=8, help="length of each wrk run")
    parser.add_argument("--concurrency", default=",".join(map(str, CONCURRENCY)))
    parser.add_argument("--kinds", default=",".join(KINDS), help="also: submit_new")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--slack-delay", type=float, default=0.15, help="seconds per Web API call")
    parser.add_argument("--work", type=Path, default=Path("/tmp/golive-bench"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    kinds = [k for k in args.kinds.split(",") if k]
    concurrency = [int(c) for c in args.concurrency.split(",") if c]
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not pg_available():
        print("  PostgreSQL is not reachable: its surge figures are skipped", flush=True)
        backends.remove("postgresql")
    fake = FakeSlack()
    fake.delay = args.slack_delay
    # Requests are signed before wrk sends them, up to a run's length earlier: their trigger
    # ids are as old, where Slack's would be fresh. Allow what Bolt allows the signature.
    fake.trigger_lifetime = 5 * 60
    with fake:
        results: dict[str, Any] = {
            "seconds": args.seconds,
            "slack_delay_s": args.slack_delay,
            "workers": WORKERS,
            "threads": THREADS,
            "web_api_cost": webapi_cost.measure(),
            "floors": run_floors(args.work, fake, kinds, concurrency, args.seconds),
            "golive": {},
        }
        for backend in backends:
            results["golive"][backend] = run_golive(
                backend, args.work, fake, kinds, concurrency, args.seconds
            )
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
