"""The requests the surge sends, and wrk sending them (benchmarks/slack.lua).

Every request is distinct and used once: a ``/golive`` or a triage click carries a trigger
id that wrk issues the moment it sends it, and a report submission its own view id. wrk signs
each request as it sends it, so a run may be paced over minutes, and logs when it sent each
one: the start of every "what staff feel" interval.
"""

import json
import random
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.provider import user_id
from bot.ids import Report, Triage
from tests.slack_requests import (
    block_actions,
    plain_text_input,
    radio_buttons,
    slash_command,
    static_select,
    view_submission,
)

HERE = Path(__file__).parent
FORM = "application/x-www-form-urlencoded"
TRIGGER = "ZZTRIGGERZZ"
"""Placeholder wrk replaces with a trigger id issued as it sends the request."""
KINDS = ("slash", "click", "submit")
"""`/golive`, a triage button click, a report submission."""
MIX = ("slash",) * 2 + ("click",) * 6 + ("submit",) * 2
"""The paced mix, per ten requests: 20% `/golive`, 60% triage clicks, 20% reports."""
ISSUES = 50_000
"""Issues in the provider (benchmarks/provider.py at 1x): clicks pick one of them."""


@dataclass(frozen=True)
class Sent:
    """One request wrk sent: its line in the file, when it was sent and when it was due."""

    index: int
    at: float
    due: float | None


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


def view_id(run: str, index: int) -> str:
    return f"V{run}{index:08d}"


def request_body(kind: str, index: int, run: str, rng: random.Random, hooks: str) -> str:
    if kind == "slash":
        user = user_id(rng.randrange(1000))
        return urlencode(slash_command("", user_id=user, hooks_url=hooks, trigger_id=TRIGGER))
    if kind == "click":
        ref = f"GL-{rng.randrange(1, ISSUES + 1):04d}"
        payload = block_actions(
            Triage.ASSIGN,
            ref,
            user_id=user_id(0),
            block_id=f"{Triage.ACTIONS_BLOCK}:{ref}",
            hooks_url=hooks,
            trigger_id=TRIGGER,
        )
        return urlencode({"payload": json.dumps(payload)})
    view = view_id(run, index)
    payload = view_submission(
        Report.MODAL,
        report_state(rng.randrange(1, 151), f"Surge report {view}: eMAR would not load"),
        user_id=user_id(rng.randrange(1000)),
        view_id=view,
        view_hash=f"{int(time.time())}.{index:08x}",
        trigger_id=TRIGGER,
    )
    return urlencode({"payload": json.dumps(payload)})


def write_requests(path: Path, kinds: list[str], run: str, hooks: str) -> None:
    """One line per request, ``kinds[i]`` for line i."""
    rng = random.Random(run)
    with path.open("w") as handle:
        for index, kind in enumerate(kinds):
            handle.write(f"{FORM}\t{request_body(kind, index, run, rng, hooks)}\n")


def mixed(count: int, seed: str) -> list[str]:
    """``count`` kinds in the paced mix, shuffled within every ten."""
    rng = random.Random(seed)
    kinds: list[str] = []
    while len(kinds) < count:
        block = list(MIX)
        rng.shuffle(block)
        kinds += block
    return kinds[:count]


def wrk(
    url: str,
    requests: Path,
    *,
    secret: str,
    clients: int,
    seconds: float,
    rate: float = 0,
    run: str,
) -> tuple[dict[str, Any], list[Sent]]:
    """Run wrk over ``requests``: a closed loop, or paced at ``rate`` a second. Its summary
    (latency from sending a request to reading its whole answer: the ack) and every send."""
    threads = min(2, clients)
    log = requests.with_suffix("")
    start_us = int(time.time() * 1e6)
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
            str(HERE / "slack.lua"),
            f"{url}/slack/events",
            "--",
            str(requests),
            str(threads),
            secret,
            str(log),
            str(start_us),
            str(rate),
            run.lower(),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in answer.stdout.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    duration = raw["duration_us"] / 1e6
    sent = read_sent(log, threads)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    spare = sum(n for _, _, n in raw["threads"])
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors"))
    first = min((s.at for s in sent), default=0.0)
    last = max((s.at for s in sent), default=0.0)
    summary = {
        "clients": clients,
        "rate": rate or None,
        "seconds": round(duration, 2),
        "requests": raw["requests"],
        "sent": len(sent),
        "rps": round(len(sent) / duration, 1),
        "achieved_rate": round(len(sent) / (last - first), 1) if last > first else None,
        "late_sends": sum(1 for s in sent if s.due is not None and s.at - s.due > 0.1),
        "ack_p50_ms": raw["p50_us"] / 1000,
        "ack_p95_ms": raw["p95_us"] / 1000,
        "ack_p99_ms": raw["p99_us"] / 1000,
        "ack_max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "timeouts": raw["timeouts"],
        "ran_out": spare,
        "wrk_cpu_pct": round(100 * cpu / duration, 1),
    }
    return summary, sent


def read_sent(log: Path, threads: int) -> list[Sent]:
    sent = []
    for thread in range(threads):
        path = Path(f"{log}-{thread}.tsv")
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            index, at, due = (int(x) for x in line.split("\t"))
            sent.append(Sent(index, at / 1e6, due / 1e6 if due else None))
        path.unlink()
    return sorted(sent, key=lambda s: s.at)
