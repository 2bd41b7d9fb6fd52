"""Overdue reminders: one direct message per owner per day, with a row of answers per item."""

from sqlmodel import Session

from schedules.cadence import ScheduleSettings, zone_of
from schedules.digests import Window
from schedules.posts import JSON, ScheduledNotice
from store.records import outbox, quiet
from store.records.outbox import Method
from store.records.reminders import OverdueItem, OwnerOverdue, overdue_by_owner, record_reminded

MAX_ITEMS = 20  # the items a reminder lists (two blocks each, inside Slack's 50 per message)


def reminder_key(period: str, user: str) -> str:
    return f"reminders:{period}:{user}"


def _item(item: OverdueItem, window: Window) -> JSON:
    """One overdue item as the reminder carries it; ``value`` is what an answer names it by."""
    return {
        "kind": str(item.kind),
        "ref": item.ref,
        "parent": item.parent,
        "text": item.text,
        "due": item.due.isoformat(),
        "days_overdue": (window.today - item.due).days,
        "value": item.value,
    }


def reminder_facts(owner: OwnerOverdue, window: Window, settings: ScheduleSettings) -> JSON:
    return {
        "items": [_item(item, window) for item in owner.items],
        "max_items": MAX_ITEMS,
        "before_escalation": settings.reminders_before_escalation,
    }


def run_reminders(session: Session, window: Window, settings: ScheduleSettings) -> str:
    """Owe each owner today's reminder and remember what it listed, for the ladder.

    A fixed number of statements however many owners: the reminders already owed and
    everyone's quiet hours are read at once, the messages owed in one write and the items
    listed in another; an owner already owed today's reminder gets nothing more, so a second
    sweep the same day writes nothing."""
    owners = overdue_by_owner(session, today=window.today)
    keys = {reminder_key(window.period, owner.person.slack_user_id): owner for owner in owners}
    already = outbox.owed_keys(session, list(keys))
    due = {key: owner for key, owner in keys.items() if key not in already}
    hours = quiet.quiet_hours_by_person(
        session, [owner.person.id for owner in due.values() if owner.person.id is not None]
    )
    zone = zone_of(settings)
    messages = [
        outbox.message_row(
            key=key,
            method=Method.DM,
            notice=ScheduledNotice.REMINDER,
            user=owner.person.slack_user_id,
            subject=f"reminders:{window.period}",
            payload=reminder_facts(owner, window, settings),
            now=window.now,
            not_before=quiet.release_after(
                hours.get(owner.person.id) if owner.person.id is not None else None,
                now=window.now,
                zone=zone,
            ),
        )
        for key, owner in due.items()
    ]
    owed = outbox.enqueue_many(session, messages)
    listed = {
        owner.person.id: owner.items[:MAX_ITEMS]
        for key, owner in due.items()
        if key in owed and owner.person.id is not None
    }
    record_reminded(session, listed=listed, day=window.today, now=window.now)
    items = sum(len(owner.items) for owner in owners)
    return f"{len(listed)} reminders owed, {items} overdue items across {len(owners)} owners"
