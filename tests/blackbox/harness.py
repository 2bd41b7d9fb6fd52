"""Real ``golive`` processes for the black-box suite: the command a provider installs, run in a
folder of its own with only the settings a provider would set, and watched from outside
(its exit status, its output, ``/healthz``, the processes it leaves)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakeslack import FakeSlack
from tests.slack_requests import SlackDriver

GOLIVE = str(Path(sys.executable).parent / "golive")
"""The installed command, beside the interpreter running the tests (the venv's ``bin``)."""

SECRET = "blackbox-signing-secret"
TOKEN = "xoxb-blackbox"
TRIAGE = "C0TRIAGE"
PROJECT = "C0PROJECT"
BOARD = "C0BOARD"
ADMIN = "U0ADMIN"

HEALTHY_WITHIN_S = 15.0
STOPS_WITHIN_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Done:
    """A finished ``golive`` command."""

    args: list[str]
    status: int
    out: str
    err: str

    def ok(self) -> Done:
        """Fail the test, showing what the command said, unless it succeeded."""
        assert self.status == 0, f"golive {' '.join(self.args)} -> {self.status}: {self.err}"
        return self


class Provider:
    """One provider's installation: a working folder, its settings and the fake Slack."""

    def __init__(self, folder: Path, fake: FakeSlack, database_url: str | None) -> None:
        self.folder = folder
        self.fake = fake
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GOLIVE_", "SLACK_", "DATABASE_URL", "PORT"))
        }
        self.env.update(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.base_url,
                "GOLIVE_TRIAGE_CHANNEL": TRIAGE,
                "GOLIVE_PROJECT_CHANNEL": PROJECT,
                "GOLIVE_BOARD_CHANNEL": BOARD,
                "GOLIVE_ADMINS": ADMIN,
            }
        )
        if database_url is not None:
            self.env["DATABASE_URL"] = database_url
        self.started: list[Served] = []

    def run(self, *args: str, timeout: float = 120, **env: str) -> Done:
        """Run ``golive ARGS`` to the end, as typed in a shell in the provider's folder."""
        done = subprocess.run(
            [GOLIVE, *args],
            cwd=self.folder,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Done(list(args), done.returncode, done.stdout, done.stderr)

    def start(self, *args: str, **env: str) -> Served:
        """Start a long-running ``golive ARGS`` (serve, socket, scheduler) in its own session."""
        log = self.folder / f"{args[0]}-{len(self.started)}.log"
        served = Served(
            subprocess.Popen(
                [GOLIVE, *args],
                cwd=self.folder,
                env={**self.env, **env},
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
            log,
        )
        self.started.append(served)
        return served

    def serve(self, *args: str, **env: str) -> Served:
        """``golive serve`` on a free port, waited for until ``/healthz`` answers 200."""
        port = free_port()
        served = self.start("serve", "--port", str(port), *args, **env)
        served.port = port
        served.wait_healthy()
        return served

    def driver(self, served: Served) -> SlackDriver:
        """Slack, sending signed requests to that server."""
        return SlackDriver(
            f"http://127.0.0.1:{served.port}", SECRET, hooks_url=self.fake.hooks_url, timeout=30
        )

    def close(self) -> None:
        for served in self.started:
            served.kill()


class Served:
    """A long-running ``golive`` process (and whatever it starts, in its process group)."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log
        self.port = 0

    @property
    def group(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def health(self) -> int | None:
        """The status ``GET /healthz`` answers, or None when nothing answers."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status
        except OSError:
            return None

    def wait_healthy(self, within: float = HEALTHY_WITHIN_S) -> float:
        """Seconds until ``/healthz`` answered 200; fails the test after ``within``."""
        started = time.monotonic()
        last: int | None = None
        while time.monotonic() - started < within:
            if self.process.poll() is not None:
                raise AssertionError(f"golive exited ({self.process.returncode}):\n{self.tail()}")
            last = self.health()
            if last == 200:
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"not healthy in {within:.0f} s (last answer {last}):\n{self.tail()}")

    def tail(self, chars: int = 4000) -> str:
        return self.output()[-chars:]

    def pids(self) -> set[int]:
        """Every live process of this golive: its process group (workers and the scheduler
        keep the master's group, even orphaned)."""
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                # fields: state, ppid, pgrp, ...; a zombie has already ended
                if int(fields[2]) == self.group and fields[0] != "Z":
                    found.add(int(entry.name))
        return found

    def children(self) -> set[int]:
        return self.pids() - {self.process.pid}

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_gone(self, within: float = STOPS_WITHIN_S) -> float:
        """Seconds until no process of this golive is left; fails the test after ``within``."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.05)
            if not self.pids():
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(
            f"processes {sorted(self.pids())} still running {within:.0f} s later:\n{self.tail()}"
        )

    def kill(self) -> None:
        """Clean up after a test, whatever state it left."""
        with suppress(ProcessLookupError):
            os.killpg(self.group, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def wait_until(what: str, check: Callable[[], Any], within: float, every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``within``."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f} s")
        time.sleep(every)
