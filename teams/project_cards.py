"""The project's notices in Teams: a phase change and a board decision in the board channel,
and a control's new owner told in their personal chat. Each reads the records as they are
now, as Slack's renderers do."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from store.infra.errors import NotFound
from store.records import controls, decisions, people, phases
from store.records.models import OutboxMessage, Risk
from store.records.outbox import Notice
from teams import cards
from teams.issue_cards import when

Json = dict[str, Any]


def render_phase(session: Session, message: OutboxMessage) -> Json:
    change = phases.change_by_id(session, change_id=int(message.subject or 0))
    if change is None:
        raise NotFound(f"There is no phase change {message.subject}")
    set_by = people.person_by_id(session, person_id=change.set_by_id)
    text = f"The go-live project is now in {change.phase.label.lower()}"
    who = set_by.name if set_by else "golive"
    body = [cards.heading(f"{text}."), cards.words(f"Set by {who} {when(change.set_at)}.")]
    if change.note:
        body.append(cards.typed(change.note))
    return cards.message(text, cards.card(body))


def render_decision(session: Session, message: OutboxMessage) -> Json:
    decision = decisions.decision_by_id(session, decision_id=int(message.subject or 0))
    if decision is None:
        raise NotFound(f"There is no decision {message.subject}")
    subject = decisions.subject_of(session, decision=decision)
    title = (
        subject.title
        if isinstance(subject, Risk)
        else f"{subject.category.label}: {subject.description[:200]}"
    )
    named = people.by_ids(session, ids={decision.decided_by_id, decision.owner_id})
    by = named.get(decision.decided_by_id) if decision.decided_by_id else None
    owner = named.get(decision.owner_id) if decision.owner_id else None
    text = f"Board decision on {subject.ref}: {decision.kind.label}"
    pairs = [("Decision", decision.kind.label), ("By", by.name if by else "the board")]
    if owner is not None:
        pairs.append(("Owner", owner.name))
    if decision.follow_up_date:
        pairs.append(("Follow up", f"{decision.follow_up_date:%a %d %b %Y}"))
    body = [
        cards.heading(f"Board decision on {subject.ref}"),
        cards.typed(title),
        cards.facts(pairs),
        cards.typed(decision.summary),
    ]
    if decision.escalation_route:
        body.append(cards.typed(decision.escalation_route, label="Escalation"))
    body.append(cards.words(when(decision.decided_at), subtle=True))
    return cards.message(text, cards.card(body))


def render_control_assigned(session: Session, message: OutboxMessage) -> Json:
    control = controls.get_control(session, message.subject or "")
    risk = controls.risk_of(session, control)
    text = f"You own control {control.ref}" + (f" on {risk.ref}" if risk else "")
    due = f"{control.due_date:%a %d %b %Y}" if control.due_date else "no date"
    body = [
        cards.heading(f"{text}."),
        cards.typed(control.description),
        cards.facts([("Status", control.status.label), ("Due", due)]),
    ]
    if risk is not None:
        body.append(cards.typed(risk.title, label=risk.ref))
    body.append(cards.words("golive will remind you here if it becomes overdue.", subtle=True))
    return cards.message(text, cards.card(body))


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Json]] = {
    Notice.PHASE_CHANGED: render_phase,
    Notice.DECISION_RECORDED: render_decision,
    Notice.CONTROL_ASSIGNED: render_control_assigned,
}
