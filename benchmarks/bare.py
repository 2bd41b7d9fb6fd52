"""The equal-work floor: a bare Bolt app that makes exactly the Web API calls golive makes for
each kind of request, and nothing else, served exactly as ``golive serve`` serves golive
(gunicorn, gthread, the same workers and threads, ``process_before_response=True``).

- ``/golive``: ack, then ``views.open`` of the modal golive opened for it (the view is read
  from a file the surge wrote from golive's own ``views.open``, so it is the same size);
- a triage click: ack, then ``views.open`` of golive's assign form, likewise;
- a report submission: one INSERT and COMMIT of a row in the same kind of database before
  the ack (SQLite in WAL through golive's engine and write lock, or PostgreSQL), then
  ``--posts`` ``chat.postMessage`` calls after it: the first to the triage channel, the
  rest to the reporter, each naming the submitted view so the surge can time them.

``--after-ack lazy`` runs the work after the ack in Bolt's lazy listeners on Bolt's own
executor (a queue without bound); ``--after-ack pool`` hands them to golive's bounded
after-ack pool (bot/after_ack.py) with golive's threads, bound and wait.
"""

import argparse
import gc
import json
import re
import sys
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Engine, text

from bot.after_ack import AfterAckPool
from bot.server import (
    AFTER_ACK_LIMIT,
    AFTER_ACK_WAIT_S,
    HEALTH_PATH,
    LAZY_THREADS,
    SWITCH_INTERVAL_S,
    _Gunicorn,
    limit_malloc_arenas,
    worker_engine,
)
from store.infra.db import make_engine, session_scope

TABLE = "bench_report"
VIEW_ID = re.compile(r"Surge report (V[0-9A-Z]+)")


def create_table(url: str) -> None:
    """The floor's one table: a row per report, written before the ack."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, view_id "
                "VARCHAR(40) NOT NULL, reporter VARCHAR(40) NOT NULL, body TEXT NOT NULL)"
                if engine.dialect.name == "sqlite"
                else f"CREATE TABLE IF NOT EXISTS {TABLE} (id SERIAL PRIMARY KEY, view_id "
                "VARCHAR(40) NOT NULL, reporter VARCHAR(40) NOT NULL, body TEXT NOT NULL)"
            )
        )
    engine.dispose()


def build(args: argparse.Namespace, engine: Engine) -> Any:
    views = json.loads(Path(args.views).read_text())
    executor = (
        AfterAckPool(threads=LAZY_THREADS, limit=AFTER_ACK_LIMIT, wait_s=AFTER_ACK_WAIT_S)
        if args.after_ack == "pool"
        else None
    )
    app = App(
        client=WebClient(token="xoxb-bench", base_url=args.api_url),
        signing_secret=args.secret,
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=executor,
    )

    def ack_only(ack: Ack) -> None:
        ack()

    def open_modal(body: dict[str, Any], client: WebClient) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=views["slash"])

    def open_form(body: dict[str, Any], client: WebClient) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=views["click"])

    def record(ack: Ack, body: dict[str, Any]) -> None:
        found = VIEW_ID.search(json.dumps(body["view"]["state"]))
        with session_scope(engine) as session:
            session.execute(
                text(f"INSERT INTO {TABLE} (view_id, reporter, body) VALUES (:v, :u, :b)"),
                {
                    "v": found.group(1) if found else body["view"]["id"],
                    "u": body["user"]["id"],
                    "b": json.dumps(body["view"]["state"]),
                },
            )
        ack()

    def post(body: dict[str, Any], client: WebClient) -> None:
        found = VIEW_ID.search(json.dumps(body["view"]["state"]))
        view = found.group(1) if found else body["view"]["id"]
        for n in range(args.posts):
            channel = args.triage_channel if n == 0 else body["user"]["id"]
            client.chat_postMessage(channel=channel, text=f"Report {view} received ({n + 1})")

    app.command(re.compile(".*"))(ack=ack_only, lazy=[open_modal])
    app.action(re.compile(".*"))(ack=ack_only, lazy=[open_form])
    app.view(re.compile(".*"))(ack=record, lazy=[post])
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--after-ack", choices=("lazy", "pool"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", required=True, help="JSON file: golive's slash and click views")
    parser.add_argument("--posts", type=int, required=True, help="posts a report owes")
    parser.add_argument("--triage-channel", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    create_table(args.database_url)
    options = {
        "bind": f"127.0.0.1:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": args.threads,
        "timeout": 30,
        "graceful_timeout": 20,
        "accesslog": None,
        "proc_name": f"floor-{args.after_ack}",
    }
    shared = make_engine(args.database_url)

    def load_worker() -> Any:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        return build(args, worker_engine(shared, threads=args.threads))

    limit_malloc_arenas()
    gc.freeze()
    _Gunicorn(load_worker, options, None).run()


if __name__ == "__main__":
    main()
