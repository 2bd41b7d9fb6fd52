"""What every Teams handler is handed: the database, the clock, the settings, the connector
for replies, and a way to wake the outbox sender when a change owes messages."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from store.infra.clock import Clock
from store.infra.db import session_scope
from store.infra.errors import DomainError
from store.records import people
from store.records.models import Person
from teams.connector import Connector
from teams.settings import TeamsSettings

T = TypeVar("T")
Json = dict[str, Any]
MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")


@dataclass
class Face:
    engine: Engine
    clock: Clock
    settings: TeamsSettings
    connector: Connector
    nudge: Callable[[], None] = lambda: None

    def run(self, work: Callable[[Session], T]) -> T:
        """One write transaction; the sender is woken after it commits."""
        with session_scope(self.engine) as session:
            result = work(session)
        self.nudge()
        return result

    def read(self, work: Callable[[Session], T]) -> T:
        with session_scope(self.engine, write=False) as session:
            return work(session)

    def reply(self, activity: Json, message: Json) -> None:
        """Answer in the conversation the activity came from."""
        self.connector.send(
            str(activity["serviceUrl"]), str(activity["conversation"]["id"]), message
        )


@dataclass(frozen=True)
class Command:
    """A word typed to the bot. The handler gets what follows the word; ``usage`` and
    ``summary`` are what help lists, in the words of Slack's ``/golive help``."""

    handler: Callable[[Face, Json, str], Json]
    usage: str
    summary: str


@dataclass(frozen=True)
class Dialog:
    """A dialog: ``task/fetch`` opens it and ``task/submit`` submits it, each carrying the
    dialog's name as the ``golive`` value of its data."""

    open: Callable[[Face, Json], Json]
    submit: Callable[[Face, Json], Json]


Action = Callable[[Face, Json], Json]
"""A card's Universal Action (``adaptiveCard/action``): answers with the card to show."""


def sender_of(session: Session, activity: Json, *, face: Face) -> Person:
    """The golive person behind the Teams user who sent the activity (their Azure AD id),
    created on first contact as Slack creates its users."""
    who = activity.get("from") or {}
    if not who.get("aadObjectId"):
        raise DomainError(
            "golive knows people by their Microsoft 365 work account, and Teams did not say "
            "yours; sign in to Teams with your work account to use golive"
        )
    return people.ensure_teams_person(
        session,
        aad_id=str(who.get("aadObjectId") or ""),
        name=str(who.get("name") or ""),
        now=face.clock.now(),
    )


def plain_text(html: str | None) -> str:
    """A Teams message's text without its mentions and markup."""
    text = TAG.sub(" ", MENTION.sub("", html or ""))
    return " ".join(unescape(text).split())
