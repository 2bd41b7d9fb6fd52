"""A risk as Teams shows it: its score and band, owner, review date and controls, read from
the records as they are now. The same card is the risk's notice (``risk_post``) and what a
digest's or an escalation's button shows in place."""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from store.records import people, risks
from store.records.models import OutboxMessage, Risk
from store.records.outbox import Notice, payload_of
from teams import cards
from teams.wording import Json, clip, day, hidden, line, title

CONTROLS_SHOWN = 10


def risk_blocks(session: Session, risk: Risk, *, today: date | None = None) -> list[Json]:
    """The risk now; its review is called overdue when ``today`` (the reader's clock) says."""
    rated = risks.band(risk)
    score = f"{risk.score} ({rated.label.lower()})" if rated is not None else "not yet scored"
    owner = people.person_by_id(session, person_id=risk.owner_id) if risk.owner_id else None
    review = day(risk.review_date) if risk.review_date else "no date"
    overdue = today is not None and bool(risk.is_review_overdue(today))
    body: list[Json] = [
        line(("bold", risk.ref), f" {risk.title}"),
        cards.facts(
            [
                ("Score", score),
                ("Status", risk.status.label),
                ("Category", risk.category.label),
                ("Owner", owner.name if owner else "no owner"),
                ("Review", review + (" (overdue)" if overdue else "")),
            ]
        ),
    ]
    if risk.description:
        body.append(cards.typed(clip(risk.description, 1000)))
    if risk.escalation_route:
        body.append(cards.typed(risk.escalation_route, label="Escalation"))
    controls = risks.controls_of(session, risk)
    named = people.by_ids(session, ids={c.owner_id for c in controls if c.owner_id})
    lines = []
    for control in controls[:CONTROLS_SHOWN]:
        who = named.get(control.owner_id) if control.owner_id else None
        due = f", due {day(control.due_date)}" if control.due_date else ""
        lines.append(
            line(
                ("bold", control.ref),
                f" {clip(control.description, 160)}: {control.status.label.lower()}{due}"
                f" · {who.name if who else 'no owner'}",
            )
        )
    body.append(title(f"Controls ({len(controls)})"))
    body += lines or [line(("warn", "No controls recorded"))]
    body += hidden(len(controls), len(lines))
    return body


def render_risk_post(session: Session, message: OutboxMessage) -> Json:
    risk = risks.get_risk(session, message.subject or "")
    return cards.message(
        f"{risk.ref}: {clip(risk.title, 200)}", cards.card(risk_blocks(session, risk))
    )


def render_risk_change(session: Session, message: OutboxMessage) -> Json:
    data = payload_of(message)
    said = f"{data.get('actor', 'Someone')} {data.get('summary', 'changed it')}"
    ref = message.subject or ""
    return cards.message(f"{ref}: {said}", cards.card([line(("bold", ref), f" {said}")]))


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Json]] = {
    Notice.RISK_POST: render_risk_post,
    Notice.RISK_CHANGE: render_risk_change,
}
