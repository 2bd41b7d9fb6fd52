"""The floor: a bare Bolt app whose listeners only acknowledge, served exactly as
``golive serve`` serves golive (gunicorn, gthread, the same workers and threads).

``--runner default`` is Bolt's default listener runner (the listener runs in a thread and the
request waits for its ack); ``--runner ack-first`` is ``process_before_response=True``, the
best floor.
"""

import argparse
import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.server import HEALTH_PATH, _Gunicorn


def build(secret: str, *, ack_first: bool, api_url: str) -> Any:
    app = App(
        client=WebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=secret,
        process_before_response=ack_first,
        token_verification_enabled=False,
    )

    def only_ack(ack: Ack) -> None:
        ack()

    app.command(re.compile(".*"))(only_ack)
    app.view(re.compile(".*"))(only_ack)
    app.action(re.compile(".*"))(only_ack)
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runner", choices=("default", "ack-first"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    options = {
        "bind": f"127.0.0.1:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": args.threads,
        "timeout": 30,
        "graceful_timeout": 20,
        "accesslog": None,
        "proc_name": f"bolt-{args.runner}",
    }
    ack_first = args.runner == "ack-first"
    _Gunicorn(lambda: build(args.secret, ack_first=ack_first, api_url=args.api_url), options).run()


if __name__ == "__main__":
    main()
