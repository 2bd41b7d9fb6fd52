"""What one Web API call costs this machine in CPU, measured in the same run as the surge: the
client side (slack_sdk's WebClient, as golive calls it) and the fake Slack that answers it
(tests/fakeslack.py, in a process of its own so the two are counted apart).

The surge's fake Slack runs on the same two cores as the server, so every call golive makes
after an ack takes CPU from the acks. With the calls a request needs (surge.json's
``web_api_calls_per_request``) this gives the most requests a second the two cores could
serve on those calls alone, before any ack, render or database work: if that ceiling is
below a throughput target, no implementation that makes those calls can meet it here.
"""

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from tests.slack_requests import new_trigger_id

ROOT = Path(__file__).resolve().parent.parent
SERVE_FAKE = (
    "import sys, time\n"
    f"sys.path.insert(0, {str(ROOT)!r})\n"
    "from tests.fakeslack import FakeSlack\n"
    "fake = FakeSlack().start()\n"
    "print(fake.base_url, flush=True)\n"
    "sys.stdin.read()\n"
)
# A report modal's worth of blocks, so the request is the size golive sends.
VIEW = {
    "type": "modal",
    "callback_id": "report_issue",
    "title": {"type": "plain_text", "text": "Report a problem"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "eMAR " * 60}}] * 10,
}


def _process_cpu_s(pid: int) -> float:
    """User + system CPU of a process, from /proc (fields 14 and 15 of its stat line)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(calls: int = 2000, warmup: int = 100) -> dict[str, Any]:
    fake = subprocess.Popen(
        [sys.executable, "-c", SERVE_FAKE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        client = WebClient(token="xoxb-bench", base_url=fake.stdout.readline().strip())
        for _ in range(warmup):
            client.views_open(trigger_id=new_trigger_id(), view=VIEW)
        fake_before, own_before = _process_cpu_s(fake.pid), _own_cpu_s()
        for _ in range(calls):
            client.views_open(trigger_id=new_trigger_id(), view=VIEW)
        own = _own_cpu_s() - own_before
        served = _process_cpu_s(fake.pid) - fake_before
    finally:
        fake.kill()
        fake.wait()
    client_ms = 1000 * own / calls
    fake_ms = 1000 * served / calls
    return {
        "calls": calls,
        "client_cpu_ms": round(client_ms, 3),
        "fake_slack_cpu_ms": round(fake_ms, 3),
        "per_call_cpu_ms": round(client_ms + fake_ms, 3),
        "cores": os.cpu_count() or 1,
    }


if __name__ == "__main__":
    print(measure())
