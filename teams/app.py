"""golive's Teams face over HTTP: ``POST /api/messages`` (the Bot Framework messaging
endpoint) and ``GET /healthz``, as a WSGI app gunicorn serves like Slack's.

Every activity is authenticated first (teams/auth.py); one that is not gets 401 and changes
nothing. Messages and conversation updates are answered through the connector; invokes
(dialogs, the message extension, card actions) are answered in the HTTP response, as Bot
Framework requires.
"""

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from store.infra.db import reachable
from store.infra.errors import DomainError
from teams import cards, exports, reporting
from teams.auth import ActivityAuth, Unauthorized
from teams.face import Action, Dialog, Face, plain_text
from teams.help import help_message
from teams.issue_cards import REPORT
from teams.routes import ACTIONS, COMMANDS, DIALOGS

log = logging.getLogger("golive.teams")

MESSAGES_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
BODY_LIMIT = 512 * 1024
"""Largest activity golive reads; Teams' own limit on a message is 28 KB plus its envelope."""

Json = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Answer = tuple[int, Json | None]

INVOKES: dict[str, Callable[[Face, Json], Json]] = {
    "task/fetch": lambda face, activity: _dialog(activity).open(face, activity),
    "task/submit": lambda face, activity: _dialog(activity).submit(face, activity),
    "composeExtension/fetchTask": reporting.open_from_message,
    "composeExtension/submitAction": reporting.submit_from_message,
    "adaptiveCard/action": lambda face, activity: _action(activity)(face, activity),
}
STATUS = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    410: "410 Gone",
    500: "500 Internal Server Error",
}


def make_wsgi(face: Face, auth: ActivityAuth) -> WsgiApp:
    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            ok = reachable(face.engine)
            body = {"ok": ok, "database": "reachable" if ok else "unreachable"}
            return _json(start_response, 200 if ok else 503, body)
        if path.startswith(exports.FILES_PATH) and method == "GET":
            return _file(start_response, exports.download(face, path[len(exports.FILES_PATH) :]))
        if path != MESSAGES_PATH:
            return _json(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _json(start_response, 405, {"error": "POST activities here"})
        activity = _read_activity(environ)
        if activity is None:
            return _json(start_response, 400, {"error": "the body is not an activity"})
        try:
            auth.check(environ.get("HTTP_AUTHORIZATION"), activity)
        except Unauthorized as refusal:
            log.warning("refused an activity: %s", refusal)
            return _json(start_response, 401, {"error": "unauthorized"})
        status, answer = handle(face, activity)
        return _json(start_response, status, answer)

    return wsgi


def handle(face: Face, activity: Json) -> Answer:
    kind = activity.get("type")
    if kind == "invoke":
        name = str(activity.get("name") or "")
        handler = INVOKES.get(name)
        if handler is None:
            return 501, None
        try:
            return 200, handler(face, activity)
        except DomainError as refusal:
            return 200, _refused(name, str(refusal))
    if kind == "message":
        _on_message(face, activity)
    elif kind == "conversationUpdate":
        _on_conversation_update(face, activity)
    return 200, None


def _refused(invoke: str, words: str) -> Json:
    """A refusal in the shape the invoke's answer takes: a card shown in place of the one
    clicked, or a dialog that says it."""
    if invoke == "adaptiveCard/action":
        return cards.refreshed(cards.card([cards.words(words, attention=True)]))
    return reporting.refusal(words)


def _dialog(activity: Json) -> Dialog:
    """The dialog a ``task/fetch`` or ``task/submit`` names; the report form when it names
    none, as the first Teams cards did."""
    data = (activity.get("value") or {}).get("data")
    name = str(data.get("golive") or "") if isinstance(data, dict) else ""
    return DIALOGS.get(name) or DIALOGS[REPORT]


def _action(activity: Json) -> Action:
    action = (activity.get("value") or {}).get("action") or {}
    return ACTIONS.get(str(action.get("verb") or ""), _unknown_action)


def _unknown_action(face: Face, activity: Json) -> Json:
    return cards.refreshed(cards.card([cards.words("golive does not know that action.")]))


def _on_message(face: Face, activity: Json) -> None:
    words = plain_text(activity.get("text"))
    first, _, rest = words.partition(" ")
    command = COMMANDS.get(first.lower()) if first else COMMANDS["report"]
    try:
        answer = (
            command.handler(face, activity, rest.strip())
            if command
            else help_message(words, COMMANDS)
        )
    except DomainError as refusal:
        answer = cards.message(str(refusal), cards.card([cards.words(str(refusal))]))
    face.reply(activity, answer)


def _on_conversation_update(face: Face, activity: Json) -> None:
    """Say hello with the welcome card when golive itself is added to a chat or team."""
    me = (activity.get("recipient") or {}).get("id")
    added = {member.get("id") for member in activity.get("membersAdded") or []}
    if me and me in added:
        face.reply(activity, reporting.welcome())


def _read_activity(environ: dict[str, Any]) -> Json | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0 or length > BODY_LIMIT:
        return None
    try:
        parsed = json.loads(environ["wsgi.input"].read(length))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("conversation"), dict):
        return None
    if not isinstance(parsed.get("serviceUrl"), str):
        return None
    return parsed


def _json(start_response: StartResponse, status: int, body: Json | None) -> list[bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    start_response(
        STATUS.get(status, f"{status} {'Error' if status >= 400 else 'OK'}"),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _file(start_response: StartResponse, answer: exports.Download) -> list[bytes]:
    """A download (or the page that refuses one), never cached: the link is someone's grant
    and the file holds governance records."""
    headers = [
        ("Content-Type", answer.content_type),
        ("Content-Length", str(len(answer.body))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if answer.file_name:
        headers.append(("Content-Disposition", f'attachment; filename="{answer.file_name}"'))
    start_response(STATUS.get(answer.status, f"{answer.status} Error"), headers)
    return [answer.body]
