"""A fake Slack Web API server, so tests drive the real slack_sdk WebClient over real HTTP.

The bot's WebClient gets ``base_url=fake.base_url``; everything it sends is recorded as a
``Call`` and answered the way Slack answers, with state (messages, views, files) kept so a test
can ask what a channel or a modal shows *now*. Failures are injected per method to exercise
the bot's error paths: Slack errors, HTTP 5xx, rate limits and dropped connections.

It refuses what Slack refuses, so a test cannot pass on a call that would fail in a real
workspace: a method whose scope the app's manifest.yml does not grant (``missing_scope``), a
trigger id that is malformed, already exchanged or over 3 seconds old, and Block Kit that
slack_sdk.models rejects (over-long text, too many blocks or options, unknown block types).

How slack_sdk 3.48 sends (everything is a POST, whatever ``http_verb`` the method declares):
JSON bodies for chat.postMessage, chat.postEphemeral, chat.update and views.*; form-encoded
bodies for everything else (users.info, conversations.open, chat.getPermalink, files.*,
auth.test). Form-encoded JSON fields (blocks, view, attachments, files, metadata) are decoded.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.slack_requests import trigger_issued_at

TEAM_ID = "T0001"
TEAM_NAME = "Care Co"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0001"

UPLOAD_METHOD = "upload"
"""Method name recorded for the raw POST of file bytes to an ``upload_url``."""

RESPONSE_URL_METHOD = "response_url"
"""Method name recorded for a POST to a ``response_url`` served by the fake (Bolt's respond())."""

_JSON_FIELDS = ("blocks", "view", "attachments", "files", "metadata")

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
"""The app manifest golive is installed from: the scopes its bot token is granted."""

TRIGGER_LIFETIME = 3.0
"""Seconds Slack lets an app exchange a trigger id for a modal after the interaction."""

MESSAGE_BLOCKS_MAX = 50
"""Blocks Slack allows in one message (slack_sdk.models checks only a view's 100)."""

_SCOPES: dict[str, tuple[str, ...]] = {
    # The bot-token scopes each method needs, from its page in Slack's method reference
    # (docs.slack.dev/reference/methods): any one of them will do; () needs none. The
    # conversations.* methods need the scope for the kind of conversation (_conversation_scopes).
    "auth.test": (),
    "apps.connections.open": (),  # an app-level token's connections:write, not a bot scope
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.getPermalink": (),
    "users.info": ("users:read",),
    "views.open": (),
    "views.push": (),
    "views.update": (),
    "views.publish": (),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}
_CONVERSATION_METHODS = ("conversations.open", "conversations.history", "conversations.replies")

Json = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request the fake received, and what it answered (header names are lower-cased).

    ``status`` is None when the connection was dropped; ``response`` is the JSON body Slack
    answered (or would have, for a drop after accepting), None for an HTTP failure.
    """

    method: str
    args: Json
    headers: dict[str, str]
    body: bytes = b""
    status: int | None = 200
    response: Json | None = None
    received_at: float = 0.0
    """Unix time the request reached the fake, before ``delay``: when Slack would have acted
    on it (a benchmark's "modal opened", "message posted")."""

    @property
    def answered(self) -> Json:
        """The JSON body answered; fails the test for a call that got none (HTTP error)."""
        if self.response is None:
            raise AssertionError(f"{self.method} got no JSON answer (status {self.status})")
        return self.response

    @property
    def accepted(self) -> bool:
        """True when Slack acted on the call, even if the client never heard back."""
        return self.response is not None and self.response.get("ok") is True


@dataclass
class UploadedFile:
    """A file sent through the files_upload_v2 flow (getUploadURLExternal, upload, complete)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class _Fault:
    kind: str  # "error" | "http" | "ratelimit" | "drop"
    remaining: int | None
    error: str = ""
    status: int = 500
    retry_after: int = 0
    after_accept: bool = True


class _Drop(Exception):
    """Raised inside the handler to close the connection without answering."""


class FakeSlack:
    """Fake Slack Web API on 127.0.0.1 (random port), recording calls and answering like Slack.

    The bot token holds the bot scopes ``manifest`` declares: golive's own manifest.yml unless
    a test installs the app from another one.
    """

    def __init__(self, manifest: Path = MANIFEST) -> None:
        self.scopes: tuple[str, ...] = bot_scopes(manifest)
        """The scopes granted to the bot token, in the manifest's order."""
        self.delay: float = 0.0
        """Seconds to wait before every answer, for latency-sensitive benchmarks."""
        self.trigger_lifetime: float = TRIGGER_LIFETIME
        """How old a trigger id may be when exchanged; Slack's 3 s unless a benchmark that
        signs its requests before sending them says otherwise."""
        self.users: dict[str, Json] = {}
        """Overrides for users.info, e.g. ``fake.users["U1"] = {"real_name": "Ann Lee"}``."""
        self.socket_mode_url: str | None = None
        """The websocket URL apps.connections.open hands out: a test's Socket Mode server."""
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, _Fault] = {}
        self._messages: dict[str, list[Json]] = {}
        self._views: dict[str, Json] = {}
        self._home_view_ids: dict[str, str] = {}
        self._external_view_ids: dict[str, str] = {}
        self._files: dict[str, UploadedFile] = {}
        self._exchanged: set[str] = set()
        self._ts_counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[Json], Json]] = {
            "apps.connections.open": self._apps_connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        unscoped = set(self._handlers) - set(_SCOPES) - set(_CONVERSATION_METHODS)
        assert not unscoped, f"say which scopes {sorted(unscoped)} need, from Slack's docs"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Bind a free loopback port and serve in a daemon thread."""
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            # A short poll interval keeps stop() (and so each test's teardown) fast.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fakeslack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """Value for ``WebClient(base_url=...)``; it must end in ``/api/``."""
        return f"{self.url}/api/"

    @property
    def hooks_url(self) -> str:
        """Prefix for ``response_url`` values, so Bolt's respond() lands here and not on Slack."""
        return f"{self.url}/hooks/"

    # ------------------------------------------------------------------ recorded calls

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call received so far (optionally of one method), oldest first."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        """The most recent call of ``method``; fails the test if there is none."""
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method} call; got {self._method_names()}")
        return found[-1]

    def refused(self, error: str = "expired_trigger_id") -> int:
        """How many calls Slack would have refused with ``error`` (by default: a modal whose
        trigger id had expired before the app asked for it)."""
        with self._cond:
            return sum(1 for c in self._calls if c.response and c.response.get("error") == error)

    def clear(self) -> None:
        """Forget recorded calls (state such as messages and views is kept)."""
        with self._cond:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` calls of ``method`` arrived: the bot works after acking."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"waited {timeout}s for {count} {method} call(s), got {len(found)}; "
                        f"calls seen: {self._method_names()}"
                    )
                self._cond.wait(remaining)

    def _method_names(self) -> list[str]:
        with self._cond:
            return [c.method for c in self._calls]

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    # ------------------------------------------------------------------ failure injection

    def fail(self, method: str, error: str = "channel_not_found", times: int | None = 1) -> None:
        """Answer HTTP 200 ``{"ok": false, "error": error}``; ``times=None`` means until cleared."""
        self._set_fault(method, _Fault("error", times, error=error))

    def fail_http(self, method: str, status: int = 500, times: int | None = 1) -> None:
        """Answer a bare HTTP error status, as Slack's edge does during an outage."""
        self._set_fault(method, _Fault("http", times, status=status))

    def rate_limit(self, method: str, retry_after: int = 1, times: int | None = 1) -> None:
        """Answer HTTP 429 with ``Retry-After`` (whole seconds: slack_sdk parses it as int)."""
        self._set_fault(method, _Fault("ratelimit", times, retry_after=retry_after))

    def drop(self, method: str, times: int | None = 1, after_accept: bool = True) -> None:
        """Close the connection without answering.

        With ``after_accept`` the call is recorded and takes effect (a message really is
        posted), which is the ambiguous failure that makes blind retries post twice.
        Without it the request is lost before Slack sees it: nothing is recorded.
        """
        self._set_fault(method, _Fault("drop", times, after_accept=after_accept))

    def clear_failures(self) -> None:
        """Remove every injected failure."""
        with self._cond:
            self._faults.clear()

    def _set_fault(self, method: str, fault: _Fault) -> None:
        with self._cond:
            self._faults[method] = fault

    def _take_fault(self, method: str) -> _Fault | None:
        with self._cond:
            fault = self._faults.get(method)
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[method]
            return fault

    # ------------------------------------------------------------------ state for assertions

    def messages(self, channel: str, thread_ts: str | None = None) -> list[Json]:
        """What a channel shows now, oldest first.

        Without ``thread_ts``: top-level messages (and replies broadcast to the channel), like
        conversations.history. With it: the parent and its replies, like conversations.replies.
        """
        with self._cond:
            msgs = self._messages.get(channel, [])
            if thread_ts is None:
                picked = [m for m in msgs if _is_top_level(m)]
            else:
                picked = [m for m in msgs if thread_ts in (m["ts"], m.get("thread_ts"))]
            return [dict(m) for m in picked]

    def find_message(self, channel: str, ts: str) -> Json | None:
        """The message at ``ts`` in ``channel`` as it is now, or None if absent or deleted."""
        with self._cond:
            found = self._find(channel, ts)
            return dict(found) if found is not None else None

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0HUMAN",
        thread_ts: str | None = None,
        blocks: list[Json] | None = None,
    ) -> Json:
        """Seed a message (e.g. one a person wrote) so shortcuts and replies can target it."""
        with self._cond:
            msg = self._store_message(channel, text, blocks, thread_ts, user=user)
            return dict(msg)

    def view(self, view_id: str) -> Json:
        """The modal or Home view as Slack holds it now (with its current ``hash``)."""
        with self._cond:
            if view_id not in self._views:
                raise AssertionError(f"no view {view_id}; known: {sorted(self._views)}")
            return json.loads(json.dumps(self._views[view_id]))

    def home(self, user_id: str) -> Json | None:
        """The Home tab last published for ``user_id``, if any."""
        with self._cond:
            view_id = self._home_view_ids.get(user_id)
        return self.view(view_id) if view_id is not None else None

    def uploaded_files(self, channel: str | None = None) -> list[UploadedFile]:
        """Files whose upload was completed (optionally only those shared to ``channel``)."""
        with self._cond:
            return [
                f
                for f in self._files.values()
                if f.completed and (channel is None or channel in f.channels)
            ]

    # ------------------------------------------------------------------ request handling

    def _handle(
        self, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request; raises _Drop to close the connection silently."""
        received_at = time.time()
        if self.delay:
            time.sleep(self.delay)
        if path.startswith("/upload/"):
            return self._handle_upload(path.rsplit("/", 1)[-1], headers, body)
        if path.startswith("/hooks/"):
            return self._handle_response_url(path, headers, body)
        if not path.startswith("/api/"):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        method = path[len("/api/") :]
        args = _parse_args(query, headers.get("content-type", ""), body)
        fault = self._take_fault(method)
        call = Call(method=method, args=args, headers=headers, body=body, received_at=received_at)

        if fault is not None and fault.kind == "drop":
            if fault.after_accept:
                self._record(_with(call, status=None, response=self._answer(method, args, headers)))
            raise _Drop
        if fault is not None and fault.kind == "http":
            self._record(_with(call, status=fault.status, response=None))
            reason = f"{fault.status} upstream failure".encode()
            return fault.status, {"Content-Type": "text/plain"}, reason
        if fault is not None and fault.kind == "ratelimit":
            answer = {"ok": False, "error": "ratelimited"}
            self._record(_with(call, status=429, response=answer))
            extra = {"Retry-After": str(fault.retry_after)}
            return 429, {"Content-Type": "application/json", **extra}, _dump(answer)
        if fault is not None:
            answer = {"ok": False, "error": fault.error}
        else:
            answer = self._answer(method, args, headers)
        self._record(_with(call, status=200, response=answer))
        return 200, {"Content-Type": "application/json; charset=utf-8"}, _dump(answer)

    def _answer(self, method: str, args: Json, headers: dict[str, str]) -> Json:
        if not headers.get("authorization", "").startswith("Bearer ") and not args.get("token"):
            return {"ok": False, "error": "not_authed"}
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        needed = (
            _conversation_scopes(method, args)
            if method in _CONVERSATION_METHODS
            else _SCOPES[method]
        )
        if needed and not set(needed) & set(self.scopes):
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": ",".join(needed),
                "provided": ",".join(self.scopes),
            }
        with self._cond:
            return handler(args)

    def _handle_upload(
        self, file_id: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._cond:
            upload = self._files.get(file_id)
            if upload is not None:
                upload.content = body
        self._record(
            Call(UPLOAD_METHOD, {"file_id": file_id}, headers, body, 200 if upload else 404)
        )
        if upload is None:
            return 404, {"Content-Type": "text/plain"}, b"file not found"
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(body)}".encode()

    def _handle_response_url(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        args = _parse_args("", headers.get("content-type", ""), body)
        args["url_path"] = path
        self._record(Call(RESPONSE_URL_METHOD, args, headers, body, 200, {"ok": True}))
        return 200, {"Content-Type": "text/html"}, b"ok"

    # ------------------------------------------------------------------ Slack methods
    # Each runs under self._cond and returns the JSON body Slack would answer.

    def _auth_test(self, args: Json) -> Json:
        return {
            "ok": True,
            "url": "https://careco.slack.com/",
            "team": TEAM_NAME,
            "user": "golive",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: Json) -> Json:
        if self.socket_mode_url is None:
            return {"ok": False, "error": "fake_has_no_socket_mode_url"}
        return {"ok": True, "url": self.socket_mode_url}

    def _chat_post_message(self, args: Json) -> Json:
        channel = _channel_for(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        refused = _invalid_blocks(args)
        if refused is not None:
            return refused
        msg = self._store_message(
            channel,
            args.get("text", ""),
            args.get("blocks"),
            args.get("thread_ts"),
            reply_broadcast=_truthy(args.get("reply_broadcast")),
        )
        if isinstance(args.get("metadata"), dict):
            msg["metadata"] = args["metadata"]
        return {"ok": True, "channel": channel, "ts": msg["ts"], "message": _public(msg, args)}

    def _chat_update(self, args: Json) -> Json:
        channel = args.get("channel", "")
        msg = self._find(channel, args.get("ts", ""))
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        refused = _invalid_blocks(args)
        if refused is not None:
            return refused
        for key in ("text", "blocks", "attachments"):
            if key in args:
                msg[key] = args[key]
        return {
            "ok": True,
            "channel": channel,
            "ts": msg["ts"],
            "text": msg.get("text", ""),
            "message": dict(msg),
        }

    def _chat_delete(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        msg = self._find(channel, ts)
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        self._messages[channel].remove(msg)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_post_ephemeral(self, args: Json) -> Json:
        if not args.get("user"):
            return {"ok": False, "error": "user_not_found"}
        refused = _invalid_blocks(args)
        if refused is not None:
            return refused
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("message_ts", "")
        link = f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _conversations_open(self, args: Json) -> Json:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": args["channel"]}}
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel_id = "D" + users[0] if len(users) == 1 else "G" + "".join(sorted(users))
        return {"ok": True, "channel": {"id": channel_id}}

    def _conversations_history(self, args: Json) -> Json:
        msgs = [m for m in self._messages.get(args.get("channel", ""), []) if _is_top_level(m)]
        listed = [_public(m, args) for m in reversed(msgs)]
        return {"ok": True, "messages": listed, "has_more": False}

    def _conversations_replies(self, args: Json) -> Json:
        ts = args.get("ts", "")
        msgs = self._messages.get(args.get("channel", ""), [])
        thread = [_public(m, args) for m in msgs if ts in (m["ts"], m.get("thread_ts"))]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": thread, "has_more": False}

    def _users_info(self, args: Json) -> Json:
        user_id = args.get("user", "")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        given = dict(self.users.get(user_id, {}))
        name = given.pop("name", user_id.lower())
        real_name = given.pop("real_name", f"User {user_id}")
        display_name = given.pop("display_name", real_name)
        profile = {"real_name": real_name, "display_name": display_name, **given.pop("profile", {})}
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": False,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": profile,
            **given,
        }
        return {"ok": True, "user": user}

    def _views_open(self, args: Json) -> Json:
        refused = self._exchange_trigger(args)
        if refused is not None:
            return refused
        return {"ok": True, "view": self._store_view(args["view"], None)}

    def _views_push(self, args: Json) -> Json:
        refused = self._exchange_trigger(args)
        if refused is not None:
            return refused
        return {"ok": True, "view": self._store_view(args["view"], None)}

    def _exchange_trigger(self, args: Json) -> Json | None:
        """Use up the trigger id that lets views.open and views.push show a modal, or say why
        Slack would not: malformed, already exchanged, or older than ``trigger_lifetime``.

        The view is checked before the trigger is used, so a refused view leaves it unused.
        """
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        if not trigger:
            return {"ok": False, "error": "invalid_arguments"}
        issued_at = trigger_issued_at(trigger)
        if issued_at is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        refused = _invalid_view(args)
        if refused is not None:
            return refused
        if trigger in self._exchanged:
            return {"ok": False, "error": "exchanged_trigger_id"}
        if time.time() - issued_at > self.trigger_lifetime:
            return {"ok": False, "error": "expired_trigger_id"}
        self._exchanged.add(trigger)
        return None

    def _views_update(self, args: Json) -> Json:
        view_id = args.get("view_id") or self._external_view_ids.get(args.get("external_id", ""))
        if not view_id:
            return {"ok": False, "error": "not_found"}
        refused = _invalid_view(args)
        if refused is not None:
            return refused
        conflict = self._hash_conflict(view_id, args.get("hash"))
        if conflict is not None:
            return conflict
        return {"ok": True, "view": self._store_view(args["view"], view_id)}

    def _views_publish(self, args: Json) -> Json:
        refused = _invalid_view(args)
        if refused is not None:
            return refused
        user_id = args.get("user_id", "")
        view_id = self._home_view_ids.get(user_id)
        if view_id is not None:
            conflict = self._hash_conflict(view_id, args.get("hash"))
            if conflict is not None:
                return conflict
        stored = self._store_view(args["view"], view_id)
        self._home_view_ids[user_id] = stored["id"]
        return {"ok": True, "view": stored}

    def _files_get_upload_url(self, args: Json) -> Json:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        self._files[file_id] = UploadedFile(file_id, args["filename"], int(args["length"]))
        return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: Json) -> Json:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            return {"ok": False, "error": "invalid_arguments"}
        channels = [c for c in str(args.get("channels", "")).split(",") if c]
        if args.get("channel_id"):
            channels.append(args["channel_id"])
        done: list[UploadedFile] = []
        for entry in entries:
            upload = self._files.get(entry.get("id", ""))
            if upload is None or upload.content is None:
                return {"ok": False, "error": "file_not_found"}
            done.append(upload)
        for upload, entry in zip(done, entries, strict=True):
            upload.title = entry.get("title") or upload.filename
            upload.channels = channels
            upload.initial_comment = args.get("initial_comment")
            upload.thread_ts = args.get("thread_ts")
            upload.completed = True
        for channel in channels:
            msg = self._store_message(
                channel, args.get("initial_comment", ""), None, args.get("thread_ts")
            )
            msg["files"] = [u.id for u in done]
        return {"ok": True, "files": [_file_json(u) for u in done]}

    # ------------------------------------------------------------------ state helpers

    def _next_ts(self) -> str:
        n = next(self._ts_counter)
        return f"{1700000000 + n // 10000}.{(n % 10000) * 100:06d}"

    def _store_message(
        self,
        channel: str,
        text: str,
        blocks: list[Json] | None,
        thread_ts: str | None,
        *,
        user: str = BOT_USER_ID,
        reply_broadcast: bool = False,
    ) -> Json:
        msg: Json = {"type": "message", "user": user, "text": text, "ts": self._next_ts()}
        if user == BOT_USER_ID:
            msg.update(bot_id=BOT_ID, app_id=APP_ID, team=TEAM_ID)
        msg["blocks"] = blocks or []
        msg["thread_ts"] = thread_ts
        if reply_broadcast:
            msg["subtype"] = "thread_broadcast"
        self._messages.setdefault(channel, []).append(msg)
        return msg

    def _find(self, channel: str, ts: str) -> Json | None:
        return next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)

    def _store_view(self, view: Json, view_id: str | None) -> Json:
        previous = self._views.get(view_id) if view_id else None
        new_id = view_id or "V" + uuid.uuid4().hex[:10].upper()
        stored: Json = {
            "id": new_id,
            "team_id": TEAM_ID,
            "type": view.get("type", "modal"),
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": previous["root_view_id"] if previous else new_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
            **view,
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        }
        stored["id"] = new_id
        self._views[new_id] = stored
        if stored["external_id"]:
            self._external_view_ids[stored["external_id"]] = new_id
        return json.loads(json.dumps(stored))

    def _hash_conflict(self, view_id: str, given_hash: str | None) -> Json | None:
        current = self._views.get(view_id)
        if given_hash and current is not None and current["hash"] != given_hash:
            return {"ok": False, "error": "hash_conflict"}
        return None


class _Server(ThreadingHTTPServer):
    """Slack's edge takes every connection: a listen backlog of 128 rather than Python's 5,
    so a surge of calls (slack_sdk opens a connection for each) is not reset at connect."""

    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to its FakeSlack; quiet, and able to hang up without answering."""

    owner: FakeSlack

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, payload = self.owner._handle(
                parts.path, parts.query, headers, body
            )
        except _Drop:
            self.close_connection = True
            return
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""


def bot_scopes(manifest: Path) -> tuple[str, ...]:
    """The bot scopes an app installed from ``manifest`` is granted."""
    declared = yaml.safe_load(manifest.read_text())
    return tuple(declared["oauth_config"]["scopes"]["bot"])


def _conversation_scopes(method: str, args: Json) -> tuple[str, ...]:
    """The scope a conversations.* method needs for the conversation it is given: a direct
    message needs im:..., a group DM mpim:..., a channel channels:... (or groups:... if it is
    private, which its C id does not tell)."""
    if method == "conversations.open":
        users = [u for u in str(args.get("users", "")).split(",") if u]
        one_person = len(users) == 1 if users else str(args.get("channel", "")).startswith("D")
        return ("im:write",) if one_person else ("mpim:write",)
    kinds = {"D": ("im",), "G": ("groups", "mpim")}.get(
        str(args.get("channel", ""))[:1], ("channels", "groups")
    )
    return tuple(f"{kind}:history" for kind in kinds)


def _invalid_blocks(args: Json) -> Json | None:
    """Slack's ``invalid_blocks`` answer to a message whose blocks slack_sdk.models rejects."""
    blocks = args.get("blocks")
    if blocks is None:
        return None
    problems = _block_problems(blocks, "/blocks")
    if isinstance(blocks, list) and len(blocks) > MESSAGE_BLOCKS_MAX:
        problems.append(f"no more than {MESSAGE_BLOCKS_MAX} items allowed [json-pointer:/blocks]")
    if not problems:
        return None
    return {
        "ok": False,
        "error": "invalid_blocks",
        "errors": problems,
        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
    }


def _invalid_view(args: Json) -> Json | None:
    """Slack's answer to a view that slack_sdk.models rejects, or none at all.

    For views.* Slack answers ``invalid_arguments`` with the faults in response_metadata (its
    method reference lists no ``invalid_blocks`` for them, unlike chat.*), so the fake does too.
    """
    view = args.get("view")
    if not isinstance(view, dict):
        problems = ["must provide an object [json-pointer:/view]"]
    else:
        problems = _block_problems(view.get("blocks", []), "/view/blocks")
        if not problems:
            try:
                View(**view).to_dict()
            except Exception as error:
                problems.append(f"{error} [json-pointer:/view]")
    if not problems:
        return None
    return {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
    }


def _block_problems(blocks: Any, pointer: str) -> list[str]:
    """What slack_sdk.models finds wrong with each block, pointed at as Slack points."""
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{pointer}]"]
    problems = []
    for i, block in enumerate(blocks):
        try:
            parsed = Block.parse(block) if isinstance(block, dict) else None
            if parsed is None:
                raise ValueError(f"unknown block {block!r:.80}")
            parsed.to_dict()
        except Exception as error:  # slack_sdk raises more than SlackObjectFormationError
            problems.append(f"{error} [json-pointer:{pointer}/{i}]")
    return problems


def _parse_args(query: str, content_type: str, body: bytes) -> Json:
    """Merge query-string and body arguments, decoding form fields that carry JSON."""
    args: Json = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json"):
        parsed = json.loads(body or b"{}")
        if isinstance(parsed, dict):
            args.update(parsed)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str):
                # Invalid JSON stays raw text, visible to the test (Slack would reject it).
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(args[key])
    return args


def _with(call: Call, *, status: int | None, response: Json | None) -> Call:
    return Call(call.method, call.args, call.headers, call.body, status, response, call.received_at)


def _dump(obj: Json) -> bytes:
    return json.dumps(obj).encode()


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true")


def _public(msg: Json, args: Json) -> Json:
    """A message as Slack lists it: message metadata only when ``include_all_metadata``."""
    shown = dict(msg)
    if not _truthy(args.get("include_all_metadata")):
        shown.pop("metadata", None)
    return shown


def _is_top_level(msg: Json) -> bool:
    return msg.get("thread_ts") in (None, msg["ts"]) or msg.get("subtype") == "thread_broadcast"


def _channel_for(channel: str) -> str:
    """Posting to a user ID lands in the DM with that user, as on Slack."""
    return "D" + channel if channel[:1] in ("U", "W") else channel


def _file_json(upload: UploadedFile) -> Json:
    return {
        "id": upload.id,
        "name": upload.filename,
        "title": upload.title,
        "size": upload.length,
        "user": BOT_USER_ID,
        "channels": upload.channels,
    }
