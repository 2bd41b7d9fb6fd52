"""Block Kit for the board's decisions on a risk or an issue: the modal that records one, its
line under the risk, and the notice posted to the board."""

from collections.abc import Callable

from sqlmodel import Session

from bot.escape import plain, safe
from bot.ids import DecisionIds
from bot.views.common import (
    Block,
    RenderedMessage,
    context,
    datepicker,
    day,
    form_modal,
    input_block,
    mention,
    option,
    radio_buttons,
    section,
    text_input,
    users_select,
    when,
)
from store.infra.errors import NotFound
from store.records import decisions, people
from store.records.enums import DecisionKind
from store.records.models import Decision, OutboxMessage, Person, Risk
from store.records.outbox import Notice


def decision_modal(subject_ref: str, subject_title: str) -> Block:
    """Accept, add control, delay rollout, escalate to supplier or close, with who and when."""
    kinds = [option(k.value, k.label) for k in DecisionKind]
    blocks = [
        context(f"*{subject_ref}* {safe(subject_title, 500)}"),
        input_block(DecisionIds.KIND, "Decision", radio_buttons(kinds)),
        input_block(
            DecisionIds.SUMMARY,
            "What the board decided, and why",
            text_input(multiline=True, max_length=2000),
        ),
        input_block(DecisionIds.OWNER, "Owner of the follow-up", users_select(), optional=True),
        input_block(
            DecisionIds.ESCALATION_ROUTE,
            "Escalation route",
            text_input(max_length=300),
            optional=True,
        ),
        input_block(DecisionIds.FOLLOW_UP, "Follow up by", datepicker(), optional=True),
    ]
    return form_modal(
        DecisionIds.VIEW, "Board decision", blocks, submit="Record", metadata=subject_ref
    )


def decision_line(decision: Decision, people: dict[int, Person]) -> str:
    by = people.get(decision.decided_by_id) if decision.decided_by_id else None
    owner = people.get(decision.owner_id) if decision.owner_id else None
    parts = [f"*{decision.kind.label}* by {mention(by)} {when(decision.decided_at)}"]
    parts.append(safe(decision.summary, 1500))
    extra = []
    if owner is not None:
        extra.append(f"owner {mention(owner)}")
    if decision.escalation_route:
        extra.append(f"escalation: {safe(decision.escalation_route, 300)}")
    if decision.follow_up_date:
        extra.append(f"follow up {day(decision.follow_up_date)}")
    return ": ".join(parts) + (f" ({', '.join(extra)})" if extra else "")


def decision_message(
    decision: Decision, *, subject_ref: str, subject_title: str, people: dict[int, Person]
) -> tuple[str, list[Block]]:
    text = f"Board decision on {subject_ref}: {decision.kind.label}"
    blocks = [
        section(
            f":classical_building: *Board decision on {subject_ref}* {safe(subject_title, 300)}"
        ),
        section(decision_line(decision, people)),
    ]
    return text, blocks


# ---------------------------------------------------------------------- notices


def decision_subject(session: Session, decision: Decision) -> tuple[str, str]:
    """The reference and a title for what the board decided about (a risk or an issue)."""
    subject = decisions.subject_of(session, decision=decision)
    if isinstance(subject, Risk):
        return subject.ref, subject.title
    return subject.ref, f"{subject.category.label}: {plain(subject.description, 200)}"


def render_decision(session: Session, message: OutboxMessage) -> RenderedMessage:
    decision = decisions.decision_by_id(session, decision_id=int(message.subject or 0))
    if decision is None:
        raise NotFound(f"There is no decision {message.subject}")
    ref, title = decision_subject(session, decision)
    names = people.by_ids(session, ids={decision.decided_by_id, decision.owner_id})
    text, blocks = decision_message(decision, subject_ref=ref, subject_title=title, people=names)
    return RenderedMessage(text, blocks)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    Notice.DECISION_RECORDED: render_decision,
}
