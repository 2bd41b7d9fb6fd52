"""Turn benchmarks/results/*.json into the results section of docs/benchmarks.md: every
figure beside its target from the issue, met or missed. Only the text between the two
markers is rewritten; the analysis around it is kept."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

START = "<!-- results:start (written by benchmarks/report.py) -->"
END = "<!-- results:end -->"
KIND_NAMES = {
    "slash": "`/golive` (opens the modal)",
    "submit": "report submission",
    "submit_new": "report submission, first contact",
    "click": "triage button click",
}
OPS = {
    "daily_digest": "daily issue digest",
    "board_review": "weekly board review",
    "reminder_sweep": "reminder sweep",
    "escalation_sweep": "escalation sweep (steady, every 15 min)",
    "app_home_busy_owner": "App Home, busy owner",
    "list_open_service_urgency": "`/golive list open service=… urgency=high`",
    "list_mine_open": "`/golive list mine open`",
    "xlsx_export": "XLSX export (workbook + audit trail CSV)",
}
FAST_OPS = ("daily_digest", "board_review", "reminder_sweep", "escalation_sweep")
OPS_TARGET_MS = 300
XLSX_TARGET_MS = 10_000
MEMORY_TARGET_MB = 200


def mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _by_clients(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["clients"]: row for row in rows}


def ceiling_rps(
    row: dict[str, Any], base: dict[str, Any], cost: dict[str, Any] | None
) -> float | None:
    """The most requests a second the machine's cores could serve if each cost only what
    it cannot avoid here: the Web API calls it led to (client and fake Slack,
    benchmarks/webapi_cost.py), the floor's own server CPU for the ack, and wrk's CPU for
    sending it. No render, database or other work of golive's is counted."""
    calls = row.get("web_api_calls_per_request")
    floor_cpu = base.get("server_cpu_ms_per_request")
    if not cost or not calls or floor_cpu is None:
        return None
    wrk_ms = base["wrk_cpu_pct"] * 10 / base["rps"]
    return float(cost["cores"] * 1000 / (calls * cost["per_call_cpu_ms"] + floor_cpu + wrk_ms))


def surge_table(surge: dict[str, Any]) -> tuple[list[str], list[bool], int]:
    """The table, a verdict per target, and how many throughput targets lie above what the
    Web API calls alone leave room for on this machine."""
    floor = surge["floors"]["ack-first"]["kinds"]
    default = surge["floors"]["default"]["kinds"]
    cost = surge.get("web_api_cost")
    lines: list[str] = []
    verdicts: list[bool] = []
    beyond = 0
    for backend, result in surge["golive"].items():
        lines += [
            f"#### Surge on {backend}",
            "",
            "| request | clients | req/s (floor) | p50 ms (floor; default runner) | p95 ms "
            "| p99 ms | max ms | errors | modals opened/s | server CPU ms per request (floor); "
            "Web API calls per request; ceiling req/s | p50 target | p99 < 50 ms "
            "| req/s ≥ ½ floor | all acked < 3 s, no error, none lost or doubled |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|",
        ]
        for kind, rows in result["kinds"].items():
            floors = _by_clients(floor.get(kind if kind in floor else "submit", []))
            defaults = _by_clients(default.get(kind if kind in default else "submit", []))
            for row in rows:
                base = floors.get(row["clients"])
                slow = defaults.get(row["clients"])
                if base is None:
                    continue
                if kind.startswith("submit"):
                    limit, rule = base["p50_ms"] + 5, "≤ floor + 5"
                else:
                    limit, rule = 2 * base["p50_ms"], "≤ 2 × floor"
                p50_ok = row["p50_ms"] <= limit
                p99_ok = row["p99_ms"] < 50 if row["clients"] == 50 else None
                rps_ok = row["rps"] >= base["rps"] / 2
                ceiling = ceiling_rps(row, base, cost)
                out_of_reach = ceiling is not None and ceiling < base["rps"] / 2
                beyond += out_of_reach
                calls = (
                    "—"
                    if ceiling is None
                    else f"{row['server_cpu_ms_per_request']:.2f} "
                    f"({base['server_cpu_ms_per_request']:.2f}); "
                    f"{row['web_api_calls_per_request']:.2f}; {ceiling:,.0f}"
                )
                clean = row["errors"] == 0 and row["timeouts"] == 0 and row["max_ms"] < 3000
                records = row.get("records")
                if records:
                    clean = clean and records["lost"] == 0 and records["doubled"] == 0
                verdicts += [p50_ok, rps_ok, clean] + ([p99_ok] if p99_ok is not None else [])
                errors = str(row["errors"] + row["timeouts"])
                if records:
                    errors += f"; {records['recorded']}/{records['submitted']} recorded"
                modals = (
                    "—" if kind.startswith("submit") else f"{row.get('modals_opened_per_s', 0):.0f}"
                )
                lines.append(
                    f"| {KIND_NAMES.get(kind, kind)} | {row['clients']} "
                    f"| {row['rps']:.0f} ({base['rps']:.0f}) "
                    f"| {row['p50_ms']:.2f} ({base['p50_ms']:.2f}; "
                    f"{slow['p50_ms'] if slow else float('nan'):.2f}) "
                    f"| {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['max_ms']:.0f} "
                    f"| {errors} | {modals} | {calls} | {rule}: {mark(p50_ok)} "
                    f"| {'—' if p99_ok is None else mark(p99_ok)} | {mark(rps_ok)}"
                    f"{' (above the ceiling)' if out_of_reach and not rps_ok else ''} "
                    f"| {mark(clean)} |"
                )
        lines.append("")
    if cost:
        lines += [
            f"Ceiling: one Web API call took {cost['client_cpu_ms']:.2f} ms of CPU in the client "
            f"(slack_sdk) and {cost['fake_slack_cpu_ms']:.2f} ms in the fake Slack that answered "
            f"it (`benchmarks/webapi_cost.py`, {cost['calls']:,} calls in this run). The "
            f"ceiling is what {cost['cores']} cores could serve if a request cost only that "
            f"({cost['per_call_cpu_ms']:.2f} ms × the Web API calls it led to), the floor's own "
            "server CPU for its ack, and wrk's CPU for sending it: nothing for golive's "
            "database, renders or records. Server CPU per request is the serving processes' "
            "CPU over the cell and the work after it, divided by the requests acked.",
            "",
        ]
    return lines, verdicts, beyond


def memory_lines(surge: dict[str, Any]) -> tuple[list[str], list[bool]]:
    lines = [
        "#### Memory of the serving processes (gunicorn master + 2 workers)",
        "",
        "| server | idle PSS MB | peak PSS MB | peak RSS sum MB | target < 200 MB (PSS) |",
        "|---|---:|---:|---:|---|",
    ]
    verdicts = []
    for backend, result in surge["golive"].items():
        ok = result["peak_pss_mb"] < MEMORY_TARGET_MB
        verdicts.append(ok)
        lines.append(
            f"| golive on {backend} | {result.get('idle_pss_mb', 0):.0f} "
            f"| {result['peak_pss_mb']:.0f} | {result['peak_rss_mb']:.0f} | {mark(ok)} |"
        )
    for runner, result in surge["floors"].items():
        lines.append(
            f"| bare Bolt, {runner} runner | | {result['peak_pss_mb']:.0f} "
            f"| {result['peak_rss_mb']:.0f} | |"
        )
    lines += [
        "",
        "PSS splits the pages the workers share with the master (copy-on-write after the fork) "
        "between them; the RSS sum counts them once per process, so it overstates the memory "
        "the server holds.",
        "",
    ]
    return lines, verdicts


def scale_table(scale: dict[str, Any]) -> tuple[list[str], list[bool]]:
    runs = scale["runs"]
    backends = sorted({run["backend"] for run in runs})
    scales = sorted({run["scale"] for run in runs})
    found = {(run["backend"], run["scale"]): run for run in runs}
    lines: list[str] = []
    verdicts: list[bool] = []
    header = "| operation |"
    rule = "|---|"
    for backend in backends:
        for size in scales:
            if (backend, size) in found:
                header += f" {backend} {size}x ms (reads + writes) |"
                rule += "---:|"
    header += " target | statements same at 1x and 10x |"
    rule += "---|---|"
    lines += [header, rule]
    for op, name in OPS.items():
        cells = []
        times_1x = []
        same = []
        for backend in backends:
            one = found.get((backend, 1), {}).get("operations", {}).get(op)
            ten = found.get((backend, 10), {}).get("operations", {}).get(op)
            if one is not None:
                times_1x.append(one["ms"])
            if one is not None and ten is not None:
                same.append(one["statements"] == ten["statements"])
            for size in scales:
                if (backend, size) not in found:
                    continue
                m = found[(backend, size)]["operations"].get(op)
                cells.append(
                    "not run" if m is None else f"{m['ms']:,.0f} ({m['reads']} + {m['writes']})"
                )
        if op == "xlsx_export":
            ok = bool(times_1x) and max(times_1x) < XLSX_TARGET_MS
            target = f"< 10 s: {mark(ok)}"
        else:
            ok = bool(times_1x) and max(times_1x) < OPS_TARGET_MS
            target = f"< 300 ms at 1x: {mark(ok)}"
        verdicts.append(ok)
        if same:
            verdicts.append(all(same))
            same_text = mark(all(same))
        else:
            same_text = "10x not run"
        lines.append(f"| {name} | {' | '.join(cells)} | {target} | {same_text} |")
    lines.append("")
    rows = " · ".join(
        f"{table} {count:,}" for table, count in runs[0]["rows"].items() if count >= 100
    )
    lines += [f"Rows at 1x: {rows}.", ""]
    generated = "; ".join(
        f"{run['backend']} {run['scale']}x generated in {run['generate_s']:.0f} s" for run in runs
    )
    lines += [f"{generated}.", ""]
    return lines, verdicts


def machine_lines(machine: dict[str, Any], mode: str) -> list[str]:
    return [
        f"Latest run ({mode}): {machine.get('started', '?')} to {machine.get('finished', '?')} "
        f"on {machine.get('cpus')} × {machine.get('cpu_model')}, "
        f"{machine.get('memory_gib')} GiB, Linux {machine.get('kernel')}, "
        f"Python {machine.get('python')}, {str(machine.get('wrk')).split(' [')[0]}, "
        f"{machine.get('postgresql')}. "
        f"Load average (1 min) {machine.get('load_before', 0):.1f} before and "
        f"{machine.get('load_after', 0):.1f} after: other work on the machine shares its two "
        "cores and shows in the tails.",
        "",
    ]


def render(results: Path, mode: str) -> str:
    machine = json.loads((results / "machine.json").read_text())
    surge = json.loads((results / "surge.json").read_text())
    scale = json.loads((results / "scale.json").read_text())
    extra = results / "scale10.json"
    if extra.exists():
        # Written by `benchmarks/run --full`; kept until the next full run replaces it.
        tenfold = json.loads(extra.read_text())
        scale["runs"] += tenfold["runs"]
        scale["measured_10x"] = tenfold.get("measured")
    lines = [START, "", *machine_lines(machine, mode)]
    lines += [
        f"### Surge ({surge['seconds']:g} s per cell; Web API delay "
        f"{surge['slack_delay_s'] * 1000:.0f} ms; {surge['workers']} workers × "
        f"{surge['threads']} threads)",
        "",
        "Floor = bare Bolt app with `process_before_response=True` that only acks; default "
        "runner = the same app with Bolt's default runner.",
        "",
    ]
    surge_lines, surge_ok, beyond = surge_table(surge)
    memory, memory_ok = memory_lines(surge)
    scale_lines, scale_ok = scale_table(scale)
    when = f"1x measured {scale.get('measured', '?')}"
    if scale.get("measured_10x"):
        when += f"; 10x measured {scale['measured_10x']} (`benchmarks/run --full`)"
    else:
        when += "; 10x is measured by `benchmarks/run --full`"
    lines += surge_lines + memory + ["### Scale", "", f"{when}.", ""] + scale_lines
    verdicts = surge_ok + memory_ok + scale_ok
    lines += [
        f"Targets met: {sum(verdicts)} of {len(verdicts)}. Throughput targets above the "
        f"ceiling the Web API calls leave on this machine: {beyond}.",
        "",
        END,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--doc", type=Path, required=True)
    parser.add_argument("--mode", default="default")
    args = parser.parse_args()
    section = render(args.results, args.mode)
    text = args.doc.read_text() if args.doc.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = f"{text.rstrip()}\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    args.doc.write_text(before + section + after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
