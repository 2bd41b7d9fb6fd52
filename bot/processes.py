"""The processes of ``golive serve``: the gunicorn master, its workers, and the scheduler
beside them, started and stopped together so that none outlives the others.

SQLite forbids carrying an open connection, or the locks it holds, across ``fork()``. So the
master never holds one when it forks: it checks the schema, closes every connection, and then
only forks and watches. The scheduled jobs, which open the database as soon as they start
(the start-up catch-up), run in a fresh interpreter of their own (``golive scheduler``) that
the master starts when it is ready and stops when it stops. Exactly-once posting does not
change: it rests on the database's (job, period) claims and the outbox keys, which hold
across processes on SQLite and PostgreSQL alike.
"""

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

log = logging.getLogger("golive.processes")

PARENT_PID = "GOLIVE_PARENT_PID"
"""Set in the scheduler's environment: the master it must not outlive."""

PR_SET_PDEATHSIG = 1  # Linux prctl(): the signal the kernel sends when the parent dies
RESTART_AFTER_S = 5.0
"""A scheduler that exits on its own is started again after this long, not in a tight loop."""
STOP_WAIT_S = 4.0
"""How long the scheduler has to finish its job and close its connections on SIGTERM."""
WATCH_INTERVAL_S = 1.0


def die_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid`` (its parent) ends, however it ends (SIGKILL
    included), so that no worker or scheduler is left serving, holding the port or the
    database. On Linux the kernel does it (``PR_SET_PDEATHSIG``); elsewhere a thread watches
    the parent id. A parent already gone before this was set up ends the process at once."""
    if not _kernel_kills_on_parent_death():
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), name="golive-parent-watch", daemon=True
        ).start()
    if os.getppid() != parent_pid:
        os._exit(1)


def _kernel_kills_on_parent_death() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    prctl = getattr(ctypes.CDLL(name, use_errno=True), "prctl", None)
    return prctl is not None and prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so ``finally`` blocks stop the sender and the
    scheduler cleanly instead of the process vanishing mid-statement. A second SIGTERM is
    ignored rather than cutting that short; whoever sent it kills the process if it hangs."""

    def _exit(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)


class SchedulerProcess:
    """``golive scheduler`` as a child of the gunicorn master: started once the master is
    ready, started again (after a pause) if it exits on its own, and stopped with the
    master. It reads the same settings (environment and ``.env``) as the master."""

    def __init__(self, arguments: Sequence[str] = ("scheduler",)) -> None:
        self._arguments = list(arguments)
        self._process: subprocess.Popen[bytes] | None = None
        self._exited_at: float | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def keep_running(self) -> None:
        """Start the scheduler if it is not running; called from the master's loop."""
        if self._stopping:
            return
        if self._process is not None:
            code = self._process.poll()
            if code is None:
                return
            log.error("the scheduler stopped (exit status %s); starting it again", code)
            self._process = None
            self._exited_at = time.monotonic()
        if self._exited_at is not None and time.monotonic() - self._exited_at < RESTART_AFTER_S:
            return
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *self._arguments],
            env={**os.environ, PARENT_PID: str(os.getpid())},
        )
        log.info("started the scheduler (pid %s)", self._process.pid)

    def signal_stop(self) -> None:
        """Ask the scheduler to stop, without waiting, so it stops alongside the workers."""
        if self._stopping:
            return
        self._stopping = True
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()

    def wait_stopped(self, timeout: float = STOP_WAIT_S) -> None:
        """Wait for the scheduler to stop; kill it if it takes longer than ``timeout``."""
        self.signal_stop()
        if self._process is None:
            return
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("the scheduler did not stop in %.0f s; killing it", timeout)
            self._process.kill()
            self._process.wait()
