"""Surge: what staff feel when a go-live's requests arrive together, measured on ``golive
serve`` as users run it (the production gunicorn server with its scheduler, on a large
provider's database) and, in the same run, on the equal-work floor (benchmarks/bare.py), on
SQLite and PostgreSQL.

wrk sends distinct Slack requests over loopback (benchmarks/slack.lua signs each as it sends
it, with a trigger id issued then): a closed loop of `/golive`, triage clicks or report
submissions at 1, 10 and 50 clients; an open loop paced at 10, 50 and 150 requests a second
of the mix (20% `/golive`, 60% clicks, 20% reports); and, for golive, a burst of 300 reports
in a minute. The fake Slack Web API (tests/fakeslack.py) answers each call after 150 ms,
refuses a trigger id over 3 s old and notes when each call arrived, which gives what staff
feel (benchmarks/outcomes.py). After each cell the driver waits until the work after the
acks has stopped calling Slack (or a limit), and only then reads the server's CPU.
"""

import argparse
import json
import math
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, text

from benchmarks import traffic
from benchmarks.bare import TABLE
from benchmarks.databases import BACKENDS, Database, fresh_database, pg_available
from benchmarks.outcomes import Recorded, modal_outcomes, pace, report_outcomes
from benchmarks.provider import CHANNELS, generate
from benchmarks.servers import (
    PeakMemory,
    Target,
    free_port,
    serving,
    tree_cpu_s,
    tree_memory_kib,
)
from store.records.enums import ChannelPurpose
from store.records.models import ISSUE_PREFIX
from tests.fakeslack import FakeSlack

SECRET = "bench-signing-secret"
WORKERS, THREADS = 2, 8
TRIAGE = CHANNELS[ChannelPurpose.TRIAGE]
FLOORS = ("lazy", "pool")
# Requests written per second of a closed-loop cell, above the fastest rate seen, so that
# none is sent twice (a submission sent twice would be a doubled report).
CLOSED_CAP = {"golive": 1500, "floor": 6000}


@dataclass(frozen=True)
class Plan:
    """How long each part runs; ``benchmarks/run`` picks one per mode."""

    closed_seconds: float
    concurrency: tuple[int, ...]
    paced_seconds: float
    rates: tuple[float, ...]
    burst_reports: int
    burst_seconds: float
    burst_wait_s: float
    drain_limit_s: float


@dataclass(frozen=True)
class Cell:
    name: str
    kinds: list[str]
    clients: int
    seconds: float
    rate: float = 0


def closed_cells(plan: Plan, cap: int) -> list[Cell]:
    count = int(cap * plan.closed_seconds)
    return [
        Cell(f"{kind} x{clients}", [kind] * count, clients, plan.closed_seconds)
        for kind in traffic.KINDS
        for clients in plan.concurrency
    ]


def paced_cells(plan: Plan) -> list[Cell]:
    cells = []
    for rate in plan.rates:
        count = int(rate * plan.paced_seconds * 1.3) + 50
        clients = max(2, math.ceil(rate / 5))
        kinds = traffic.mixed(count, f"paced{rate}")
        cells.append(Cell(f"paced {rate:g}/s", kinds, clients, plan.paced_seconds, rate))
    return cells


def burst_cell(plan: Plan) -> Cell:
    rate = plan.burst_reports / plan.burst_seconds
    return Cell(
        f"burst {plan.burst_reports}",
        ["submit"] * plan.burst_reports,
        max(2, math.ceil(rate)),
        plan.burst_seconds,
        rate,
    )


# ---------------------------------------------------------------- what was recorded


def golive_recorded(engine: Engine, run: str) -> Recorded:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT description, number FROM issue WHERE description LIKE :p"),
            {"p": f"Surge report V{run}%"},
        ).all()
    counts: Counter[str] = Counter()
    names = {}
    for description, number in rows:
        view = description.split(":", 1)[0].removeprefix("Surge report ")
        counts[view] += 1
        names[view] = f"{ISSUE_PREFIX}{number:04d}"
    return Recorded(dict(counts), names)


def floor_recorded(engine: Engine, run: str) -> Recorded:
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT view_id FROM {TABLE} WHERE view_id LIKE :p"), {"p": f"V{run}%"}
        ).all()
    counts = Counter(row[0] for row in rows)
    return Recorded(dict(counts), {view: view for view in counts})


def owed_per_report(engine: Engine, recorded: Recorded) -> float:
    """The Slack posts golive owes per report (triage post, confirmation, alerts)."""
    refs = list(recorded.names.values())
    if not refs:
        return 0.0
    with engine.connect() as connection:
        owed = connection.execute(
            text(
                "SELECT count(*) FROM outbox WHERE subject IN :refs AND method IN ('post', 'dm')"
            ).bindparams(bindparam("refs", expanding=True)),
            {"refs": refs},
        ).scalar_one()
    return float(owed) / len(refs)


def clear_backlog(engine: Engine) -> int:
    """Set aside the posts a cell left owed after its drain, so the next cell starts clean
    (counted in the cell's figures: its reports were not completed)."""
    with engine.begin() as connection:
        cleared = connection.execute(
            text(
                "UPDATE outbox SET status = 'dead', last_error = 'set aside by the benchmark "
                "after its cell' WHERE status = 'pending'"
            )
        ).rowcount
    return int(cleared or 0)


# ---------------------------------------------------------------- one cell


def drain(fake: FakeSlack, *, quiet: float, limit: float) -> float | None:
    """Seconds until the server's work after the acks stops calling the Web API; None if it
    still had not after ``limit``."""
    started = time.monotonic()
    seen, last_change = len(fake.calls()), time.monotonic()
    while time.monotonic() - last_change < quiet:
        if time.monotonic() - started > limit:
            return None
        time.sleep(0.25)
        now_seen = len(fake.calls())
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
    return round(last_change - started, 1)


def run_cell(
    target: Target,
    cell: Cell,
    fake: FakeSlack,
    work: Path,
    recorded: Callable[[str], Recorded],
    *,
    wait: Callable[[], float | None],
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6].upper()
    path = work / f"requests-{run}.tsv"
    traffic.write_requests(path, cell.kinds, run, fake.hooks_url)
    first_call = len(fake.calls())
    cpu_before = tree_cpu_s(target.pid)
    with PeakMemory(target.pid) as memory:
        result, sent = traffic.wrk(
            target.url,
            path,
            secret=SECRET,
            clients=cell.clients,
            seconds=cell.seconds,
            rate=cell.rate,
            run=run,
        )
        result["drain_s"] = wait()
    spent = tree_cpu_s(target.pid) - cpu_before
    path.unlink()
    calls = fake.calls()[first_call:]
    result.update(
        cell=cell.name,
        run=run,
        peak_pss_mb=round(memory.peak_pss / 1024, 1),
        peak_rss_mb=round(memory.peak_rss / 1024, 1),
        server_cpu_ms_per_request=round(1000 * spent / max(len(sent), 1), 2),
        web_api_calls=dict(Counter(c.method for c in calls)),
    )
    kinds = {cell.kinds[s.index] for s in sent}
    completed = 0
    if kinds & {"slash", "click"}:
        result["modals"] = modal_outcomes(cell.kinds, sent, calls, run)
        completed += result["modals"]["in_time"]
    if "submit" in kinds:
        result["reports"] = report_outcomes(cell.kinds, sent, calls, run, recorded(run), TRIAGE)
        completed += result["reports"]["completed"]
        result["triage_pace"] = pace(calls, TRIAGE)
    result["completed"] = completed
    result["completed_per_s"] = round(completed / max(result["seconds"], 1e-9), 1)
    return result


def summary(result: dict[str, Any]) -> str:
    parts = [
        f"sent={result['sent']}",
        f"rate={result['achieved_rate']}",
        f"done/s={result['completed_per_s']}",
        f"ack p99={result['ack_p99_ms']:.0f}ms",
        f"cpu={result['server_cpu_ms_per_request']}ms",
        f"drain={result['drain_s']}",
    ]
    if "modals" in result:
        m = result["modals"]
        parts.append(f"modal in time {m['in_time']}/{m['sent']} p99={m['open']['p99_ms']}")
    if "reports" in result:
        r = result["reports"]
        parts.append(
            f"reports {r['completed']}/{r['sent']} confirm p99={r['confirmation']['p99_ms']} "
            f"triage p99={r['triage']['p99_ms']}"
        )
    return " ".join(parts)


# ---------------------------------------------------------------- servers


def golive_server(db: Database, fake: FakeSlack, work: Path) -> AbstractContextManager[Target]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "GOLIVE_WORKERS": str(WORKERS),
        "GOLIVE_THREADS": str(THREADS),
        "GOLIVE_TRIAGE_CHANNEL": TRIAGE,
        "GOLIVE_PROJECT_CHANNEL": CHANNELS[ChannelPurpose.PROJECT],
        "GOLIVE_BOARD_CHANNEL": CHANNELS[ChannelPurpose.BOARD],
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
    return serving(f"golive-{db.backend}", command, env, port, work / "golive.log")


def floor_server(
    mode: str, db: Database, fake: FakeSlack, work: Path, views: Path, posts: int
) -> AbstractContextManager[Target]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "benchmarks.bare",
        "--after-ack",
        mode,
        "--port",
        str(port),
        "--secret",
        SECRET,
        "--api-url",
        fake.base_url,
        "--database-url",
        db.url,
        "--views",
        str(views),
        "--posts",
        str(posts),
        "--triage-channel",
        TRIAGE,
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
    ]
    return serving(f"floor-{mode}", command, dict(os.environ), port, work / "floor.log")


def warm_up(target: Target, fake: FakeSlack, work: Path) -> None:
    """A second of mixed requests first, so no cell pays for a worker's first requests."""
    run = uuid.uuid4().hex[:6].upper()
    path = work / f"warm-{run}.tsv"
    traffic.write_requests(path, traffic.mixed(400, run), run, fake.hooks_url)
    traffic.wrk(target.url, path, secret=SECRET, clients=2, seconds=1, run=run)
    path.unlink()
    drain(fake, quiet=1.0, limit=10)


def run_golive(
    backend: str, plan: Plan, fake: FakeSlack, work: Path, views: Path
) -> tuple[dict[str, Any], int]:
    """golive's cells, then the burst; returns its figures and the posts a report owes."""
    results: dict[str, Any] = {"cells": []}
    with fresh_database(backend, work, "surge") as db:
        began = time.perf_counter()
        generate(db.engine, scale=1)
        print(f"  {backend}: provider generated in {time.perf_counter() - began:.0f} s")
        owed: list[float] = []
        captured: dict[str, Any] = {}
        with golive_server(db, fake, work) as target:
            results["idle_pss_mb"] = round(tree_memory_kib(target.pid)[1] / 1024, 1)
            warm_up(target, fake, work)
            clear_backlog(db.engine)
            peak = 0.0
            cells = closed_cells(plan, CLOSED_CAP["golive"]) + paced_cells(plan)
            for cell in [*cells, burst_cell(plan)]:
                burst = cell.name.startswith("burst")
                before = len(fake.calls())

                def wait(cell: Cell = cell, burst: bool = burst) -> float | None:
                    if burst:
                        return burst_wait(fake, db.engine, plan)
                    return drain(fake, quiet=1.5, limit=plan.drain_limit_s)

                result = run_cell(
                    target,
                    cell,
                    fake,
                    work,
                    lambda run: golive_recorded(db.engine, run),
                    wait=wait,
                )
                if cell.kinds[0] in ("slash", "click") and cell.rate == 0:
                    capture_view(captured, cell.kinds[0], fake.calls()[before:])
                if cell.kinds[0] == "submit" and cell.rate == 0:
                    owed.append(
                        owed_per_report(db.engine, golive_recorded(db.engine, result["run"]))
                    )
                result["set_aside"] = clear_backlog(db.engine)
                result["expired_refusals_all"] = fake.refused()
                peak = max(peak, result["peak_pss_mb"])
                key = "burst" if burst else "cells"
                if burst:
                    results["burst"] = result
                else:
                    results[key].append(result)
                print(f"    golive {backend} {cell.name}: {summary(result)}", flush=True)
        results["peak_pss_mb"] = peak
    views.write_text(json.dumps(captured))
    posts = max(1, round(sum(owed) / len(owed))) if owed else 2
    results["posts_per_report"] = posts
    return results, posts


def burst_wait(fake: FakeSlack, engine: Engine, plan: Plan) -> float | None:
    """After the burst's last report: wait until the triage channel has named every report
    the burst recorded (or ``burst_wait_s``)."""
    started_at = time.monotonic()
    while time.monotonic() - started_at < plan.burst_wait_s:
        with engine.connect() as connection:
            pending = connection.execute(
                text("SELECT count(*) FROM outbox WHERE status = 'pending' AND channel = :c"),
                {"c": TRIAGE},
            ).scalar_one()
        if pending == 0:
            return drain(fake, quiet=1.5, limit=plan.drain_limit_s)
        time.sleep(1)
    return None


def capture_view(captured: dict[str, Any], kind: str, calls: list[Any]) -> None:
    """golive's modal for this kind, as it reached Slack: the floor opens the same view."""
    if kind in captured:
        return
    for call in calls:
        if call.method == "views.open" and call.accepted:
            captured[kind] = call.args["view"]
            return


def run_floor(
    mode: str, backend: str, plan: Plan, fake: FakeSlack, work: Path, views: Path, posts: int
) -> dict[str, Any]:
    results: dict[str, Any] = {"cells": [], "posts_per_report": posts}
    with fresh_database(backend, work, f"floor_{mode}") as db:
        peak = 0.0
        server = lambda: floor_server(mode, db, fake, work, views, posts)  # noqa: E731
        cells = closed_cells(plan, CLOSED_CAP["floor"]) + paced_cells(plan)
        pending = list(cells)
        while pending:
            with server() as target:
                results.setdefault("idle_pss_mb", round(tree_memory_kib(target.pid)[1] / 1024, 1))
                warm_up(target, fake, work)
                while pending:
                    cell = pending.pop(0)
                    result = run_cell(
                        target,
                        cell,
                        fake,
                        work,
                        lambda run: floor_recorded(db.engine, run),
                        wait=lambda: drain(fake, quiet=1.5, limit=plan.drain_limit_s),
                    )
                    peak = max(peak, result["peak_pss_mb"])
                    results["cells"].append(result)
                    print(f"    floor-{mode} {backend} {cell.name}: {summary(result)}", flush=True)
                    if result["drain_s"] is None:
                        # A backlog still draining would load the next cell: start afresh.
                        result["restarted_after"] = True
                        break
        results["peak_pss_mb"] = peak
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--seconds", type=float, default=4, help="closed-loop cell length")
    parser.add_argument("--paced-seconds", type=float, default=10)
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--rates", default="10,50,150")
    parser.add_argument("--burst", type=int, default=300, help="reports in the burst")
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--burst-wait", type=float, default=90)
    parser.add_argument("--drain-limit", type=float, default=15)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--slack-delay", type=float, default=0.15, help="seconds per Web API call")
    parser.add_argument("--work", type=Path, default=Path("/tmp/golive-bench"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    plan = Plan(
        closed_seconds=args.seconds,
        concurrency=tuple(int(c) for c in args.concurrency.split(",") if c),
        paced_seconds=args.paced_seconds,
        rates=tuple(float(r) for r in args.rates.split(",") if r),
        burst_reports=args.burst,
        burst_seconds=args.burst_seconds,
        burst_wait_s=args.burst_wait,
        drain_limit_s=args.drain_limit,
    )
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not pg_available():
        print("  PostgreSQL is not reachable: its surge figures are skipped", flush=True)
        backends.remove("postgresql")
    fake = FakeSlack()
    fake.delay = args.slack_delay
    results: dict[str, Any] = {
        "plan": plan.__dict__,
        "slack_delay_s": args.slack_delay,
        "workers": WORKERS,
        "threads": THREADS,
        "backends": {},
    }
    views = args.work / "views.json"
    with fake:
        for backend in backends:
            golive, posts = run_golive(backend, plan, fake, args.work, views)
            floors = {
                mode: run_floor(mode, backend, plan, fake, args.work, views, posts)
                for mode in FLOORS
            }
            results["backends"][backend] = {"golive": golive, "floors": floors}
            args.out.write_text(json.dumps(results, indent=2))
    results["expired_refusals"] = fake.refused()
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
