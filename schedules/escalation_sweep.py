"""The escalation ladder, run every few minutes.

Level one: an owner who has had N reminders for the same overdue item and answered none is
raised to the service's registered manager (or the project lead), in one direct message per
manager per run. Level two: a high or extreme risk, an urgent issue or one affecting safe care
still unresolved past the phase's threshold is posted to the board channel with a button to
record a decision; each item is posted once, and the same post is updated as it changes.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import Session

from schedules.cadence import Job, ScheduleSettings, channel_for_job, escalation_hours
from schedules.care import escalate_slipped_controls
from schedules.commissioner import owe_commissioner_summary
from schedules.digests import Window
from schedules.handover import run_handover
from schedules.posts import JSON, ScheduledNotice, frozen
from store.records import escalations, outbox, people
from store.records.escalations import BOARD, MANAGER, BoardItem
from store.records.models import Escalation
from store.records.outbox import Method
from store.records.reminders import OverdueItem, Unacknowledged, overdue_items, unacknowledged


def board_post_key(ref: str) -> str:
    return f"escalation:board:{ref}"


def board_post_facts(item: BoardItem, escalated_at: datetime) -> JSON:
    """The item as its board post shows it, and when it was first escalated."""
    return {
        "item": {
            "ref": item.ref,
            "title": item.title,
            "state": item.state,
            "status": item.status,
            "owner": item.owner,
            "service": item.service,
            "reason": item.reason,
            "resolved": item.resolved,
            "controls": frozen(item.controls),
            "decisions": item.decisions,
            "escalated_at": escalated_at.isoformat(),
        }
    }


def _manager_key(row: Unacknowledged, user: str) -> str:
    """One escalation per item, overdue date and manager."""
    return f"escalation:{MANAGER}:{row.kind}:{row.item_id}:{row.due}:{user}"


def escalate_to_managers(session: Session, window: Window, settings: ScheduleSettings) -> int:
    """Level one; the number of items newly raised. The escalations already recorded are
    read at once, so a sweep with nothing new writes nothing."""
    quiet = unacknowledged(session, at_least=settings.reminders_before_escalation)
    if not quiet:
        return 0
    still_overdue = {
        (str(item.kind), item.id): (owner_id, item)
        for owner_id, item in overdue_items(session, today=window.today)
    }
    owners = people.by_ids(session, ids={row.person_id for row in quiet})
    raised: list[tuple[Unacknowledged, OverdueItem]] = []
    for row in quiet:
        current = still_overdue.get((str(row.kind), row.item_id))
        if current is not None and current[0] == row.person_id and current[1].due == row.due:
            raised.append((row, current[1]))
    managers = escalations.managers_for_owners(
        session, {(item.service_id, row.person_id) for row, item in raised}
    )
    candidates = [
        (_manager_key(row, manager.slack_user_id), manager.slack_user_id, row, item)
        for row, item in raised
        for manager in managers[(item.service_id, row.person_id)]
    ]
    recorded = escalations.recorded_keys(session, [key for key, _, _, _ in candidates])
    letters: dict[str, list[JSON]] = defaultdict(list)
    rows = []
    for key, user, row, item in candidates:
        if key in recorded:
            continue
        recorded.add(key)
        owner = owners[row.person_id]
        rows.append(
            escalations.escalation_row(
                key=key,
                level=MANAGER,
                kind=str(row.kind),
                item_id=row.item_id,
                ref=row.ref,
                reason=f"{owner.name} has not answered {row.count} reminders",
                recipient=user,
                post_key=f"escalation:{MANAGER}:{window.period}:{user}",
                fingerprint="",
                now=window.now,
            )
        )
        letters[user].append(
            {
                "ref": row.ref,
                "kind": str(row.kind),
                "text": item.text,
                "owner": owner.name,
                "due": item.due.isoformat(),
                "count": row.count,
            }
        )
    escalations.record_many(session, rows)
    outbox.enqueue_many(
        session,
        [
            outbox.message_row(
                key=f"escalation:{MANAGER}:{window.period}:{user}",
                method=Method.DM,
                notice=ScheduledNotice.ESCALATION_MANAGER,
                user=user,
                subject=f"escalation:{window.period}",
                payload={
                    "items": items,
                    "before_escalation": settings.reminders_before_escalation,
                },
                now=window.now,
            )
            for user, items in letters.items()
        ],
    )
    return len(rows)


def escalate_to_board(
    session: Session, window: Window, settings: ScheduleSettings
) -> tuple[int, int]:
    """Level two; (items newly posted, posts updated). The board escalations are read once
    and each item built once, both to post the items newly due and to refresh the posts of
    items that changed, so a steady sweep (nothing newly due, nothing changed) writes
    nothing."""
    channel = channel_for_job(session, Job.ESCALATION, settings)
    if not channel:
        return 0, 0
    threshold = timedelta(hours=escalation_hours(settings, window.phase))
    existing = escalations.escalations(session, level=BOARD)
    ids: dict[str, list[int]] = defaultdict(list)
    for row in existing:
        ids[row.item_kind].append(row.item_id)
    items = escalations.board_items(session, today=window.today, threshold=threshold, ids=ids)
    posted_keys = {row.key for row in existing}
    due = [
        item
        for item in items.values()
        if escalations.due_for_board(item, now=window.now, threshold=threshold)
        and board_post_key(item.ref) not in posted_keys
    ]
    escalations.record_many(
        session,
        [
            escalations.escalation_row(
                key=board_post_key(item.ref),
                level=BOARD,
                kind=item.kind,
                item_id=item.id,
                ref=item.ref,
                reason=item.reason,
                recipient=channel,
                post_key=board_post_key(item.ref),
                fingerprint=item.fingerprint,
                now=window.now,
            )
            for item in due
        ],
    )
    posted = outbox.enqueue_many(
        session,
        [
            outbox.message_row(
                key=board_post_key(item.ref),
                method=Method.POST,
                notice=ScheduledNotice.ESCALATION_BOARD,
                channel=channel,
                subject=item.ref,
                payload=board_post_facts(item, window.now),
                now=window.now,
            )
            for item in due
        ],
    )
    return len(posted), _update_board_posts(session, window, existing, items)


def _update_board_posts(
    session: Session,
    window: Window,
    rows: list[Escalation],
    items: dict[tuple[str, int], BoardItem],
) -> int:
    """Refresh each board post whose item has changed since it was last shown. ``rows`` are
    the board escalations recorded before this sweep: one posted in it shows its item as it
    stands, so has nothing to refresh."""
    changed = [
        (row, item)
        for row in rows
        if (item := items.get((row.item_kind, row.item_id))) is not None
        and item.fingerprint != row.fingerprint
    ]
    outbox.enqueue_many(
        session,
        [
            outbox.message_row(
                key=f"{row.post_key}:update:{window.period}",
                method=Method.UPDATE,
                notice=ScheduledNotice.ESCALATION_BOARD,
                target_key=row.post_key,
                subject=item.ref,
                payload=board_post_facts(item, row.escalated_at),
                now=window.now,
            )
            for row, item in changed
        ],
    )
    for row, item in changed:
        escalations.update_state(
            session, row, fingerprint=item.fingerprint, resolved=item.resolved, now=window.now
        )
    return len(changed)


def run_escalation(session: Session, window: Window, settings: ScheduleSettings) -> str:
    managers = escalate_to_managers(session, window, settings)
    posted, updated = escalate_to_board(session, window, settings)
    slipped = escalate_slipped_controls(session, window, settings)
    handovers = run_handover(session, window, settings)
    commissioner = owe_commissioner_summary(session, window, settings)
    return (
        f"{managers} raised to managers, {posted} posted to the board, "
        f"{updated} board posts updated, {slipped} delayed controls posted to the board, "
        f"{handovers} handover summaries owed, {commissioner} commissioner summaries owed"
    )
