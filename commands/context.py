"""What every listener module is handed, and the few helpers they all use.

Listeners get their collaborators through ``Deps`` rather than importing the app: the
engine, the clock, the settings object handed down, the ``/golive`` router and ``nudge``
(wake the outbox sender after a commit).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.errors import log_failure, new_ref, private_reply, title_for, user_message
from store import people
from store.clock import Clock
from store.db import session_scope
from store.models import Person

if TYPE_CHECKING:
    from commands.slash import SlashRouter

log = logging.getLogger("golive.commands")

T = TypeVar("T")
Json = dict[str, Any]


def _no_sender() -> None:
    """Without a sender thread (tests, one-off jobs) there is nothing to wake."""


@dataclass
class Deps:
    engine: Engine
    clock: Clock
    settings: Any
    router: SlashRouter
    nudge: Callable[[], None] = field(default=_no_sender)

    def now(self) -> datetime:
        return self.clock.now()

    def run(self, work: Callable[[Session], T]) -> T:
        """One unit of work; the outbox sender is woken once it is committed."""
        with session_scope(self.engine) as session:
            result = work(session)
        self.nudge()
        return result

    def read(self, work: Callable[[Session], T]) -> T:
        """A read-only look at the records (nothing to deliver afterwards)."""
        with session_scope(self.engine, write=False) as session:
            return work(session)


def display_name(client: WebClient, user_id: str) -> str:
    """The person's name as Slack shows it; their user id if Slack can't say."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except Exception as error:
        log.warning("users.info failed for %s: %s", user_id, type(error).__name__)
        return user_id
    profile = user.get("profile") or {}
    for name in (
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if name and name.strip():
            return name.strip()
    return user_id


def acting_person(deps: Deps, client: WebClient, user_id: str) -> Person:
    """The Person behind a Slack user, created on first contact with the name Slack gives."""
    known = deps.read(lambda session: people.find_person(session, user_id))
    if known is not None:
        return known
    name = display_name(client, user_id)
    return deps.run(
        lambda session: people.ensure_person(
            session, slack_user_id=user_id, name=name, now=deps.now()
        )
    )


def person_in(session: Session, person: Person) -> Person:
    """The acting person attached to this session (they were loaded in another)."""
    found = session.get(Person, person.id)
    assert found is not None
    return found


def tell(client: WebClient, body: Json, text: str, *, title: str = "golive") -> None:
    """A private reply to whoever acted (see bot.errors.private_reply)."""
    private_reply(client, body, text, title=title)


def guarded(func: Callable[..., None]) -> Callable[..., None]:
    """For lazy listeners (run after the ack, where Bolt's error handler never sees a failure):
    a store error goes back to the user as written, anything else as "nothing was saved"."""
    names = inspect.getfullargspec(func).args
    if "body" not in names or "client" not in names:
        raise TypeError(f"{func.__name__} must take body and client to report failures")

    @functools.wraps(func)
    def run(**kwargs: Any) -> None:
        try:
            func(**kwargs)
        except Exception as error:
            ref = new_ref()
            log_failure(error, kwargs["body"], ref=ref)
            tell(
                kwargs["client"],
                kwargs["body"],
                user_message(error, ref=ref),
                title=title_for(error),
            )

    return run
