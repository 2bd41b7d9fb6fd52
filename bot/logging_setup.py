"""Logs as one JSON object a line, with a request id, and nothing a log reader should not see.

Called once from the command-line entry point (never at import, so tests and embedding code
keep their own logging). Three guards apply to every record, whoever wrote it:

* secrets: the configured tokens, signing secret and database password, and anything shaped
  like a Slack token, are replaced by ``[secret]``;
* personal data: NHS numbers and dates of birth are masked (store/records/privacy.py);
* bodies: an exception is logged as its type, where it happened and a short message; the SQL
  parameters SQLAlchemy appends to its messages (what someone typed) are dropped.

The request id is set per HTTP request by ``with_request_id`` and appears on every line the
request's thread writes, and in the ``X-Request-Id`` response header, so a user's report of a
problem can be matched to the log.
"""

import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import make_url

from bot.settings import Settings
from store.records.privacy import mask

REQUEST_ID: ContextVar[str | None] = ContextVar("golive_request_id", default=None)
TOKEN_SHAPE = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{6,}")
SQL_PARAMETERS = re.compile(r"\s*\[parameters:.*?\](?=\s*(?:\(Background|\Z))", re.DOTALL)
SQL_STATEMENT = re.compile(r"\s*\[SQL:.*?\](?=\s*(?:\[parameters|\(Background|\Z))", re.DOTALL)
MESSAGE_LIMIT = 500
HANDLER_NAME = "golive-json"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value golive holds, longest first (so one containing another is caught)."""
    values = [
        secret.get_secret_value()
        for secret in (settings.slack_bot_token, settings.slack_signing_secret)
        if secret is not None
    ]
    if settings.slack_app_token is not None:
        values.append(settings.slack_app_token.get_secret_value())
    try:
        password = make_url(settings.database_url).password
    except Exception:  # an unparsable URL is reported by whatever opens it, not here
        password = None
    if password:
        values.append(str(password))
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def clean(text: str, secrets: list[str]) -> str:
    """A log text without secrets, SQL parameters or personal data, within a short limit."""
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    text = TOKEN_SHAPE.sub("[secret]", text)
    text = SQL_PARAMETERS.sub("", text)
    text = SQL_STATEMENT.sub("", text)
    text = mask(text)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message, and for an error its
    type and where it happened (file, line, function; never local values)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": clean(record.getMessage(), self.secrets),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = type(error).__name__
            entry["error_message"] = clean(str(error), self.secrets)
            frames = traceback.extract_tb(error.__traceback__)[-5:]
            entry["where"] = [f"{f.filename}:{f.lineno} {f.name}" for f in frames]
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    settings: Settings, *, stream: TextIO | None = None, level: int = logging.INFO
) -> logging.Handler:
    """Route every logger through one JSON handler on stderr (or ``stream``); calling it
    again replaces the handler rather than adding a second."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter(secrets_of(settings)))
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that log request and response bodies at debug level stay above it.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))
    # SQL statements are never logged: at INFO SQLAlchemy would print every one.
    for quiet in ("sqlalchemy", "alembic"):
        logging.getLogger(quiet).setLevel(max(level, logging.WARNING))
    return handler


def with_request_id(app: WsgiApp) -> WsgiApp:
    """Give each HTTP request an id for its log lines and its response headers."""

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = uuid.uuid4().hex[:12]
        token = REQUEST_ID.set(request_id)

        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            return start_response(status, [*headers, ("X-Request-Id", request_id)], *exc)

        try:
            return app(environ, start)
        finally:
            REQUEST_ID.reset(token)

    return wsgi
