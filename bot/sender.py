"""The outbox sender: delivers the messages the store owes Slack, once each.

Each due row is claimed first (an UPDATE that only one sender can win, which pushes its next
attempt out by a lease), rendered from the current records, sent, and marked sent with the
message's channel and ts. Failures are retried with back-off, honouring Slack's Retry-After;
after ``max_attempts`` a row is left ``dead`` with its last error for a human to see.

A post whose answer was lost (the connection dropped, or Slack answered 5xx, after Slack may
have accepted it) is never blindly re-posted: every post carries message metadata with its
outbox key, and before posting again the sender looks for that key in the channel's recent
history (or the thread), adopting the message it finds.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
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
from store.records import outbox
from store.records.outbox import IN_FLIGHT, Method

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
        self._last_post: dict[str, float] = {}
        # Each person's direct-message channel with the bot, once opened: it does not change,
        # and knowing it before a pass lets that pass hold a DM that must wait its turn.
        self._dm_channels: dict[str, str] = {}
        # Seconds until the first channel held back by the last pass may post again, if any.
        self._held: float | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ one pass

    def run_once(self) -> int:
        """Deliver what is due now; returns how many messages were sent.

        A channel posted to under ``min_interval`` ago keeps its next posts for a later pass
        (in order), and the messages for other channels behind them go now: a burst of
        reports queues their triage posts at Slack's pace without holding each reporter's
        confirmation or a manager's safe-care alert behind them."""
        now = self.clock.now()
        # Looks (the due scan, the render) are read-only units: on SQLite a write unit takes the
        # database's one write lock at BEGIN, and every report being acknowledged would queue
        # behind the sender while it renders.
        with session_scope(self.engine, write=False) as session:
            due = [
                (m.id, m.last_error, m.channel, m.user)
                for m in outbox.due(session, now=now, limit=self.batch)
            ]
        sent = 0
        held: set[str] = set()
        for message_id, previous_error, posted_in, user in due:
            assert message_id is not None
            channel = posted_in or self._dm_channels.get(user or "")
            if channel is not None and (channel in held or self._pacing(channel) > 0):
                held.add(channel)
                continue
            if self._claim(message_id, now) and self._deliver(message_id, previous_error):
                sent += 1
        self._held = min((self._pacing(channel) for channel in held), default=None)
        return sent

    def _claim(self, message_id: int, now: datetime) -> bool:
        with session_scope(self.engine) as session:
            return outbox.claim(session, message_id=message_id, now=now, lease=self.lease)

    def _deliver(self, message_id: int, previous_error: str | None) -> bool:
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
            self._pace(channel)
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
            self._defer(message_id, str(wait), timedelta(seconds=5), count=False, unsure=unsure)
        except _Failed as failed:
            self._defer(message_id, str(failed), None, unsure=unsure)
        except SlackApiError as error:
            if dm_user is not None:
                # The DM channel we kept may be what Slack refused; open it afresh next time.
                self._dm_channels.pop(dm_user, None)
            self._slack_failed(message_id, error, unsure=unsure, posting=posting)
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
                if related is None or related.status == outbox.DEAD:
                    raise _Failed(f"the message it belongs to ({related_key}) was never sent")
                if related.status != outbox.SENT or not related.message_ts:
                    raise _Wait(f"waiting for {related_key} to be sent")
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

    def _pacing(self, channel: str) -> float:
        """Seconds until ``channel`` may take its next post: about one a second per channel,
        as Slack asks."""
        last = self._last_post.get(channel)
        return 0.0 if last is None else self.min_interval - (time.monotonic() - last)

    def _pace(self, channel: str) -> None:
        wait = self._pacing(channel)
        if wait > 0:
            time.sleep(wait)
        self._last_post[channel] = time.monotonic()

    # ------------------------------------------------------------------ recording outcomes

    def _mark_sent(self, message_id: int, channel: str | None, ts: str | None) -> None:
        with session_scope(self.engine) as session:
            message = outbox.message_by_id(session, message_id=message_id)
            outbox.mark_sent(session, message, channel=channel, ts=ts, now=self.clock.now())

    def _slack_failed(
        self, message_id: int, error: SlackApiError, *, unsure: bool, posting: bool
    ) -> None:
        """A lost answer (5xx) to a post leaves it unsure; a refusal or a rate limit means
        this attempt posted nothing, but an earlier unsure attempt stays unsure."""
        status = error.response.status_code
        code = str(error.response.get("error") or f"HTTP {status}")
        if status == 429 or code == "ratelimited":
            retry_after = _retry_after(error)
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
