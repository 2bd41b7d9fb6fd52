"""What staff felt in a cell, from what wrk sent (traffic.Sent) and what reached the fake
Slack (tests/fakeslack.Call, each with the time it was received):

- a modal (``/golive``, a triage click) is opened when its ``views.open`` reaches Slack with
  the request's trigger id and Slack accepts it: refused once the trigger is over 3 s old;
- a report is confirmed when a direct message naming it reaches Slack, and visible in the
  triage channel when a post or an update there first names it (its own triage post, or a
  roll-up listing it).

Work counts as completed only if it was done: the modal opened in time; the report recorded
once, confirmed and visible in the triage channel by the end of the cell's drain.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from benchmarks.traffic import Sent, view_id
from tests.fakeslack import Call

TRIGGER_LIFETIME_S = 3.0
POSTS = ("chat.postMessage", "chat.update")


@dataclass(frozen=True)
class Recorded:
    """The reports a server recorded for a run: each submitted view's database rows, and the
    words (issue reference or view id) its messages name it by."""

    rows: dict[str, int]
    names: dict[str, str]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank); math.inf where work was never done counts too."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def ms(value: float | None) -> float | None:
    if value is None:
        return None
    return None if math.isinf(value) else round(value * 1000, 1)


def latency(values: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": ms(percentile(values, 50)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(max(values)) if values else None,
        "missing": sum(1 for v in values if math.isinf(v)),
    }


def modal_outcomes(
    kinds: list[str], sent: list[Sent], calls: list[Call], run: str
) -> dict[str, Any]:
    """Each `/golive` and click sent: when (and whether) its modal opened."""
    wanted = {s.index: s.at for s in sent if kinds[s.index] in ("slash", "click")}
    opened: dict[int, float] = {}
    expired = other = 0
    tag = f".{run.lower()}"
    for call in calls:
        if call.method != "views.open":
            continue
        trigger = str(call.args.get("trigger_id", ""))
        if not trigger.endswith(tag):
            continue
        index = int(trigger.split(".")[1])
        if index not in wanted:
            continue
        error = (call.response or {}).get("error")
        if call.accepted:
            opened[index] = min(opened.get(index, math.inf), call.received_at - wanted[index])
        elif error == "expired_trigger_id":
            expired += 1
        else:
            other += 1
    waits = [opened.get(index, math.inf) for index in wanted]
    in_time = sum(1 for w in waits if w <= TRIGGER_LIFETIME_S)
    return {
        "sent": len(wanted),
        "opened": len(opened),
        "in_time": in_time,
        "expired_refusals": expired,
        "other_refusals": other,
        "open": latency(waits),
    }


_NAMES = re.compile(r"GL-\d+|V[0-9A-F]{6}\d{8}")


def report_outcomes(
    kinds: list[str],
    sent: list[Sent],
    calls: list[Call],
    run: str,
    recorded: Recorded,
    triage_channel: str,
) -> dict[str, Any]:
    """Each report sent: recorded once, and when the reporter was confirmed and the triage
    channel first showed it."""
    submitted = {view_id(run, s.index): s.at for s in sent if kinds[s.index] == "submit"}
    by_name = {name: view for view, name in recorded.names.items() if view in submitted}
    confirmed: dict[str, float] = {}
    visible: dict[str, float] = {}
    for call in calls:
        if call.method not in POSTS or not call.accepted:
            continue
        channel = str(call.args.get("channel", ""))
        dm = channel[:1] in ("D", "U")
        if not dm and channel != triage_channel:
            continue
        if dm and call.method != "chat.postMessage":
            continue
        text = json.dumps(call.args)
        for name in set(_NAMES.findall(text)):
            view = by_name.get(name)
            if view is None:
                continue
            into = confirmed if dm else visible
            into[view] = min(into.get(view, math.inf), call.received_at - submitted[view])
    confirm = [confirmed.get(v, math.inf) for v in submitted]
    triage = [visible.get(v, math.inf) for v in submitted]
    rows = [recorded.rows.get(v, 0) for v in submitted]
    done = sum(
        1 for v in submitted if recorded.rows.get(v) == 1 and v in confirmed and v in visible
    )
    return {
        "sent": len(submitted),
        "recorded": sum(1 for n in rows if n),
        "lost": sum(1 for n in rows if n == 0),
        "doubled": sum(1 for n in rows if n > 1),
        "invented": sum(1 for v in recorded.rows if v not in submitted),
        "confirmed": len(confirmed),
        "visible": len(visible),
        "visible_within_60s": sum(1 for t in triage if t <= 60),
        "completed": done,
        "confirmation": latency(confirm),
        "triage": latency(triage),
    }


def pace(calls: list[Call], channel: str) -> dict[str, Any]:
    """Posts to ``channel``: how many, and the most that reached Slack within any one second
    (Slack allows about one a second per channel)."""
    times = sorted(
        c.received_at
        for c in calls
        if c.method == "chat.postMessage" and c.args.get("channel") == channel and c.accepted
    )
    most = 0
    start = 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return {
        "posts": len(times),
        "updates": sum(
            1 for c in calls if c.method == "chat.update" and c.args.get("channel") == channel
        ),
        "most_in_one_second": most,
        "span_s": round(times[-1] - times[0], 1) if len(times) > 1 else 0.0,
    }
