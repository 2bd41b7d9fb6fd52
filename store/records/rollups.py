"""Roll-ups: one post that shows a burst of reports while the channel's pace holds their own
posts back.

Slack takes about one post a second in a channel, so 300 reports in a minute, one triage post
each, would leave the last one five minutes late. When a channel has more than one triage post
due, the next post owed there is a roll-up of them: an outbox row of its own (its key names
the channel and the first post it covers, so a retry finds it rather than owing another) and
a ``RollupLine`` for each post it covers, written in one transaction. A post is covered once
(the line's key), so no report is in two roll-ups. The covered posts stay owed: each goes
later, when the channel is quiet, or first among them when a change to its issue (an update,
a reply in its thread) waits on it, so every issue keeps a post and a thread of its own.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.records.issues import parse_ref, service_names_of
from store.records.models import Issue, OutboxMessage, RollupLine
from store.records.outbox import PENDING, Method, Notice, by_key, message_row

ROLLUP_NOTICE = "issue_triage_rollup"
"""A roll-up's kind. Slack's own answer to its pace, so only the Slack face words it: every
other face delivers each covered triage post itself and leaves roll-ups alone."""

MOST_LINES = 40
"""Issues one roll-up shows: a line (and a button) each within Slack's 50 blocks a message,
with room for the heading and the note under it."""


def roll_up(session: Session, *, channel: str, now: datetime, most: int = MOST_LINES) -> int | None:
    """Owe one roll-up of the triage posts due in ``channel`` that none covers yet, oldest
    first (at most ``most``); its outbox id, or None when fewer than two are due (one post
    shows one report as well as a roll-up would)."""
    query = (
        select(OutboxMessage.id)
        .outerjoin(RollupLine, col(RollupLine.outbox_id) == col(OutboxMessage.id))
        .where(
            col(RollupLine.outbox_id).is_(None),
            OutboxMessage.status == PENDING,
            col(OutboxMessage.next_attempt_at) <= now,
            OutboxMessage.notice == Notice.ISSUE_TRIAGE,
            OutboxMessage.method == Method.POST,
            OutboxMessage.channel == channel,
            col(OutboxMessage.thread_key).is_(None),
        )
        .order_by(col(OutboxMessage.id))
        .limit(most)
    )
    covered = [message_id for message_id in session.exec(query) if message_id is not None]
    if len(covered) < 2:
        return None
    rollup = OutboxMessage.model_validate(
        message_row(
            key=f"issue_rollup:{channel}:{covered[0]}",
            method=Method.POST,
            notice=ROLLUP_NOTICE,
            channel=channel,
            now=now,
        )
    )
    session.add(rollup)
    session.flush()
    assert rollup.id is not None
    session.add_all(RollupLine(outbox_id=message_id, rollup_id=rollup.id) for message_id in covered)
    return rollup.id


def want(session: Session, *, key: str) -> tuple[int, str] | None:
    """A change waits on the post with ``key``: if a roll-up covers it and it is still owed,
    let it go before the quieter ones. Its id and channel, or None if no roll-up covers a
    pending post with that key."""
    message = by_key(session, key)
    if message is None or message.status != PENDING or message.id is None:
        return None
    line = session.get(RollupLine, message.id)
    if line is None or message.channel is None:
        return None
    if not line.wanted:
        session.execute(
            update(RollupLine).where(col(RollupLine.outbox_id) == message.id).values(wanted=True)
        )
    return message.id, message.channel


@dataclass(frozen=True)
class Shown:
    """An issue on a roll-up, as it is now, with its service's name."""

    issue: Issue
    service: str | None


def shown_in(session: Session, *, rollup_id: int) -> list[Shown]:
    """The issues a roll-up covers as they are now, oldest report first, in three queries
    whatever their number."""
    query = (
        select(OutboxMessage.subject)
        .join(RollupLine, col(RollupLine.outbox_id) == col(OutboxMessage.id))
        .where(RollupLine.rollup_id == rollup_id)
        .order_by(col(OutboxMessage.id))
    )
    numbers = [parse_ref(ref) for ref in session.exec(query) if ref]
    found = {
        issue.number: issue
        for issue in session.exec(select(Issue).where(col(Issue.number).in_(numbers)))
    }
    issues = [found[number] for number in numbers if number in found]
    names = service_names_of(session, issues)
    return [Shown(issue, names.get(issue.service_id)) for issue in issues]
