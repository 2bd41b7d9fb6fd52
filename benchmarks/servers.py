"""The servers under test as subprocesses (each in its own process group, stopped with it),
and what they cost: CPU and memory of gunicorn's master, workers and any child, from /proc."""

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """A server under test: golive on one backend, or an equal-work floor."""

    name: str
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
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
    """Start a server in its own process group; stop it (master, workers, scheduler) after."""
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
    """A process and all its descendants (gunicorn's master, its workers, the scheduler)."""
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
    of a process and all its descendants. Gunicorn's workers share the pages the master
    loaded before forking, so the RSS sum counts those once per process."""
    return memory_kib(process_tree(root))


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """RSS and PSS summed over ``pids``, from /proc/PID/smaps_rollup."""
    rss = pss = 0
    for pid in pids:
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


class PeakMemory:
    """Samples the server tree's memory every 100 ms while running; the peaks, in KiB."""

    def __init__(self, pid: int) -> None:
        # The tree is listed once: walking all of /proc every sample would take CPU from
        # the fake Slack, which shares this process.
        self.pids = process_tree(pid)
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = memory_kib(self.pids)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(0.1)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
