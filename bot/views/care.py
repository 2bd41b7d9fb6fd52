"""What the care safeguards show in Slack: the fallback procedure posted in an outage issue's
triage thread, rendered at send time from the provider's template for the issue's category;
the paper records' reconcile control, told to its owner; and the ask to verify an item, sent to
each person who may. The store owes these as notices with their facts; the words are here.

The provider's template directory (GOLIVE_FALLBACK_DIR) is handed in once at start-up by
whatever builds the app or the sender (``use_fallback_dir``); renderers only get the session
and the message."""

from datetime import date
from pathlib import Path

from sqlmodel import Session

from bot.escape import safe
from bot.ids import QuietIds
from bot.views.common import (
    Block,
    RenderedMessage,
    button,
    input_block,
    modal,
    section,
    text_input,
)
from bot.views.fallback import render_fallback
from store.records import issues, people, verification
from store.records.continuity import FALLBACK_NOTICE, RECONCILE, RECONCILE_NOTICE
from store.records.models import OutboxMessage
from store.records.outbox import payload_of
from store.records.waves import ServiceComparison

_provider_dir: list[Path | None] = [None]


def use_fallback_dir(directory: str | Path | None) -> None:
    """Where the provider keeps its own fallback procedures (None: golive's own)."""
    _provider_dir[0] = Path(directory) if directory else None


def render_fallback_notice(session: Session, message: OutboxMessage) -> RenderedMessage:
    issue = issues.get_issue(session, message.subject or "")
    service = people.service_by_id(session, service_id=issue.service_id)
    category = str(payload_of(message).get("category") or issue.category)
    rendered = render_fallback(
        category,
        provider_dir=_provider_dir[0],
        ref=issue.ref,
        service=service.name if service else "",
        label=issue.category.label,
    )
    return RenderedMessage(rendered.text, rendered.blocks)


def render_reconcile(session: Session, message: OutboxMessage) -> RenderedMessage:
    """The owner of the control that brings the paper records back: which, and by when."""
    facts = payload_of(message)
    due = date.fromisoformat(facts["due"]).strftime("%a %d %b") if facts.get("due") else "soon"
    text = (
        f":memo: *{message.subject}* is resolved. You own {facts['control']}: "
        f"{RECONCILE.lower()} during the outage, by {due}."
    )
    return RenderedMessage(text, [section(text)])


def render_verification_request(session: Session, message: OutboxMessage) -> RenderedMessage:
    """A verifier is asked to check the item in practice, and told how to say they did."""
    ref = message.subject
    closing = payload_of(message).get("item") == verification.ISSUE
    text = (
        f":mag: *{ref}* needs a second person to verify it before "
        f"{'closing' if closing else 'completing'} it counts. "
        f"Check it in practice, then `/golive verify {ref} what you checked`."
    )
    return RenderedMessage(text, [section(text)])


RENDERERS = {
    FALLBACK_NOTICE: render_fallback_notice,
    RECONCILE_NOTICE: render_reconcile,
    verification.REQUEST_NOTICE: render_verification_request,
}


def comparison_lines(rows: list[ServiceComparison], *, limit: int = 30) -> list[str]:
    """Services side by side, one line each, for ``/golive status`` and ``/golive waves``."""
    lines = []
    for row in rows[:limit]:
        wave = f"*Wave {row.wave}* " if row.wave else ""
        parts = [f"• {wave}*{safe(row.service, 100)}* · {row.status}"]
        if row.golive_date is not None:
            when = row.golive_date.strftime("%a %d %b")
            parts.append(
                f"live {when} (day {row.days_live})" if row.days_live else f"goes live {when}"
            )
        if row.days_live:
            parts.append(f"{row.issues_since_golive} issues, {row.per_day}/day")
        parts.append(f"{row.open_urgent} urgent open")
        if row.theme:
            parts.append(f"theme: {safe(row.theme, 80)}")
        lines.append(" · ".join(parts))
    if len(rows) > limit:
        lines.append(f"…and {len(rows) - limit} more")
    return lines


def quiet_home_block(current: str | None) -> Block:
    """The Home tab's line about quiet hours, with the button that changes them."""
    text = (
        f":crescent_moon: *Quiet hours* {current}: reminders wait until they end; alerts "
        "about safe care still come at once."
        if current
        else ":crescent_moon: *Quiet hours* off. Working nights? Hold reminders while you sleep."
    )
    return section(text, accessory=button("Set quiet hours", QuietIds.OPEN, "home"))


def quiet_modal(current: str | None) -> Block:
    return modal(
        QuietIds.VIEW,
        "Quiet hours",
        [
            input_block(
                QuietIds.HOURS,
                "When should reminders wait?",
                text_input(initial=current, placeholder="22:00-07:00", max_length=20),
                hint="Start-end in 24-hour time, like 22:00-07:00; or off.",
            )
        ],
    )
