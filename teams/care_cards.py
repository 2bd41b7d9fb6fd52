"""The care safeguards' notices, the checkpoint ask and the review's notices in Teams, read
from the records as they are now, as Slack's renderers do (bot/views/care.py, checkpoints.py,
review.py): the fallback procedure in an outage issue's thread, the paper records' reconcile
control told to its owner, the ask to verify an item, the checkpoint's ask to each control
owner, the review's ask for verdicts and the news that the implementation is closed; and a
legacy digest that arrived already written, shown as its plain text."""

from collections.abc import Callable

from sqlmodel import Session

from store.infra.errors import NotFound
from store.records import checkpoints, controls, issues, people, review, risks, verification
from store.records.continuity import FALLBACK_NOTICE, RECONCILE, RECONCILE_NOTICE
from store.records.models import OutboxMessage, Risk
from store.records.outbox import Notice, payload_of
from store.records.review import ReviewNotice
from teams import cards
from teams.wording import Json, clip, day, hidden, line, when

LISTED = 15


def render_fallback(session: Session, message: OutboxMessage) -> Json:
    issue = issues.get_issue(session, message.subject or "")
    service = people.service_by_id(session, service_id=issue.service_id)
    where = f"{issue.ref}, {service.name}" if service else issue.ref
    text = f"Fallback procedure for {issue.ref}: record on paper until the system is back"
    body = [
        cards.heading(f"Fallback procedure: {issue.category.label.lower()}"),
        line(f"({where})"),
        cards.words(
            "- Switch to the paper records in the contingency folder for anything that cannot "
            "be recorded.\n"
            "- Medication: paper MAR charts, two staff signing each dose.\n"
            "- Tell the senior on shift and keep every paper record together in the office.\n"
            "- When the system is back, the paper records are back-entered and reconciled; "
            "golive adds that control when this issue is resolved."
        ),
        cards.words("Follow your own business continuity plan where it says more.", subtle=True),
    ]
    return cards.message(text, cards.card(body))


def render_reconcile(session: Session, message: OutboxMessage) -> Json:
    facts = payload_of(message)
    due = day(facts["due"]) if facts.get("due") else "soon"
    text = (
        f"{message.subject} is resolved. You own {facts['control']}: {RECONCILE.lower()} "
        f"during the outage, by {due}."
    )
    return cards.message(text, cards.card([cards.words(text)]))


def render_verification_request(session: Session, message: OutboxMessage) -> Json:
    ref = message.subject or ""
    closing = payload_of(message).get("item") == verification.ISSUE
    text = (
        f"{ref} needs a second person to verify it before "
        f"{'closing' if closing else 'completing'} it counts."
    )
    body = [
        cards.heading(text),
        cards.words(f"Check it in practice, then type here: **verify {ref} what you checked**"),
    ]
    return cards.message(text, cards.card(body))


def render_checkpoint_request(session: Session, message: OutboxMessage) -> Json:
    checkpoint = checkpoints.get_checkpoint(session, message.subject or "")
    owner = people.get_person(session, message.user or "")
    owned = checkpoints.controls_for(session, checkpoint=checkpoint, person=owner)
    text = f"Checkpoint: {checkpoint.name}. Where does each of your controls stand?"
    body: list[Json] = [
        line(("bold", f"Checkpoint: {checkpoint.name}")),
        cards.words(
            "Where does each of your controls stand? Mark each one complete, delayed (with a "
            "new date) or ineffective: type **control C-12 complete**, for example."
        ),
    ]
    for control in owned[:LISTED]:
        risk = controls.risk_of(session, control)
        due = f", due {day(control.due_date)}" if control.due_date else ""
        on = f" (on {risk.ref})" if risk else ""
        body.append(
            line(
                ("bold", control.ref),
                f"{on} {clip(control.description, 160)}: {control.status.label.lower()}{due}",
            )
        )
    body += hidden(len(owned), min(len(owned), LISTED))
    if not owned:
        body.append(cards.words("You have no open controls now. Thank you.", subtle=True))
    return cards.message(text, cards.card(body))


def _risk_line(risk: Risk) -> Json:
    rated = risks.band(risk)
    score = f" · {rated.label} ({risk.score})" if rated is not None else ""
    return line(("bold", risk.ref), f" {clip(risk.title, 200)}{score}")


def render_verdict_request(session: Session, message: OutboxMessage) -> Json:
    asked = review.verdict_request(session, subject=message.subject or "")
    current, scope, listed, given = asked.review, asked.scope, asked.risks, asked.given
    text = f"Post-implementation review {current.ref}: did the controls work for {scope}?"
    body: list[Json] = [
        line(("bold", f"Post-implementation review {current.ref}: {scope}")),
        cards.words(
            "For each risk recorded before go-live, say whether its controls were effective, "
            "with the evidence from current records: type **verdict R-003**, for example."
        ),
    ]
    for risk in listed[:LISTED]:
        body.append(_risk_line(risk))
        verdict = given.get(risk.id or 0)
        if verdict is not None:
            body.append(cards.words(f"Your verdict: {verdict.label}", subtle=True))
    body += hidden(len(listed), min(len(listed), LISTED))
    if not listed:
        body.append(cards.words("There are no pre-implementation risks to review."))
    return cards.message(text, cards.card(body))


def render_project_closed(session: Session, message: OutboxMessage) -> Json:
    current = review.review_by_id(session, review_id=int(message.subject or 0))
    if current is None or current.closed_at is None:
        raise NotFound(f"There is no closed review {message.subject}")
    closer = people.person_by_id(session, person_id=current.closed_by_id)
    carried = risks.transferred_risks(session)
    text = "The implementation is closed"
    body: list[Json] = [
        cards.heading(text),
        cards.words(f"Closed {when(current.closed_at)}", subtle=True),
        line(f"By {closer.name if closer else 'golive'}"),
    ]
    if current.closure_note:
        body.append(cards.typed(current.closure_note, limit=1000))
    if carried:
        body.append(cards.words("**Carried into business as usual:**"))
        body += [_risk_line(risk) for risk in carried[:LISTED]]
        body += hidden(len(carried), min(len(carried), LISTED))
    return cards.message(text, cards.card(body))


def render_digest(session: Session, message: OutboxMessage) -> Json:
    """A message owed already written, before the scheduled posts carried facts: its plain
    text, shown as typed."""
    said = str(payload_of(message).get("text") or "") or "golive"
    return cards.message(clip(said, 1000), cards.card([cards.typed(said)]))


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Json]] = {
    FALLBACK_NOTICE: render_fallback,
    RECONCILE_NOTICE: render_reconcile,
    verification.REQUEST_NOTICE: render_verification_request,
    Notice.CHECKPOINT_REQUEST: render_checkpoint_request,
    ReviewNotice.VERDICT_REQUEST: render_verdict_request,
    ReviewNotice.PROJECT_CLOSED: render_project_closed,
    Notice.DIGEST: render_digest,
}
