"""The Teams sender: delivers the outbox as Teams activities, once each.

It keeps its progress in the store's per-face deliveries (store/records/deliveries.py), not
on the outbox row Slack's sender uses, so both faces can run against one database. Each pass
opens a delivery for every row owed recently that it has not seen, then works through the due
ones: claim (an UPDATE only one sender wins), route, render from the current records, send,
mark sent with the conversation and the activity id. Where a row goes in Teams:

- a post to a channel golive routes a purpose to (triage, project, board) goes to that
  purpose's Teams channel, a post in the thread of another row replies to that row's Teams
  message, an update replaces it in place;
- a direct message goes to the person's personal chat with the bot, if they are linked to a
  Teams user;
- anything else (a channel with no Teams counterpart, a person not on Teams) is marked
  skipped for Teams, and left to Slack.

Failures are retried with back-off, honouring Teams' ``Retry-After``; after ``max_attempts``
a delivery is left dead with its last error. Posts to one conversation are paced
(``TEAMS_PACE_SECONDS``, two seconds by default: Teams allows a bot 1800 messages an hour in
one conversation), and a conversation held back does not hold back the others.

A call whose answer was lost after Teams took it in would be sent again on the next attempt:
the connector has no way to look a bot's own messages up by a key, so that one case is
at-least-once (a dropped connection before Teams took the call in, the usual case, is not).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from store.infra.clock import Clock
from store.infra.db import session_scope
from store.infra.errors import DomainError
from store.records import channels, deliveries, outbox, people
from store.records.enums import ChannelPurpose
from store.records.models import FaceDelivery, OutboxMessage
from store.records.outbox import SENT, Method
from teams.connector import Connector, ConnectorError, Throttled, Unreachable
from teams.notices import RENDERERS
from teams.settings import TeamsSettings

log = logging.getLogger("golive.teams.outbox")

FACE = "teams"
LOOK_BACK = timedelta(days=1)
"""How far back a pass looks for rows this face has not seen: a restart within a day misses
nothing, and a Teams face added to a long-running Slack golive does not replay its history."""
LATE_COMMITS = 1000
"""How far below the highest row id seen a pass looks again: on PostgreSQL ids are handed out
before commit, so a row with a lower id can become visible after a higher one."""
Json = dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    """Where one row goes in Teams, and what it says."""

    kind: str  # send, reply, replace, personal
    activity: Json
    conversation: str | None = None
    message_id: str | None = None
    user: str | None = None


class _Wait(Exception):
    """The row follows another row not delivered yet; try again shortly, uncounted."""


class _Skip(Exception):
    """This face has nowhere to deliver the row."""


class TeamsSender:
    """Delivers due rows to Teams; safe to run in several threads or processes at once."""

    def __init__(
        self,
        engine: Engine,
        connector: Connector,
        clock: Clock,
        settings: TeamsSettings,
        *,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        poll_seconds: float = 2.0,
        batch: int = 50,
    ) -> None:
        self.engine = engine
        self.connector = connector
        self.clock = clock
        self.settings = settings
        self.max_attempts = max_attempts
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.routes = {
            ChannelPurpose.TRIAGE: settings.triage_channel,
            ChannelPurpose.PROJECT: settings.project_channel,
            ChannelPurpose.BOARD: settings.board_channel,
        }
        self._personal: dict[str, str] = {}
        # The highest outbox id a pass has looked at: later passes read from a little below it.
        self._looked_up_to = 0
        self._last_post: dict[str, float] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ one pass

    def run_once(self) -> int:
        """Deliver what is due now; how many messages were sent."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            newest = deliveries.open_new(
                session,
                face=FACE,
                since=now - LOOK_BACK,
                after_id=max(self._looked_up_to - LATE_COMMITS, 0),
                now=now,
            )
        self._looked_up_to = max(self._looked_up_to, newest)
        with session_scope(self.engine, write=False) as session:
            due = [
                (delivery.id, message.id)
                for delivery, message in deliveries.due(
                    session, face=FACE, now=now, limit=self.batch
                )
            ]
        sent = 0
        held: set[str] = set()
        for delivery_id, message_id in due:
            assert delivery_id is not None and message_id is not None
            if self._claim(delivery_id, now) and self._deliver(delivery_id, message_id, held):
                sent += 1
        return sent

    def _claim(self, delivery_id: int, now: datetime) -> bool:
        with session_scope(self.engine) as session:
            return deliveries.claim(session, delivery_id=delivery_id, now=now, lease=self.lease)

    def _deliver(self, delivery_id: int, message_id: int, held: set[str]) -> bool:
        now = self.clock.now()
        try:
            with session_scope(self.engine, write=False) as session:
                message = outbox.message_by_id(session, message_id=message_id)
                plan = self._plan(session, message)
            conversation = plan.conversation or self._personal.get(plan.user or "")
            if conversation is not None and (
                conversation in held or self._pacing(conversation) > 0
            ):
                held.add(conversation)
                self._settle(delivery_id, wait=timedelta(seconds=0), counted=False, error="paced")
                return False
            conversation, activity_id = self._send(plan)
        except _Skip as skip:
            with session_scope(self.engine) as session:
                deliveries.skip(
                    session, deliveries.by_id(session, delivery_id=delivery_id), reason=str(skip)
                )
            return False
        except _Wait as wait:
            self._settle(delivery_id, wait=timedelta(seconds=2), counted=False, error=str(wait))
            return False
        except Throttled as throttled:
            log.warning("Teams asked golive to wait %.0f s", throttled.retry_after)
            self._settle(
                delivery_id,
                wait=timedelta(seconds=throttled.retry_after),
                counted=False,
                error=str(throttled),
            )
            return False
        except (ConnectorError, Unreachable, DomainError, OSError) as error:
            log.warning("could not deliver outbox row %s to Teams: %s", message_id, error)
            with session_scope(self.engine, write=False) as session:
                attempts = deliveries.by_id(session, delivery_id=delivery_id).attempts
            self._settle(delivery_id, wait=backoff(attempts + 1), counted=True, error=str(error))
            return False
        with session_scope(self.engine) as session:
            deliveries.mark_sent(
                session,
                deliveries.by_id(session, delivery_id=delivery_id),
                conversation=conversation,
                message_id=activity_id,
                now=now,
            )
        return True

    def _settle(self, delivery_id: int, *, wait: timedelta, counted: bool, error: str) -> None:
        with session_scope(self.engine) as session:
            deliveries.defer(
                session,
                deliveries.by_id(session, delivery_id=delivery_id),
                error=error,
                retry_in=wait,
                now=self.clock.now(),
                max_attempts=self.max_attempts,
                count_attempt=counted,
            )

    # ------------------------------------------------------------------ routing

    def _plan(self, session: Session, message: OutboxMessage) -> _Plan:
        render = RENDERERS.get(message.notice)
        if render is None:
            raise _Skip(f"golive has no Teams card for {message.notice} notices")
        if message.method == Method.UPDATE:
            target = self._delivered(session, message.target_key or "")
            return _Plan(
                "replace",
                render(session, message),
                conversation=target.conversation,
                message_id=target.message_id,
            )
        if message.method == Method.DM:
            person = people.find_person(session, message.user or "")
            if person is None or not person.teams_user_id:
                raise _Skip("the person is not linked to a Teams user")
            return _Plan("personal", render(session, message), user=person.teams_user_id)
        if message.thread_key:
            parent = self._delivered(session, message.thread_key)
            return _Plan(
                "reply",
                render(session, message),
                conversation=parent.conversation,
                message_id=parent.message_id,
            )
        purposes = {channel: purpose for purpose, channel in channels.all_channels(session).items()}
        purpose = purposes.get(message.channel or "")
        conversation = self.routes.get(purpose) if purpose is not None else None
        if not conversation:
            raise _Skip(f"no Teams channel for {message.channel}")
        return _Plan("send", render(session, message), conversation=conversation)

    def _delivered(self, session: Session, key: str) -> FaceDelivery:
        """This face's delivery of the row a reply or update follows."""
        target = deliveries.of_key(session, face=FACE, key=key)
        if target is None or target.status == deliveries.SKIPPED:
            raise _Skip(f"{key} was not delivered to Teams")
        if target.status != SENT:
            raise _Wait(f"waiting for {key} to be delivered")
        return target

    # ------------------------------------------------------------------ sending

    def _send(self, plan: _Plan) -> tuple[str, str | None]:
        service_url = self.settings.service_url
        if plan.kind == "personal":
            assert plan.user is not None
            conversation = self._personal.get(plan.user)
            if conversation is None:
                conversation = self.connector.personal_chat(
                    service_url,
                    bot_id=f"28:{self.settings.app_id}",
                    user_id=plan.user,
                    tenant_id=str(self.settings.tenant_id),
                )
                self._personal[plan.user] = conversation
            self._posted(conversation)
            return conversation, self.connector.send(service_url, conversation, plan.activity)
        assert plan.conversation is not None
        self._posted(plan.conversation)
        if plan.kind == "replace":
            assert plan.message_id is not None
            self.connector.replace(service_url, plan.conversation, plan.message_id, plan.activity)
            return plan.conversation, plan.message_id
        if plan.kind == "reply":
            assert plan.message_id is not None
            return plan.conversation, self.connector.reply(
                service_url, plan.conversation, plan.message_id, plan.activity
            )
        return plan.conversation, self.connector.send(service_url, plan.conversation, plan.activity)

    def _pacing(self, conversation: str) -> float:
        """Seconds until ``conversation`` may be posted to again."""
        last = self._last_post.get(conversation)
        if last is None:
            return 0.0
        return max(0.0, last + self.settings.pace_seconds - time.monotonic())

    def _posted(self, conversation: str) -> None:
        self._last_post[conversation] = time.monotonic()

    # ------------------------------------------------------------------ running

    def nudge(self) -> None:
        """Something was just committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="golive-teams-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = self.run_once()
            except Exception:
                log.exception("Teams outbox pass failed; trying again shortly")
                sent = 0
            if sent == 0:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))
