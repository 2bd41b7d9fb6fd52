"""``export [xlsx | csv | evidence | pdf | all]`` in Teams: the register, logs and evidence pack
for the person who asked, as a link to golive's own server that works for a few minutes.

A Teams bot cannot upload a file into a chat as Slack's does, so the card carries a link
(``GET /files/<token>``), sent to the asker's personal chat even when they asked in a
channel. The token is the whole grant: the person, the export's kind and when
it stops working, signed with an HMAC keyed from the bot's secret, so it cannot be made or
altered without the secret and needs no table. Nothing is built when the card is sent: the
files are built when the link is fetched, from the records as they are then, for the person
the token names if they may still export at that moment. Each download is written to the
audit trail, as each Slack export is.
"""

import base64
import hashlib
import hmac
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from sqlmodel import Session

from documents.csv_files import file_name
from documents.evidence import EXPORT_FORMATS, export_files
from store.infra.errors import DomainError
from store.records import audit, people
from store.records.exporting import require_export
from store.records.privacy import may_see_personal_data
from teams import cards
from teams.connector import ConnectorError, Unreachable
from teams.face import Command, Face, sender_of
from teams.issue_cards import when

log = logging.getLogger("golive.teams")

Json = dict[str, Any]
USAGE = "export [xlsx | csv | evidence | pdf | all]"
FILES_PATH = "/files/"
KEY_PURPOSE = b"golive export link"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Grant:
    """What a link lets its holder download: ``kind`` of export for ``person_id``, until
    ``expires`` (UTC)."""

    person_id: int
    kind: str
    expires: datetime


@dataclass(frozen=True)
class Download:
    """The answer to ``GET /files/<token>``: a file, or a page that says why not."""

    status: int
    content_type: str
    body: bytes
    file_name: str | None = None


def _key(secret: str) -> bytes:
    """A key of its own for links, derived from the bot's secret, so a link's signature can
    never stand in for anything else the secret signs."""
    return hmac.new(secret.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(grant: Grant, *, secret: str) -> str:
    payload = _b64(
        json.dumps(
            {"p": grant.person_id, "k": grant.kind, "e": int(grant.expires.timestamp())},
            separators=(",", ":"),
        ).encode()
    )
    signature = _b64(hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


class BadLink(Exception):
    """A link golive did not make, or one altered since: refused whatever it says."""


def read(token: str, *, secret: str) -> Grant:
    """The grant a token carries, if golive signed it; its expiry is the caller's to check."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature:
        raise BadLink(token)
    wanted = _b64(hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(wanted, signature):
        raise BadLink(token)
    try:
        facts = json.loads(_unb64(payload))
        grant = Grant(
            person_id=int(facts["p"]),
            kind=str(facts["k"]),
            expires=datetime.fromtimestamp(int(facts["e"]), tz=UTC),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise BadLink(token) from error
    if grant.kind not in EXPORT_FORMATS:
        raise BadLink(token)
    return grant


def _secret(face: Face) -> str | None:
    password = face.settings.app_password
    return password.get_secret_value() if password is not None else None


# ---------------------------------------------------------------------- the command


def export(face: Face, activity: Json, rest: str) -> Json:
    words = rest.lower().split()
    if len(words) > 1 or (words and words[0] not in EXPORT_FORMATS):
        raise DomainError(f"Say what to export, like {USAGE}.")
    kind = words[0] if words else "all"
    base, secret = face.settings.public_url, _secret(face)
    if not base or not secret:
        raise DomainError(
            "golive can't give out download links here: the address people reach it at "
            "(TEAMS_PUBLIC_URL) is not set. Ask whoever runs golive to set it."
        )
    now = face.clock.now()
    expires = now + timedelta(minutes=face.settings.file_link_minutes)

    def check(session: Session) -> int:
        person = sender_of(session, activity, face=face)
        require_export(session, person)
        assert person.id is not None
        return person.id

    person_id = face.run(check)
    token = sign(Grant(person_id=person_id, kind=kind, expires=expires), secret=secret)
    link = f"{base.rstrip('/')}{FILES_PATH}{token}"
    minutes = face.settings.file_link_minutes
    body = [
        cards.heading("Your go-live records are ready"),
        cards.words(f"{_what(kind)}, built from the records as they are when you open the link."),
        cards.words(
            f"The link works for you until {when(expires)} ({minutes} minutes); after that, "
            f"type {USAGE} again.",
            subtle=True,
        ),
    ]
    ready = cards.message(
        f"Your export ({kind}) is ready; the link works for {minutes} minutes",
        cards.card(body, [{"type": "Action.OpenUrl", "title": "Download", "url": link}]),
    )
    return ready if _is_personal(activity) else _sent_to_personal_chat(face, activity, ready)


def _is_personal(activity: Json) -> bool:
    return (activity.get("conversation") or {}).get("conversationType") == "personal"


def _sent_to_personal_chat(face: Face, activity: Json, ready: Json) -> Json:
    """A link asked for in a channel or group chat goes to the asker's personal chat, as
    Slack's export goes to their direct messages: everyone in a channel could open it."""
    conversation = activity.get("conversation") or {}
    service_url = str(activity["serviceUrl"])
    try:
        chat = face.connector.personal_chat(
            service_url,
            bot_id=str((activity.get("recipient") or {}).get("id") or ""),
            user_id=str((activity.get("from") or {}).get("id") or ""),
            tenant_id=str(conversation.get("tenantId") or face.settings.tenant_id or ""),
        )
        face.connector.send(service_url, chat, ready)
    except (ConnectorError, Unreachable):
        log.warning("could not send an export link to a personal chat", exc_info=True)
        raise DomainError(
            "golive could not open your personal chat to send the link; type export in your "
            "chat with golive instead."
        ) from None
    text = "Your export's link is in your personal chat with golive."
    return cards.message(text, cards.card([cards.words(text)]))


def _what(kind: str) -> str:
    return {
        "all": "Everything: the workbook, every table as CSV and the evidence pack (a zip)",
        "xlsx": "The workbook with the audit trail beside it as CSV (a zip)",
        "csv": "Every table as CSV, the audit trail among them (a zip)",
        "evidence": "The evidence pack as a web page",
        "pdf": "The evidence pack as a PDF",
    }[kind]


# ---------------------------------------------------------------------- the download


def download(face: Face, token: str) -> Download:
    """The file a link names, built now, for the person it names if they may still export;
    otherwise a page saying why not (403 for a link golive did not make or a person who may
    no longer export, 410 for one that has expired)."""
    secret = _secret(face)
    try:
        if secret is None:
            raise BadLink(token)
        grant = read(token, secret=secret)
    except BadLink:
        return _page(403, "This link is not one golive made", "Ask golive for a new export.")
    now = face.clock.now()
    if now >= grant.expires:
        return _page(
            410,
            "This link has expired",
            "Export links work for a few minutes. Type export in your chat with golive for a "
            "new one.",
        )

    def build(session: Session) -> list[tuple[str, bytes, str]] | None:
        person = people.person_by_id(session, person_id=grant.person_id)
        if person is None:
            return None
        require_export(session, person)
        files = export_files(
            session,
            grant.kind,
            now=now,
            zone=face.settings.zone,
            provider=face.settings.provider_name,
            reveal=may_see_personal_data(session, person),
        )
        return files

    def record(session: Session, names: str) -> None:
        person = people.person_by_id(session, person_id=grant.person_id)
        assert person is not None
        audit.record_action(
            session,
            person,
            actor=person,
            action="exported",
            now=now,
            note=f"{names} (downloaded from a Teams link)",
        )

    try:
        files = face.read(build)
        if files is None:
            return _page(403, "This link is not one golive made", "Ask golive for a new export.")
        face.run(lambda session: record(session, ", ".join(name for name, _, _ in files)))
    except DomainError as refusal:
        return _page(403, "golive can't give you this export", str(refusal))
    except Exception:
        log.exception("an export for a Teams link failed")
        return _page(
            500, "golive could not build this export", "Nothing was changed; try again shortly."
        )
    return _file(files, grant.kind, now.astimezone(face.settings.zone).date())


def _file(files: list[tuple[str, bytes, str]], kind: str, day: date) -> Download:
    """One file as it is; several in one zip, named as the export's files are."""
    if len(files) == 1:
        name, data, _ = files[0]
        extension = name.rsplit(".", 1)[-1]
        return Download(200, CONTENT_TYPES.get(extension, "application/octet-stream"), data, name)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, _ in files:
            archive.writestr(name, data)
    return Download(
        200, CONTENT_TYPES["zip"], packed.getvalue(), file_name(f"export-{kind}", day, "zip")
    )


def _page(status: int, title: str, words: str) -> Download:
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(words)}</p></html>"
    )
    return Download(status, "text/html; charset=utf-8", html.encode())


COMMANDS = {
    "export": Command(
        export,
        USAGE,
        "the register, logs and evidence pack (HTML and PDF) as files (authorised roles)",
    ),
}
