"""The escalation ladder, run every few minutes.

Level one: an owner who has had N reminders for the same overdue item and answered none is
raised to the service's registered manager (or the project lead), in one direct message per
manager per run. Level two: a high or extreme risk, an urgent issue or one affecting safe care
still unresolved past the phase's threshold is posted to the board channel with a button to
record a decision; each item is posted once, and the same post is updated as it changes.
"""

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from schedules.cadence import Job, ScheduleSettings, channel_for_job, escalation_hours
from schedules.care import escalate_slipped_controls
from schedules.commissioner import owe_commissioner_summary
from schedules.digests import DECISION_OPEN_ACTION, Window
from schedules.handover import run_handover
from schedules.reminders import KIND_LABELS
from schedules.render import Rendered, render
from store import escalations, outbox
from store.escalations import BOARD, MANAGER, BoardItem
from store.models import Person
from store.outbox import Method, Notice
from store.reminders import ItemKind, overdue_items, unacknowledged


def board_post_key(ref: str) -> str:
    return f"escalation:board:{ref}"


def render_board_post(item: BoardItem, escalated_at: Any) -> Rendered:
    view = {
        "ref": item.ref,
        "title": item.title,
        "state": item.state,
        "status": item.status,
        "owner": item.owner,
        "service": item.service,
        "reason": item.reason,
        "resolved": item.resolved,
        "controls": item.controls,
        "decisions": item.decisions,
        "escalated_at": escalated_at,
    }
    return render("escalation_board.j2", item=view, decision_action=DECISION_OPEN_ACTION)


def escalate_to_managers(session: Session, window: Window, settings: ScheduleSettings) -> int:
    """Level one; the number of items newly raised."""
    quiet = unacknowledged(session, at_least=settings.reminders_before_escalation)
    if not quiet:
        return 0
    still_overdue = {
        (str(item.kind), item.id): (owner_id, item)
        for owner_id, item in overdue_items(session, today=window.today)
    }
    people = {
        person.id: person
        for person in session.exec(
            select(Person).where(col(Person.id).in_({row.person_id for row in quiet}))
        )
    }
    letters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    raised = 0
    for row in quiet:
        current = still_overdue.get((str(row.kind), row.item_id))
        if current is None or current[0] != row.person_id or current[1].due != row.due:
            continue
        item = current[1]
        owner = people[row.person_id]
        for manager in escalations.managers_for(
            session, service_id=item.service_id, owner_id=row.person_id
        ):
            user = manager.slack_user_id
            key = f"escalation:{MANAGER}:{row.kind}:{row.item_id}:{row.due}:{user}"
            created = escalations.record(
                session,
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
            if created:
                raised += 1
                letters[user].append(
                    {
                        "ref": row.ref,
                        "kind_label": KIND_LABELS[ItemKind(row.kind)],
                        "text": item.text,
                        "owner": owner.name,
                        "due": item.due,
                        "count": row.count,
                    }
                )
    for user, items in letters.items():
        rendered = render(
            "escalation_manager.j2",
            items=items,
            before_escalation=settings.reminders_before_escalation,
        )
        outbox.enqueue(
            session,
            key=f"escalation:{MANAGER}:{window.period}:{user}",
            method=Method.DM,
            notice=Notice.DIGEST,
            user=user,
            subject=f"escalation:{window.period}",
            payload=rendered.payload(),
            now=window.now,
        )
    return raised


def escalate_to_board(
    session: Session, window: Window, settings: ScheduleSettings
) -> tuple[int, int]:
    """Level two; (items newly posted, posts updated)."""
    channel = channel_for_job(session, Job.ESCALATION, settings)
    if not channel:
        return 0, 0
    threshold = timedelta(hours=escalation_hours(settings, window.phase))
    posted = 0
    for item in escalations.due_for_board(
        session, now=window.now, today=window.today, threshold=threshold
    ):
        key = board_post_key(item.ref)
        created = escalations.record(
            session,
            key=key,
            level=BOARD,
            kind=item.kind,
            item_id=item.id,
            ref=item.ref,
            reason=item.reason,
            recipient=channel,
            post_key=key,
            fingerprint=item.fingerprint,
            now=window.now,
        )
        if created:
            outbox.enqueue(
                session,
                key=key,
                method=Method.POST,
                notice=Notice.DIGEST,
                channel=channel,
                subject=item.ref,
                payload=render_board_post(item, window.now).payload(),
                now=window.now,
            )
            posted += 1
    return posted, _update_board_posts(session, window, threshold)


def _update_board_posts(session: Session, window: Window, threshold: timedelta) -> int:
    """Refresh each board post whose item has changed since it was last shown."""
    rows = escalations.escalations(session, level=BOARD)
    if not rows:
        return 0
    ids: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        ids[row.item_kind].append(row.item_id)
    items = {
        (item.kind, item.id): item
        for item in escalations.risk_items(
            session, today=window.today, threshold=threshold, ids=ids["risk"]
        )
        + escalations.issue_items(
            session, today=window.today, threshold=threshold, ids=ids["issue"]
        )
    }
    updated = 0
    for row in rows:
        item = items.get((row.item_kind, row.item_id))
        if item is None or item.fingerprint == row.fingerprint:
            continue
        outbox.enqueue(
            session,
            key=f"{row.post_key}:update:{window.period}",
            method=Method.UPDATE,
            notice=Notice.DIGEST,
            target_key=row.post_key,
            subject=item.ref,
            payload=render_board_post(item, row.escalated_at).payload(),
            now=window.now,
        )
        escalations.update_state(
            session, row, fingerprint=item.fingerprint, resolved=item.resolved, now=window.now
        )
        updated += 1
    return updated


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
