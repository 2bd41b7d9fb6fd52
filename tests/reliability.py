"""Counts for the README's reliability figures, written by the bad-input and fault suites.

Each suite adds what it tried (cases, faults injected) and what its closing check found
(records lost, duplicates) to a JSON-lines file named by GOLIVE_RELIABILITY_FILE; unset, the
counts go nowhere. ``python -m tests.reliability FILE`` sums a run's file into the figures.
"""

import json
import os
import sys
import threading
from collections import Counter
from pathlib import Path

_lock = threading.Lock()


def tally(
    suite: str, *, cases: int = 0, faults: int = 0, lost: int = 0, duplicates: int = 0
) -> None:
    """Append one test's counts; a no-op unless a run asked for figures."""
    target = os.environ.get("GOLIVE_RELIABILITY_FILE")
    if not target:
        return
    line = json.dumps(
        {"suite": suite, "cases": cases, "faults": faults, "lost": lost, "duplicates": duplicates}
    )
    with _lock, Path(target).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def summary(path: Path) -> dict[str, Counter[str]]:
    totals: dict[str, Counter[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(raw)
        suite = entry.pop("suite")
        totals.setdefault(suite, Counter()).update(entry)
    return totals


if __name__ == "__main__":
    figures = summary(Path(sys.argv[1]))
    print("| suite | cases tried | faults injected | records lost | duplicates |")
    print("|---|---:|---:|---:|---:|")
    for suite, counts in sorted(figures.items()):
        print(
            f"| {suite} | {counts['cases']:,} | {counts['faults']:,} | {counts['lost']} "
            f"| {counts['duplicates']} |"
        )
