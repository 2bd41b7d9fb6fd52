"""The Bot Framework connector (Teams' REST API for bots): send, reply, update, and open a
personal chat. Each call carries the bot's own token (teams/auth.py ``TokenSource``).

The client makes no retries of its own: whether to try again, and when, is the sender's
decision (teams/sender.py), which honours Teams' ``Retry-After``.
"""

from typing import Any
from urllib.parse import quote

import httpx

from teams.auth import TokenSource

Json = dict[str, Any]


class ConnectorError(Exception):
    """The connector refused a call; ``status`` is its HTTP status."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the Teams connector answered {status}: {detail[:300]}")
        self.status = status


class Throttled(ConnectorError):
    """429: Teams asks golive to wait ``retry_after`` seconds before the next try."""

    def __init__(self, retry_after: float, detail: str) -> None:
        super().__init__(429, detail)
        self.retry_after = retry_after


class Unreachable(Exception):
    """No answer came back (refused, dropped, timed out)."""


def _path(conversation_id: str) -> str:
    return quote(conversation_id, safe="")


class Connector:
    def __init__(self, tokens: TokenSource, *, timeout: float = 15.0) -> None:
        self.tokens = tokens
        self.http = httpx.Client(timeout=timeout)

    def send(self, service_url: str, conversation_id: str, activity: Json) -> str:
        """Post a new activity to a conversation (a channel, a chat); its id."""
        url = f"{service_url}v3/conversations/{_path(conversation_id)}/activities"
        return str(self._call("POST", url, activity).get("id") or "")

    def reply(
        self, service_url: str, conversation_id: str, activity_id: str, activity: Json
    ) -> str:
        """Post in the thread of ``activity_id`` (a channel post's replies)."""
        url = (
            f"{service_url}v3/conversations/{_path(conversation_id)}/activities/"
            f"{_path(activity_id)}"
        )
        return str(self._call("POST", url, {**activity, "replyToId": activity_id}).get("id") or "")

    def replace(
        self, service_url: str, conversation_id: str, activity_id: str, activity: Json
    ) -> None:
        """Replace a message golive sent, in place."""
        url = (
            f"{service_url}v3/conversations/{_path(conversation_id)}/activities/"
            f"{_path(activity_id)}"
        )
        self._call("PUT", url, {**activity, "id": activity_id})

    def personal_chat(self, service_url: str, *, bot_id: str, user_id: str, tenant_id: str) -> str:
        """The bot's one-to-one chat with a user (opened if it is not yet); its id."""
        body = {
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "isGroup": False,
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
        return str(self._call("POST", f"{service_url}v3/conversations", body)["id"])

    def _call(self, method: str, url: str, body: Json) -> Json:
        try:
            token = self.tokens.token()
        except (httpx.HTTPError, KeyError, ValueError) as error:
            raise Unreachable(f"no token from Azure AD ({type(error).__name__}: {error})") from None
        headers = {"Authorization": f"Bearer {token}"}
        try:
            answer = self.http.request(method, url, json=body, headers=headers)
        except httpx.TransportError as error:
            raise Unreachable(f"{type(error).__name__}: {error}") from None
        if answer.status_code == 429:
            raise Throttled(_seconds(answer.headers.get("Retry-After")), answer.text)
        if answer.status_code == 401:
            self.tokens.forget()
        if answer.status_code >= 300:
            raise ConnectorError(answer.status_code, answer.text)
        try:
            parsed = answer.json() if answer.content else {}
        except ValueError:
            parsed = {}
        return parsed if isinstance(parsed, dict) else {}


def _seconds(header: str | None) -> float:
    try:
        return max(float(header or 1), 0.0)
    except ValueError:
        return 1.0
