"""The outbox sender: delivers the messages the store owes Slack, once each.

Each due row is claimed first (an UPDATE that only one sender can win, which pushes its next
attempt out by a lease), rendered from the current records, sent, and marked sent with the
message's channel and ts. Failures are retried with back-off, honouring Slack's Retry-After;
after ``max_attempts`` a row is left ``dead`` with its last error for a human to see. A row
Slack has no one to deliver to (a person known only on Teams, a purpose routed to Teams) is
marked skipped for Slack at once, with why, and left to the Teams face.

Slack takes about one post a second in a channel. Before posting, a sender claims the
conversation's lane in the database (store/records/lanes.py), so the pace holds across every
worker's sender and the scheduler's; a lane that is not free is skipped for this pass, and
the messages for other conversations go on. When a triage channel has more than one report's
post due, the post its lane takes is a roll-up of them (store/records/rollups.py): every
report of a burst shows within a second or two, and each issue's own post follows when the
channel is quiet, or at once when a change to the issue waits on it.

A post whose answer was lost (the connection dropped, or Slack answered 5xx, after Slack may
have accepted it) is never blindly re-posted: every post carries message metadata with its
outbox key, and before posting again the sender looks for that key in the channel's recent
history (or the thread), adopting the message it finds.
"""

from __future__ import annotations

import http.client
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot import notices
from bot.views.common import RenderedMessage
from store.infra.clock import Clock
from store.infra.db import session_scope
from store.records import lanes, outbox, rollups
from store.records.lanes import Slot
from store.records.outbox import IN_FLIGHT, Method
from store.records.people import TEAMS_ONLY_PREFIX

log = logging.getLogger("golive.outbox")

METADATA_EVENT = "golive_outbox"
AMBIGUOUS = "ambiguous"
NETWORK_ERRORS = (OSError, URLError, TimeoutError, http.client.HTTPException)


@dataclass(frozen=True)
class _Plan:
    """What to send and where, worked out from the row and the records it names."""

    key: str
    method: str
    rendered: RenderedMessage
    channel: str | None = None
    user: str | None = None
    ts: str | None = None
    thread_ts: str | None = None


class _Wait(Exception):
    """The message depends on another that is not sent yet; try again shortly, uncounted."""

    def __init__(self, key: str) -> None:
        super().__init__(f"waiting for {key} to be sent")
        self.key = key


class _Skip(Exception):
    """The message belongs to one Slack was never given: not Slack's either."""


class _Failed(Exception):
    """The message cannot be sent as it stands (bad render, dead parent): counted."""


class OutboxSender:
    """Delivers due outbox rows; safe to run in several threads or processes at once."""

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        clock: Clock,
        *,
        max_attempts: int = 8,
        min_interval: float = 1.0,
        lease: timedelta = timedelta(minutes=2),
        poll_seconds: float = 2.0,
        batch: int = 50,
        history_window: timedelta = timedelta(days=1),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.max_attempts = max_attempts
        self.min_interval = min_interval
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.history_window = history_window
        # Our own client with no automatic retries: a silent retry after a dropped
        # connection is exactly the blind re-post this sender must not make.
        self.client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[],
        )
        # Each person's direct-message channel with the bot, once opened: it does not change.
        self._dm_channels: dict[str, str] = {}
        # Seconds until the first lane held back by the last pass may take a post, if any.
        self._held: float | None = None
        self._wanted: dict[str, tuple[int, str | None]] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ one pass

    def run_once(self) -> int:
        """Deliver what is due now; returns how many messages were sent.

        With a pace (``min_interval`` over 0) each lane takes at most one post a pass, and
        only if no sender anywhere posted into it under ``min_interval`` ago: a burst of
        reports queues its triage posts at Slack's pace (rolled up while more than one waits)
        without holding each reporter's confirmation or a manager's safe-care alert behind
        them. Without one nothing waits, so nothing is rolled up."""
        now = self.clock.now()
        paced = self.min_interval > 0
        # Looks (the due scan, the render) are read-only units: on SQLite a write unit takes the
        # database's one write lock at BEGIN, and every report being acknowledged would queue
        # behind the sender while it renders.
        with session_scope(self.engine, write=False) as session:
            busy = lanes.busy(session, now=now) if paced else set()
            due = outbox.due(session, now=now, limit=self.batch, busy=busy)
        sent = 0
        # Lanes this pass has posted into, or found busy (a thread reply's lane, its parent's
        # channel, is only known here, so the scan could not leave it out).
        taken: set[str] = set(busy)
        # Rolled-up posts a change in this pass turned out to wait on, by lane: they take the
        # lane before the quieter ones (which the scan put last, so they come after).
        self._wanted = {}
        for row in due:
            reason = not_slacks(row)
            if reason is not None:
                self._skip(row.id, reason)
                continue
            slot: Slot | None = None
            if paced and row.lane is not None:
                if row.lane in taken:
                    continue
                taken.add(row.lane)
                slot = self._take_lane(row.lane, now)
                if slot is None:
                    continue
            if paced:
                message_id, previous_error = self._choose(row, now)
            else:
                message_id, previous_error = row.id, row.last_error
            if not self._claim(message_id, now):
                if slot is not None:
                    self._release(slot)
                continue
            if self._deliver(message_id, previous_error, lane=row.lane if paced else None):
                sent += 1
        self._held = self._until_free(taken) if paced else None
        return sent

    def _choose(self, row: outbox.Due, now: datetime) -> tuple[int, str | None]:
        """What takes the lane ``row`` won: a rolled-up post a change waits on, before a
        quieter one; a roll-up, for a report's triage post while others are due with it;
        else the row. Its id and, for a message other than the row, its last error."""
        if row.rolled_up and row.lane in self._wanted:
            return self._wanted.pop(row.lane)
        if row.is_triage_post and not row.rolled_up and row.channel:
            rollup = self._roll_up(row.channel, now)
            if rollup is not None:
                return rollup, None
        return row.id, row.last_error

    def _claim(self, message_id: int, now: datetime) -> bool:
        with session_scope(self.engine) as session:
            return outbox.claim(session, message_id=message_id, now=now, lease=self.lease)

    def _deliver(
        self, message_id: int, previous_error: str | None, *, lane: str | None = None
    ) -> bool:
        unsure = previous_error is not None and previous_error.startswith((IN_FLIGHT, AMBIGUOUS))
        posting = False
        dm_user: str | None = None
        try:
            plan = self._plan(message_id)
            dm_user = plan.user
            if plan.method == Method.UPDATE:
                # _plan waits (_Wait) until the message it updates is sent, channel and ts known.
                assert plan.channel is not None and plan.ts is not None
                self.client.chat_update(
                    channel=plan.channel,
                    ts=plan.ts,
                    text=plan.rendered.text,
                    blocks=plan.rendered.blocks,
                )
                self._mark_sent(message_id, plan.channel, plan.ts)
                return True
            channel = plan.channel or self._open_dm(plan.user)
            if unsure:
                found = self._find_posted(channel, plan.key, plan.thread_ts)
                if found is not None:
                    log.info("outbox %s was already posted; adopting it", plan.key)
                    self._mark_sent(message_id, channel, found)
                    return True
            posting = True
            answer = self.client.chat_postMessage(
                channel=channel,
                text=plan.rendered.text,
                blocks=plan.rendered.blocks,
                thread_ts=plan.thread_ts,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": plan.key}},
                unfurl_links=False,
                unfurl_media=False,
            )
            self._mark_sent(message_id, answer.get("channel") or channel, answer.get("ts"))
            return True
        except _Wait as wait:
            self._want(wait.key)
            self._defer(message_id, str(wait), timedelta(seconds=5), count=False, unsure=unsure)
        except _Skip as skip:
            self._skip(message_id, str(skip))
        except _Failed as failed:
            self._defer(message_id, str(failed), None, unsure=unsure)
        except SlackApiError as error:
            if dm_user is not None:
                # The DM channel we kept may be what Slack refused; open it afresh next time.
                self._dm_channels.pop(dm_user, None)
            self._slack_failed(message_id, error, unsure=unsure, posting=posting, lane=lane)
        except NETWORK_ERRORS as error:
            reason = f"{type(error).__name__}: {error}"
            self._defer(message_id, reason, None, unsure=unsure or posting)
        return False

    # ------------------------------------------------------------------ what to send

    def _plan(self, message_id: int) -> _Plan:
        with session_scope(self.engine, write=False) as session:
            message = outbox.message_by_id(session, message_id=message_id)
            related_key = message.target_key if message.method == Method.UPDATE else None
            related_key = related_key or message.thread_key
            channel, ts = message.channel, None
            if related_key:
                related = outbox.by_key(session, related_key)
                if related is not None and related.status == outbox.SKIPPED:
                    raise _Skip(
                        f"skipped for Slack: the message it belongs to ({related_key}) "
                        "is not Slack's"
                    )
                if related is None or related.status == outbox.DEAD:
                    raise _Failed(f"the message it belongs to ({related_key}) was never sent")
                if related.status != outbox.SENT or not related.message_ts:
                    raise _Wait(related_key)
                channel, ts = related.message_channel, related.message_ts
            try:
                rendered = notices.render(session, message)
            except Exception as error:
                log.exception("outbox %s could not be rendered", message.key)
                raise _Failed(f"could not render: {type(error).__name__}: {error}") from None
            if message.method == Method.UPDATE:
                return _Plan(
                    key=message.key,
                    method=Method.UPDATE,
                    rendered=rendered,
                    channel=channel,
                    ts=ts,
                )
            return _Plan(
                key=message.key,
                method=message.method,
                rendered=rendered,
                channel=channel,
                user=message.user if message.method == Method.DM else None,
                thread_ts=ts if message.thread_key else None,
            )

    def _open_dm(self, user: str | None) -> str:
        if not user:
            raise _Failed("a direct message with no user")
        known = self._dm_channels.get(user)
        if known is None:
            answer = self.client.conversations_open(users=user)
            known = self._dm_channels[user] = str(answer["channel"]["id"])
        return known

    def _find_posted(self, channel: str, key: str, thread_ts: str | None) -> str | None:
        """The ts of a message we already posted for ``key``, found by its metadata."""
        oldest = f"{(self.clock.now() - self.history_window).timestamp():.6f}"
        cursor: str | None = None
        for _page in range(10):
            if thread_ts:
                answer = self.client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                answer = self.client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            for message in answer.get("messages") or []:
                metadata: dict[str, Any] = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == METADATA_EVENT
                    and (metadata.get("event_payload") or {}).get("key") == key
                ):
                    return str(message["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    # ------------------------------------------------------------------ lanes and roll-ups

    def _take_lane(self, lane: str, now: datetime) -> Slot | None:
        interval = timedelta(seconds=self.min_interval)
        with session_scope(self.engine) as session:
            return lanes.claim(session, lane=lane, now=now, interval=interval)

    def _release(self, slot: Slot) -> None:
        with session_scope(self.engine) as session:
            lanes.release(session, slot)

    def _until_free(self, held: set[str]) -> float | None:
        """Seconds until the first of ``held`` may take a post again (None if none is held)."""
        now = self.clock.now()
        with session_scope(self.engine, write=False) as session:
            free_at = lanes.next_free(session, lanes=held, now=now)
        return None if free_at is None else max((free_at - now).total_seconds(), 0.0)

    def _roll_up(self, channel: str, now: datetime) -> int | None:
        with session_scope(self.engine) as session:
            rollup = rollups.roll_up(session, channel=channel, now=now)
        if rollup is not None:
            log.info("outbox: the triage posts due in %s go as one roll-up", channel)
        return rollup

    def _want(self, key: str) -> None:
        """A change waits on a post a roll-up covered: let that post go next (in this pass
        too, if its lane is still free)."""
        with session_scope(self.engine) as session:
            wanted = rollups.want(session, key=key)
            previous_error = None
            if wanted is not None:
                previous_error = outbox.message_by_id(session, message_id=wanted[0]).last_error
        if wanted is not None:
            self._wanted.setdefault(wanted[1], (wanted[0], previous_error))

    # ------------------------------------------------------------------ recording outcomes

    def _skip(self, message_id: int, reason: str) -> None:
        with session_scope(self.engine) as session:
            outbox.skip(session, message_id=message_id, reason=reason)
        log.info("outbox %s %s", message_id, reason)

    def _mark_sent(self, message_id: int, channel: str | None, ts: str | None) -> None:
        with session_scope(self.engine) as session:
            message = outbox.message_by_id(session, message_id=message_id)
            outbox.mark_sent(session, message, channel=channel, ts=ts, now=self.clock.now())

    def _slack_failed(
        self,
        message_id: int,
        error: SlackApiError,
        *,
        unsure: bool,
        posting: bool,
        lane: str | None = None,
    ) -> None:
        """A lost answer (5xx) to a post leaves it unsure; a refusal or a rate limit means
        this attempt posted nothing, but an earlier unsure attempt stays unsure."""
        status = error.response.status_code
        code = str(error.response.get("error") or f"HTTP {status}")
        if status == 429 or code == "ratelimited":
            retry_after = _retry_after(error)
            if lane is not None:
                # Slack asked the conversation to rest: every sender leaves its lane for as long.
                with session_scope(self.engine) as session:
                    lanes.hold(
                        session, lane=lane, until=self.clock.now() + timedelta(seconds=retry_after)
                    )
            self._defer(
                message_id,
                f"rate limited for {retry_after}s",
                timedelta(seconds=retry_after),
                count=False,
                unsure=unsure,
            )
            return
        if status >= 500:
            reason = f"Slack answered HTTP {status}"
            self._defer(message_id, reason, None, unsure=unsure or posting)
            return
        log.warning("outbox %s: Slack refused it: %s", message_id, code)
        self._defer(message_id, code, None, unsure=unsure)

    def _defer(
        self,
        message_id: int,
        error: str,
        retry_in: timedelta | None,
        *,
        count: bool = True,
        unsure: bool = False,
    ) -> None:
        """Try again later; ``unsure`` keeps the mark that makes the next attempt look for
        the message in Slack before posting it."""
        if unsure:
            error = f"{AMBIGUOUS}: {error}"
        with session_scope(self.engine) as session:
            message = outbox.message_by_id(session, message_id=message_id)
            if retry_in is None:
                retry_in = backoff(message.attempts)
            outbox.defer(
                session,
                message,
                error=error,
                retry_in=retry_in,
                now=self.clock.now(),
                max_attempts=self.max_attempts,
                count_attempt=count,
            )
            if message.status == outbox.DEAD:
                log.error(
                    "outbox %s gave up after %s attempts: %s", message.key, message.attempts, error
                )

    # ------------------------------------------------------------------ background thread

    def nudge(self) -> None:
        """Something was just committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="golive-outbox", daemon=True)
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
                log.exception("outbox pass failed; trying again shortly")
                sent = 0
            if sent == 0:
                held = self._held
                self._wake.wait(self.poll_seconds if held is None else max(held, 0.01))
                self._wake.clear()


def not_slacks(row: outbox.Due) -> str | None:
    """Why Slack cannot deliver ``row`` (None if it can): a direct message to someone golive
    knows only from Teams (their stand-in Slack id starts ``teams-``), or a post to a purpose
    routed to another face (channels.route_to_face names it ``teams:triage``; a Slack channel
    id has no colon). Left to the face that can, rather than retried here until it dies."""
    if row.method == Method.DM and (row.user or "").startswith(TEAMS_ONLY_PREFIX):
        return f"skipped for Slack: {row.user} is known only on Teams"
    if row.channel and ":" in row.channel:
        return f"skipped for Slack: {row.channel} is routed to another face, not a Slack channel"
    return None


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour."""
    return timedelta(seconds=min(5 * 2 ** min(attempts, 20), 3600))


def _retry_after(error: SlackApiError) -> int:
    headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(int(str(value)), 1)
    except (TypeError, ValueError):
        return 30
