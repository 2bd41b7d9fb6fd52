"""Overdue reminders: one direct message per owner per day, with a row of answers per item."""

from typing import Any

from sqlmodel import Session

from schedules.buttons import reminder_answer
from schedules.cadence import ScheduleSettings, zone_of
from schedules.digests import Window
from schedules.render import Mrkdwn, Rendered, render
from store.records import outbox, quiet
from store.records.outbox import Method, Notice
from store.records.reminders import (
    RESPONSES_FOR,
    ItemKind,
    OverdueItem,
    OwnerOverdue,
    Response,
    overdue_by_owner,
    record_reminded,
)

MAX_ITEMS = 20  # two blocks each, inside Slack's 50 per message

KIND_LABELS = {
    ItemKind.CONTROL: "Control",
    ItemKind.CORRECTION: "Correction action",
    ItemKind.REVIEW: "Risk review",
}

BUTTONS: dict[Response, tuple[str, str]] = {
    Response.ACKNOWLEDGED: ("Acknowledge", ""),
    Response.COMPLETED: ("Complete", "primary"),
    Response.DELAYED: ("Delayed (new date)", ""),
    Response.INEFFECTIVE: ("Ineffective", "danger"),
    Response.SNOOZED: ("Snooze 1 day", ""),
}


def reminder_key(period: str, user: str) -> str:
    return f"reminders:{period}:{user}"


def _item_view(item: OverdueItem, window: Window) -> dict[str, Any]:
    """What the template shows of an item. Refs, kind labels, action ids, button labels and
    values are golive's own words, not typed by a person, so they are marked safe (``Mrkdwn``)
    and skip the masking every printed value otherwise gets: printed for every button, they
    were most of a sweep's time when hundreds of owners are reminded."""
    buttons = []
    for response in RESPONSES_FOR[item.kind]:
        label, style = BUTTONS[response]
        if item.kind == ItemKind.REVIEW and response == Response.COMPLETED:
            label = "Reviewed (next date)"
        buttons.append(
            {
                "action": Mrkdwn(reminder_answer(response)),
                "label": Mrkdwn(label),
                "style": Mrkdwn(style),
            }
        )
    return {
        "ref": Mrkdwn(item.ref),
        "kind_label": Mrkdwn(KIND_LABELS[item.kind]),
        "parent": None if item.parent is None else Mrkdwn(item.parent),
        "text": item.text,
        "due": item.due,
        "days_overdue": (window.today - item.due).days,
        "value": Mrkdwn(item.value),
        "buttons": buttons,
    }


def render_reminder(owner: OwnerOverdue, window: Window, settings: ScheduleSettings) -> Rendered:
    return render(
        "reminder.j2",
        items=[_item_view(item, window) for item in owner.items],
        max_items=MAX_ITEMS,
        before_escalation=settings.reminders_before_escalation,
    )


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
            notice=Notice.DIGEST,
            user=owner.person.slack_user_id,
            subject=f"reminders:{window.period}",
            payload=render_reminder(owner, window, settings).payload(),
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
