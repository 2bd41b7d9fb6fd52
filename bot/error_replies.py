"""What people see when something goes wrong, and the one ``@app.error`` handler.

A store error carries a message written for the user and goes back privately (beside the
field at fault in a modal). Anything unexpected is logged with a short request id and no
personal data, and the user reads that nothing was saved and they can try again: never a
500 with a traceback.
"""

import json
import logging
import uuid
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.views.common import notice_modal
from store.infra.errors import DomainError, PermissionDenied, ValidationError
from store.records import review, verification

log = logging.getLogger("golive.errors")

Json = dict[str, Any]

SOMETHING_WRONG = (
    "Something went wrong and nothing was saved. Please try again; if it keeps happening, "
    "tell your golive admin and quote reference {ref}."
)
SLACK_WRONG = (
    "Slack did not accept golive's request ({error}), so nothing changed. Please try again "
    "in a moment."
)


def new_ref() -> str:
    return uuid.uuid4().hex[:8]


def title_for(error: Exception) -> str:
    if isinstance(error, PermissionDenied):
        return "Not allowed"
    if isinstance(error, DomainError):
        return "Can't do that yet"
    return "Something went wrong"


def user_message(error: Exception, *, ref: str) -> str:
    """The words for the user; only store errors are shown, as ``refusal`` words them."""
    if isinstance(error, DomainError):
        return refusal(error)
    if isinstance(error, SlackApiError):
        return SLACK_WRONG.format(error=error.response.get("error", "no answer"))
    return SOMETHING_WRONG.format(ref=ref)


def refusal(error: DomainError) -> str:
    """A store error in Slack's words: its plain message, or, where a ``/golive`` command is
    the way on, the message with the command to type (the store names no chat command)."""
    if isinstance(error, review.NotStarted):
        return (
            "No post-implementation review has been started; the quality lead starts it with "
            "`/golive review`"
        )
    if isinstance(error, verification.AlreadyRequested):
        return (
            f"{error.ref} is already waiting for verification. {error.who}, "
            f"with `/golive verify {error.ref} what you checked`."
        )
    return str(error)


def log_failure(error: Exception, body: Json, *, ref: str) -> None:
    """Log what failed and where, by ids only: never the text people typed."""
    if isinstance(error, DomainError):
        return
    kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
    log.error(
        "request %s failed: %s (%s) kind=%s user=%s",
        ref,
        type(error).__name__,
        _slack_error(error),
        kind,
        user_id_of(body),
        exc_info=not isinstance(error, SlackApiError),
    )


def _slack_error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", ""))
    return ""


def user_id_of(body: Json) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    if isinstance(user, str):
        return user
    return body.get("user_id") or (body.get("event") or {}).get("user")


def private_reply(
    client: WebClient,
    body: Json,
    text: str,
    *,
    title: str = "golive",
    blocks: list[Json] | None = None,
) -> None:
    """Tell the person who acted, and only them, wherever they acted from.

    A command or a click on a message has a response_url (an ephemeral reply); a click in a
    modal or the Home tab has a trigger id (a small modal). When neither works, a direct
    message from the app.
    """
    response_url = body.get("response_url")
    if response_url and _send_ephemeral(response_url, text, blocks):
        return
    trigger_id = body.get("trigger_id")
    if trigger_id and not response_url:
        try:
            shown = notice_modal(title, text)
            if blocks:
                shown["blocks"] = [b for b in blocks if b.get("type") != "actions"][:100]
            client.views_open(trigger_id=trigger_id, view=shown)
            return
        except Exception as error:
            log.warning("could not open a notice: %s %s", type(error).__name__, _slack_error(error))
    user_id = user_id_of(body)
    if not user_id:
        return
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except Exception as error:
        log.warning("could not tell the user: %s %s", type(error).__name__, _slack_error(error))


def _send_ephemeral(response_url: str, text: str, blocks: list[Json] | None) -> bool:
    try:
        answer = WebhookClient(response_url, timeout=10).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
    except Exception as error:
        log.warning("response_url failed: %s", type(error).__name__)
        return False
    return answer.status_code == 200


def handle_listener_error(error: Exception, body: Json, client: WebClient) -> BoltResponse:
    """The ``@app.error`` handler: answer Slack with something the user can act on."""
    ref = new_ref()
    log_failure(error, body, ref=ref)
    text = user_message(error, ref=ref)
    kind = body.get("type")
    if kind == "view_submission":
        if isinstance(error, ValidationError) and error.field and _has_block(body, error.field):
            answer: Json = {"response_action": "errors", "errors": {error.field: text}}
        else:
            answer = {"response_action": "push", "view": notice_modal(title_for(error), text)}
        return _json(answer)
    if body.get("command"):
        return _json({"response_type": "ephemeral", "text": text})
    if kind in ("block_actions", "message_action", "shortcut"):
        private_reply(client, body, text, title=title_for(error))
    return BoltResponse(status=200, body="")


def _has_block(body: Json, block_id: str) -> bool:
    blocks = (body.get("view") or {}).get("blocks") or []
    return any(b.get("block_id") == block_id and b.get("type") == "input" for b in blocks)


def _json(answer: Json) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(answer),
        headers={"content-type": "application/json;charset=utf-8"},
    )
