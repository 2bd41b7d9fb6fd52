"""Signed requests to the real Bolt app, shaped and encoded exactly as Slack sends them.

Slash commands arrive form-encoded; interactivity (block_actions, view_submission, shortcuts)
arrives form-encoded with one ``payload`` field holding JSON; Events API callbacks arrive as
JSON. Every body is signed with the app's signing secret (v0 HMAC-SHA256), so the tests go
through Bolt's request verification rather than around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import WSGIApplication

TEAM_ID = "T0001"
TEAM_DOMAIN = "careco"
APP_ID = "A0001"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0GOLIVE"
CHANNEL_NAME = "golive"
BOT_USER_ID = "UBOT"

Json = dict[str, Any]

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


_TRIGGER = re.compile(r"(\d+)\.(\d+)\.([0-9a-f]+)")


def new_trigger_id(issued_at: float | None = None) -> str:
    """A trigger id as Slack issues it with an interaction: ``<digits>.<digits>.<hex>``.

    The first part is the issue time in milliseconds (``issued_at``, a Unix time; now by
    default), so the fake Slack can tell a trigger older than Slack allows without any state
    shared with this driver, even from another process (the benchmarks). Each one is unique.
    """
    issued = time.time() if issued_at is None else issued_at
    return f"{round(issued * 1000)}.{TEAM_ID[1:]}{_n()}.{uuid.uuid4().hex}"


def trigger_issued_at(trigger: str) -> float | None:
    """The Unix time ``new_trigger_id`` wrote into a trigger id; None if it has not that shape."""
    parsed = _TRIGGER.fullmatch(trigger)
    return int(parsed.group(1)) / 1000 if parsed else None


def _response_url(kind: str, hooks_url: str | None) -> str:
    base = hooks_url or "https://hooks.slack.com/"
    return f"{base}{kind}/{TEAM_ID}/{_n()}/{uuid.uuid4().hex[:24]}"


def _now_ts() -> str:
    return f"{time.time():.6f}"


def _team() -> Json:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def _user(user_id: str) -> Json:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


# ---------------------------------------------------------------------- signing


def sign(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for ``body`` (v0 HMAC-SHA256 of ``v0:ts:body``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:%d:" % ts + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


# ---------------------------------------------------------------------- block state values
# Shapes as they appear in view.state.values[block_id][action_id] and in block_actions.


def _option(value: str, text: str | None = None) -> Json:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def plain_text_input(value: str | None) -> Json:
    """State of a plain_text_input (``value`` is None when left empty)."""
    return {"type": "plain_text_input", "value": value}


def number_input(value: int | float | str | None) -> Json:
    """State of a number_input: Slack sends the number as a string."""
    return {"type": "number_input", "value": None if value is None else str(value)}


def static_select(value: str | None, text: str | None = None) -> Json:
    """State of a static_select; ``None`` is what Slack sends for no selection."""
    return {
        "type": "static_select",
        "selected_option": None if value is None else _option(value, text),
    }


def multi_static_select(*values: str) -> Json:
    """State of a multi_static_select."""
    return {"type": "multi_static_select", "selected_options": [_option(v) for v in values]}


def radio_buttons(value: str | None, text: str | None = None) -> Json:
    """State of a radio_buttons group."""
    return {
        "type": "radio_buttons",
        "selected_option": None if value is None else _option(value, text),
    }


def checkboxes(*values: str) -> Json:
    """State of a checkboxes group, ticked options in order."""
    return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}


def users_select(user_id: str | None) -> Json:
    """State of a users_select."""
    return {"type": "users_select", "selected_user": user_id}


def multi_users_select(*user_ids: str) -> Json:
    """State of a multi_users_select."""
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def conversations_select(channel_id: str | None) -> Json:
    """State of a conversations_select."""
    return {"type": "conversations_select", "selected_conversation": channel_id}


def datepicker(date: dt.date | str | None) -> Json:
    """State of a datepicker: ``YYYY-MM-DD`` or None."""
    value = date.isoformat() if isinstance(date, dt.date) else date
    return {"type": "datepicker", "selected_date": value}


def timepicker(time_of_day: dt.time | str | None) -> Json:
    """State of a timepicker: ``HH:MM`` or None."""
    value = time_of_day.strftime("%H:%M") if isinstance(time_of_day, dt.time) else time_of_day
    return {"type": "timepicker", "selected_time": value}


# ---------------------------------------------------------------------- payload builders


def slash_command(
    text: str = "",
    *,
    command: str = "/golive",
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    trigger_id: str | None = None,
    response_url: str | None = None,
    hooks_url: str | None = None,
) -> dict[str, str]:
    """Form fields of a slash command invocation."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or _response_url("commands", hooks_url),
        "trigger_id": trigger_id or new_trigger_id(),
    }


def block_actions(
    action_id: str,
    value: str | None = None,
    *,
    user_id: str = USER_ID,
    block_id: str | None = None,
    action: Json | None = None,
    message: Json | None = None,
    channel_id: str = CHANNEL_ID,
    view: Json | None = None,
    container: Json | None = None,
    state_values: Json | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    hooks_url: str | None = None,
) -> Json:
    """A block_actions payload: a button click by default, or any element via ``action``.

    ``action`` is merged over the button, e.g. ``action=static_select("v")`` or
    ``action=users_select("U2")``. Pass ``view`` (e.g. ``fake.view(view_id)``) for a click
    inside a modal or Home tab; otherwise the click comes from ``message`` in ``channel_id``.
    """
    element: Json = {
        "action_id": action_id,
        "block_id": block_id or f"b{_n()}",
        "action_ts": _now_ts(),
    }
    if action is not None:
        element.update(action)
    else:
        element.update(type="button", text={"type": "plain_text", "text": "Button", "emoji": True})
        if value is not None:
            element["value"] = value
    payload: Json = {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or new_trigger_id(),
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [element],
    }
    if view is not None:
        payload["container"] = container or {
            "type": "view",
            "view_id": view["id"],
        }
        payload["view"] = view
        if state_values is not None:
            payload["view"] = {**view, "state": {"values": state_values}}
    else:
        msg = message or {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": "BBOT",
            "text": "",
            "ts": "1700000000.000100",
            "blocks": [],
        }
        payload["container"] = container or {
            "type": "message",
            "message_ts": msg["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": CHANNEL_NAME}
        payload["message"] = msg
        payload["response_url"] = response_url or _response_url("actions", hooks_url)
        if state_values is not None:
            payload["state"] = {"values": state_values}
    return payload


def view_submission(
    callback_id: str | None = None,
    values: Json | None = None,
    *,
    view: Json | None = None,
    user_id: str = USER_ID,
    private_metadata: str | None = None,
    view_id: str | None = None,
    view_hash: str | None = None,
    trigger_id: str | None = None,
) -> Json:
    """A view_submission payload.

    ``values`` is ``{block_id: {action_id: <state helper>}}``. Pass ``view`` (for instance
    ``fake.view(view_id)``, the modal the bot really opened) to submit that modal; the other
    arguments override its fields.
    """
    base: Json = (
        dict(view)
        if view is not None
        else {
            "id": "V" + uuid.uuid4().hex[:10].upper(),
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "title": {"type": "plain_text", "text": "Go-live"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": "BBOT",
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        }
    )
    overrides = {
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "id": view_id,
        "hash": view_hash,
    }
    base.update({k: v for k, v in overrides.items() if v is not None})
    base.setdefault("root_view_id", base["id"])
    base["state"] = {"values": values or {}}
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or new_trigger_id(),
        "view": base,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def message_action(
    callback_id: str,
    message_text: str = "",
    *,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    message_ts: str = "1700000000.000100",
    message: Json | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    hooks_url: str | None = None,
) -> Json:
    """A message shortcut (``message_action``) payload on a message in ``channel_id``.

    ``message`` (e.g. from ``fake.find_message``) replaces the generated one.
    """
    msg = message or {
        "type": "message",
        "user": user_id,
        "text": message_text,
        "ts": message_ts,
    }
    return {
        "type": "message_action",
        "token": "verification-token-unused",
        "action_ts": _now_ts(),
        "team": _team(),
        "user": _user(user_id),
        "channel": {"id": channel_id, "name": CHANNEL_NAME},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url or _response_url("app", hooks_url),
        "message_ts": msg["ts"],
        "message": msg,
    }


def event_callback(event: Json, *, event_id: str | None = None, team_id: str = TEAM_ID) -> Json:
    """The Events API envelope around ``event``."""
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def app_home_opened(user_id: str = USER_ID, *, tab: str = "home", view: Json | None = None) -> Json:
    """The inner ``app_home_opened`` event (wrap with ``event_callback`` or ``driver.event``)."""
    event: Json = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id,
        "tab": tab,
        "event_ts": _now_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


# ---------------------------------------------------------------------- HTTP driver


@dataclass(frozen=True)
class Response:
    """What the app answered Slack."""

    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        """The body parsed as JSON (Bolt answers acks with a body as JSON)."""
        return json.loads(self.body)


class SlackDriver:
    """Plays Slack against the app's request URL: builds, signs and POSTs each request.

    Give ``hooks_url`` (``fake.hooks_url``) so the ``response_url`` in payloads points at
    the fake Slack instead of hooks.slack.com.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        path: str = "/slack/events",
        hooks_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.hooks_url = hooks_url
        self.timeout = timeout

    def command(self, text: str = "", **kw: Any) -> Response:
        """Invoke a slash command (``/golive`` unless ``command=`` says otherwise)."""
        kw.setdefault("hooks_url", self.hooks_url)
        return self.post_form(slash_command(text, **kw))

    def action(self, action_id: str, value: str | None = None, **kw: Any) -> Response:
        """Click a button or change an element (see ``block_actions``)."""
        kw.setdefault("hooks_url", self.hooks_url)
        return self.interactive(block_actions(action_id, value, **kw))

    def submit(
        self, callback_id: str | None = None, values: Json | None = None, **kw: Any
    ) -> Response:
        """Submit a modal (see ``view_submission``)."""
        return self.interactive(view_submission(callback_id, values, **kw))

    def shortcut(self, callback_id: str, message_text: str = "", **kw: Any) -> Response:
        """Use a message shortcut on a message (see ``message_action``)."""
        kw.setdefault("hooks_url", self.hooks_url)
        return self.interactive(message_action(callback_id, message_text, **kw))

    def event(
        self,
        event: Json,
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **kw: Any,
    ) -> Response:
        """Deliver an Events API event; ``retry_num`` marks it as Slack's redelivery."""
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.post_json(event_callback(event, **kw), headers=headers)

    def interactive(self, payload: Json) -> Response:
        """POST any interactivity payload the way Slack does: form field ``payload`` = JSON."""
        return self.post_form({"payload": json.dumps(payload)})

    def post_form(self, fields: dict[str, str]) -> Response:
        """POST signed ``application/x-www-form-urlencoded`` fields."""
        body = urlencode(fields).encode()
        return self._signed(body, "application/x-www-form-urlencoded")

    def post_json(self, payload: Json, headers: dict[str, str] | None = None) -> Response:
        """POST a signed JSON body (Events API, url_verification)."""
        return self._signed(json.dumps(payload).encode(), "application/json", headers)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> Response:
        """POST exactly these bytes and headers: for forged, stale or malformed requests."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.netloc, timeout=self.timeout)
        try:
            conn.request("POST", parts.path or "/", body=body, headers=headers)
            resp = conn.getresponse()
            return Response(
                status=resp.status,
                body=resp.read().decode("utf-8", "replace"),
                headers={k.lower(): v for k, v in resp.getheaders()},
            )
        finally:
            conn.close()

    def _signed(
        self, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> Response:
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(body, self.signing_secret),
            **(extra or {}),
        }
        return self.post_raw(body, headers)


# ---------------------------------------------------------------------- WSGI test server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_wsgi(app: WSGIApplication) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` on a free loopback port in a thread; returns (base_url, stop)."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="wsgi", daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_port}", stop
