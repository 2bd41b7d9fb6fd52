"""Overdue reminders: one direct message per owner per day, with a row of answers per item."""

from typing import Any

from sqlmodel import Session

from schedules.cadence import ScheduleSettings, zone_of
from schedules.digests import Window
from schedules.render import Rendered, render
from store import outbox, quiet
from store.outbox import Method, Notice
from store.reminders import (
    RESPONSES_FOR,
    ItemKind,
    OverdueItem,
    OwnerOverdue,
    Response,
    action_id,
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
    buttons = []
    for response in RESPONSES_FOR[item.kind]:
        label, style = BUTTONS[response]
        if item.kind == ItemKind.REVIEW and response == Response.COMPLETED:
            label = "Reviewed (next date)"
        buttons.append({"action": action_id(response), "label": label, "style": style})
    return {
        "ref": item.ref,
        "kind_label": KIND_LABELS[item.kind],
        "parent": item.parent,
        "text": item.text,
        "due": item.due,
        "days_overdue": (window.today - item.due).days,
        "value": item.value,
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
    """Owe each owner today's reminder and remember what it listed, for the ladder."""
    owners = overdue_by_owner(session, today=window.today)
    sent = 0
    for owner in owners:
        user = owner.person.slack_user_id
        owed = outbox.enqueue(
            session,
            key=reminder_key(window.period, user),
            method=Method.DM,
            notice=Notice.DIGEST,
            user=user,
            subject=f"reminders:{window.period}",
            payload=render_reminder(owner, window, settings).payload(),
            now=window.now,
            not_before=quiet.release_at(
                session, person=owner.person, now=window.now, zone=zone_of(settings)
            ),
        )
        if owed:
            record_reminded(
                session,
                person=owner.person,
                items=owner.items[:MAX_ITEMS],
                day=window.today,
                now=window.now,
            )
            sent += 1
    items = sum(len(owner.items) for owner in owners)
    return f"{sent} reminders owed, {items} overdue items across {len(owners)} owners"
