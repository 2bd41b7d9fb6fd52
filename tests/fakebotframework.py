"""A fake Bot Framework on loopback, the Teams counterpart of tests/fakeslack.py.

It plays every part of Microsoft's side golive talks to or trusts:

- the OpenID metadata and its key set (a local RSA key pair, endorsed for ``msteams``), which
  golive reads to validate incoming tokens, exactly as it reads login.botframework.com's;
- Azure AD's token endpoint (the client credentials grant), which hands golive its token;
- the connector (``/v3/conversations/...``): it records every activity golive sends, keeps
  what each conversation shows now (so an update in place can be checked), and refuses calls
  without the token it issued;
- Teams itself, sending golive activities signed with the local key (or, for the refusal
  tests, signed wrongly), through golive's real HTTP endpoint.

Faults are injected per operation: 429 with ``Retry-After``, 5xx, or a dropped connection
(closed before the call is taken in, so nothing was sent).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

Json = dict[str, Any]

APP_ID = "8f0b4f3e-0d5c-4f8e-9d61-3c1e2b7a9f10"
APP_PASSWORD = "test-client-secret"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://api.botframework.com"
KEY_ID = "golive-test-key"
CHANNEL = "msteams"
TRIAGE_CONVERSATION = "19:triage0000000000000000000000000@thread.tacv2"
PROJECT_CONVERSATION = "19:project000000000000000000000000@thread.tacv2"
BOARD_CONVERSATION = "19:board00000000000000000000000000@thread.tacv2"

SEND, REPLY, UPDATE, CREATE, TOKEN = "send", "reply", "update", "create", "token"


@dataclass
class Sent:
    """One call golive made to the connector."""

    operation: str
    conversation: str | None
    activity_id: str | None
    body: Json
    status: int


@dataclass
class _Fault:
    status: int
    retry_after: float | None = None
    drop: bool = False
    times: int | None = 1


@dataclass
class Person:
    """A Teams user as an activity names them."""

    aad_id: str
    name: str

    @property
    def teams_id(self) -> str:
        return f"29:{self.aad_id}"

    def account(self) -> Json:
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_id}


@dataclass
class Conversation:
    """What a conversation shows now: its activities by id, in order."""

    id: str
    activities: dict[str, Json] = field(default_factory=dict)


class FakeBotFramework:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sent: list[Sent] = []
        self.tokens_issued: list[str] = []
        self.conversations: dict[str, Conversation] = {}
        self.personal: dict[str, str] = {}  # user id -> personal chat id
        self._faults: dict[str, list[_Fault]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.http = httpx.Client(timeout=30)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeBotFramework:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.http.close()

    def __enter__(self) -> FakeBotFramework:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/"

    def environment(self) -> dict[str, str]:
        """The settings that point golive's Teams face here."""
        return {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": APP_PASSWORD,
            "TEAMS_TENANT_ID": TENANT_ID,
            "TEAMS_OPENID_URL": f"{self.url}/openid",
            "TEAMS_TOKEN_URL": f"{self.url}/token",
            "TEAMS_SERVICE_URL": self.service_url,
            "TEAMS_TRIAGE_CHANNEL": TRIAGE_CONVERSATION,
            "TEAMS_PROJECT_CHANNEL": PROJECT_CONVERSATION,
            "TEAMS_BOARD_CHANNEL": BOARD_CONVERSATION,
            "TEAMS_PACE_SECONDS": "0",
        }

    # ---------------------------------------------------------------- faults

    def fail(self, operation: str, status: int = 500, *, times: int | None = 1) -> None:
        self._faults.setdefault(operation, []).append(_Fault(status, times=times))

    def rate_limit(self, operation: str, retry_after: float = 1, *, times: int = 1) -> None:
        self._faults.setdefault(operation, []).append(_Fault(429, retry_after, times=times))

    def drop(self, operation: str, *, times: int = 1) -> None:
        self._faults.setdefault(operation, []).append(_Fault(0, drop=True, times=times))

    def _take_fault(self, operation: str) -> _Fault | None:
        with self._lock:
            faults = self._faults.get(operation) or []
            if not faults:
                return None
            fault = faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.pop(0)
            return fault

    # ---------------------------------------------------------------- what golive sent

    def activities(self, operation: str | None = None) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if operation is None or s.operation == operation]

    def wait_for(
        self, operation: str, count: int = 1, *, timeout: float = 10.0, **match: Any
    ) -> list[Sent]:
        """The accepted calls of ``operation`` once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [
                    s
                    for s in self.sent
                    if s.operation == operation
                    and s.status < 300
                    and all(getattr(s, k) == v for k, v in match.items())
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited for {count} {operation}, got {len(found)}: "
                        f"{[(s.operation, s.conversation, s.status) for s in self.sent]}"
                    )
                self._changed.wait(left)

    def shown(self, conversation: str, activity_id: str) -> Json:
        """The activity as the conversation shows it now (after any update)."""
        with self._lock:
            return self.conversations[conversation].activities[activity_id]

    # ---------------------------------------------------------------- signing

    def jwk(self) -> Json:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {**public, "kid": KEY_ID, "use": "sig", "endorsements": [CHANNEL]}

    def token_for(
        self,
        *,
        service_url: str | None = None,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        now: datetime,
        lifetime: timedelta = timedelta(hours=1),
        key: Any = None,
        kid: str = KEY_ID,
    ) -> str:
        claims = {
            "iss": issuer,
            "aud": audience,
            "serviceUrl": service_url or self.service_url,
            "nbf": int(now.timestamp()) - 60,
            "exp": int((now + lifetime).timestamp()),
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    # ---------------------------------------------------------------- Teams' side: activities

    def activity(
        self,
        kind: str,
        *,
        user: Person,
        conversation: str = "a:personal",
        conversation_type: str = "personal",
        **fields: Any,
    ) -> Json:
        return {
            "type": kind,
            "id": f"act-{uuid.uuid4().hex[:12]}",
            "timestamp": "2026-11-23T09:00:00Z",
            "serviceUrl": self.service_url,
            "channelId": CHANNEL,
            "from": user.account(),
            "recipient": {"id": f"28:{APP_ID}", "name": "golive"},
            "conversation": {
                "id": conversation,
                "conversationType": conversation_type,
                "tenantId": TENANT_ID,
            },
            "channelData": {"tenant": {"id": TENANT_ID}},
            **fields,
        }

    def message(self, text: str, *, user: Person, **kw: Any) -> Json:
        return self.activity("message", user=user, text=text, **kw)

    def invoke(self, name: str, value: Json, *, user: Person, **kw: Any) -> Json:
        return self.activity("invoke", user=user, name=name, value=value, **kw)

    def post(
        self, golive: str, activity: Json, *, now: datetime, token: str | None = None
    ) -> httpx.Response:
        """Send an activity to golive's endpoint, signed as Bot Framework signs it."""
        bearer = token if token is not None else self.token_for(now=now)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return self.http.post(f"{golive}/api/messages", json=activity, headers=headers)

    # ---------------------------------------------------------------- serving

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple:
        if method == "GET" and path == "/openid":
            return (
                200,
                {
                    "issuer": ISSUER,
                    "jwks_uri": f"{self.url}/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
                None,
            )
        if method == "GET" and path == "/keys":
            return 200, {"keys": [self.jwk()]}, None
        if method == "POST" and path == "/token":
            return self._token(body)
        if path.startswith("/v3/conversations"):
            return self._connector(method, path, headers, body)
        return 404, {"error": "not found"}, None

    def _token(self, body: bytes) -> tuple:
        fault = self._take_fault(TOKEN)
        if fault is not None:
            return fault.status, {"error": "temporarily_unavailable"}, fault
        form = dict(parse_qsl(body.decode()))
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != APP_ID
            or form.get("client_secret") != APP_PASSWORD
        ):
            return 401, {"error": "invalid_client"}, None
        token = f"bf-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens_issued.append(token)
        return 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": token}, None

    def _connector(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple:
        parts = [unquote(p) for p in path.removeprefix("/v3/conversations").split("/") if p]
        operation = (
            CREATE
            if not parts
            else SEND
            if len(parts) == 2
            else UPDATE
            if method == "PUT"
            else REPLY
        )
        fault = self._take_fault(operation)
        if fault is not None and fault.drop:
            return 0, {}, fault
        activity = json.loads(body or b"{}")
        conversation = parts[0] if parts else None
        activity_id = parts[2] if len(parts) > 2 else None
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        status, answer = 200, {}
        if bearer not in self.tokens_issued:
            status, answer = 401, {"error": {"code": "Unauthorized"}}
        elif fault is not None:
            status, answer = fault.status, {"error": {"code": "ServiceError"}}
        else:
            status, answer = self._apply(operation, conversation, activity_id, activity)
        with self._changed:
            self.sent.append(Sent(operation, conversation, activity_id, activity, status))
            self._changed.notify_all()
        return status, answer, fault

    def _apply(
        self, operation: str, conversation: str | None, activity_id: str | None, activity: Json
    ) -> tuple[int, Json]:
        with self._lock:
            if operation == CREATE:
                member = (activity.get("members") or [{}])[0].get("id")
                if not member or not activity.get("tenantId"):
                    return 400, {"error": {"code": "BadArgument"}}
                chat = self.personal.setdefault(member, f"a:personal-{member}")
                self.conversations.setdefault(chat, Conversation(chat))
                return 201, {"id": chat}
            assert conversation is not None
            shown = self.conversations.setdefault(conversation, Conversation(conversation))
            if operation == UPDATE:
                if activity_id not in shown.activities:
                    return 404, {"error": {"code": "NotFound"}}
                shown.activities[activity_id] = activity
                return 200, {"id": activity_id}
            new_id = f"{next(self._ids):08d}"
            shown.activities[new_id] = {**activity, "id": new_id}
            return 201, {"id": new_id}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeBotFramework

    def log_message(self, *_args: object) -> None:
        return

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer, fault = self.owner._handle(method, self.path, headers, body)
        if fault is not None and fault.drop:
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            self.close_connection = True
            return
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if fault is not None and fault.retry_after is not None:
            self.send_header("Retry-After", str(int(fault.retry_after)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")
