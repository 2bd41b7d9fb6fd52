"""golive over HTTP: ``POST /slack/events`` (commands, interactivity, events) and
``GET /healthz``, on gunicorn (threaded workers), each worker with its own outbox sender, and
the scheduled jobs in a process of their own beside them (see ``bot/processes.py``)."""

import ctypes
import ctypes.util
import gc
import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.after_ack import AfterAckPool
from bot.app import create_app, make_client
from bot.logging_setup import with_request_id
from bot.processes import SchedulerProcess, die_with_parent
from bot.sender import LANES_AT_ONCE, OutboxSender
from bot.settings import Settings
from store.infra.clock import Clock
from store.infra.db import make_engine, reachable

log = logging.getLogger("golive.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


LAZY_THREADS = 32
# Tasks after the ack that may wait or run at once, per worker: at the 100-200 modals a second
# a worker opens in a surge, the last one queued starts well within Slack's 3 seconds.
AFTER_ACK_LIMIT = 2 * LAZY_THREADS
# How long an ack may wait for a place before its task is let in beyond the bound anyway: with
# the ack's own work and the queue at the server, well inside Slack's 3 seconds.
AFTER_ACK_WAIT_S = 0.5
# The request threads spend most of an ack waiting on the database, and each time an answer
# comes back the thread must win the GIL from whatever post-ack work (rendering, Home tabs)
# holds it: every 5 ms by default, once per statement. 1 ms keeps an ack's dozen statements
# from each queueing behind a render.
SWITCH_INTERVAL_S = 0.001
# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and with
# forty threads a worker's freed memory is scattered over arenas it never returns; with two,
# a surge of reports peaked at about 200 MB of PSS rather than 270-320 MB.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt() parameter number for the arena limit


def database_reachable(engine: Engine) -> bool:
    return reachable(engine)


def make_wsgi(app: App, engine: Engine) -> WsgiApp:
    """The WSGI app gunicorn (and the tests) serve."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ok = database_reachable(engine)
            body = json.dumps({"ok": ok, "database": "reachable" if ok else "unreachable"}).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if not environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "").isdigit():
            # Bolt's check would fail inside the app with a ValueError, answered as an app
            # error rather than the 401 an unverifiable request gets.
            return _answer(start_response, "401 Unauthorized", b"Invalid request timestamp")
        try:
            return slack(environ, start_response)
        except (ValueError, TypeError, AttributeError):
            # Bolt parses the body before it checks the signature, and a body that is not
            # JSON, not UTF-8 or not an object escapes it: answer 400, not the server's 500.
            log.warning("refused a request whose body could not be parsed")
            return _answer(start_response, "400 Bad Request", b"The request body is malformed")

    return with_request_id(wsgi)


def _answer(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


GRACEFUL_TIMEOUT_S = 5
"""Seconds a worker has to finish its requests on SIGTERM: with the scheduler's own few
seconds, running at the same time, every process of ``golive serve`` is gone within 10 s."""


class _Arbiter(Arbiter):  # type: ignore[misc]
    """Gunicorn's master, which also keeps the scheduler process running and stops it with
    the workers."""

    def __init__(self, app: "_Gunicorn", scheduler: SchedulerProcess | None) -> None:
        self._scheduler = scheduler
        super().__init__(app)

    def manage_workers(self) -> None:
        super().manage_workers()
        if self._scheduler is not None:
            self._scheduler.keep_running()

    def stop(self, graceful: bool = True) -> None:
        if self._scheduler is not None:
            self._scheduler.signal_stop()
        super().stop(graceful)
        if self._scheduler is not None:
            self._scheduler.wait_stopped()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn run from code: settings in, no config file or argv parsing."""

    def __init__(
        self,
        load: Callable[[], WsgiApp],
        options: dict[str, Any],
        scheduler: SchedulerProcess | None = None,
    ) -> None:
        self._load = load
        self._options = options
        self._scheduler = scheduler
        super().__init__()

    def run(self) -> None:
        try:
            _Arbiter(self, self._scheduler).run()
        except RuntimeError as error:
            print(f"golive: {error}", file=sys.stderr)
            sys.exit(1)

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 24+ listens on a control socket in $HOME that golive never uses, and
            # that a second golive on the same machine would fight over.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> WsgiApp:
        return self._load()


def serve(
    settings: Settings,
    *,
    engine: Engine,
    clock: Clock,
    port: int,
    scheduler: bool = False,
) -> None:
    """Serve until stopped. Each worker process builds its own app and outbox sender (the
    senders claim rows, so several never send one twice); ``scheduler`` also runs the
    scheduled jobs, in a ``golive scheduler`` process the master starts and stops. The master
    itself holds no database connection: ``engine`` only names the database."""
    settings.require_shared_database()
    engine.dispose()

    threads = max(settings.threads, 1)

    def load_worker() -> WsgiApp:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        mine = worker_engine(engine, threads=threads)
        client = make_client(settings)
        sender = OutboxSender(mine, client, clock, parallel=LANES_AT_ONCE)
        sender.start()
        # Bolt's default pool of 5 threads for work after the ack would open only about 20
        # modals a second in a surge, and a trigger id expires after 3 seconds.
        after_ack = AfterAckPool(
            threads=LAZY_THREADS, limit=AFTER_ACK_LIMIT, wait_s=AFTER_ACK_WAIT_S
        )
        app = create_app(
            settings,
            engine=mine,
            clock=clock,
            client=client,
            nudge=sender.nudge,
            listener_executor=after_ack,
        )
        return make_wsgi(app, mine)

    serve_workers(
        load_worker,
        settings,
        port=port,
        scheduler=SchedulerProcess() if scheduler else None,
    )


def serve_workers(
    load_worker: Callable[[], WsgiApp],
    settings: Settings,
    *,
    port: int,
    scheduler: SchedulerProcess | None,
) -> None:
    """Gunicorn with ``load_worker`` building each worker's app after the fork, and the
    scheduler process beside the workers: ``golive serve`` for Slack, ``golive teams`` for
    Teams (bot/cli.py hands it the Teams face's loader)."""
    threads = max(settings.threads, 1)
    options: dict[str, Any] = {
        "bind": f"0.0.0.0:{port}",
        "workers": max(settings.workers, 1),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "accesslog": None,
        "proc_name": "golive",
        "post_fork": _bind_worker_to_master,
    }
    limit_malloc_arenas()
    # Everything imported so far is shared with the workers; frozen, their collector never
    # writes to it, so the pages stay shared instead of being copied into each worker.
    gc.freeze()
    _Gunicorn(load_worker, options, scheduler).run()


def _bind_worker_to_master(server: Arbiter, _worker: object) -> None:
    """A worker ends with its master, even one killed with SIGKILL, rather than serving on,
    orphaned, with the port and its database connections."""
    die_with_parent(server.pid)


def worker_engine(engine: Engine, *, threads: int) -> Engine:
    """The worker's own engine (made after the fork), with a connection for every thread that
    can hold one at once: the request threads, the post-ack threads and the sender's lanes, so
    an ack never waits for a connection held by post-ack work (the default 5 + 10 is fewer
    than the forty threads). Only the request threads' share is kept open when idle; the rest
    are opened in a surge and closed after it."""
    return make_engine(
        engine.url.render_as_string(hide_password=False),
        pool_size=threads + 2,
        max_overflow=LAZY_THREADS + LANES_AT_ONCE,
    )


def limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas for this process and the workers it forks (a no-op where
    the C library is not glibc)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, MALLOC_ARENAS)
