"""Triage from the Teams triage card: each action (a Universal Action, ``adaptiveCard/action``)
calls the same store function as Slack's modal, which checks the person's role; the answer is
the card as it is now, shown in place to the person who clicked, and the store's update of
the triage message (an outbox row) refreshes it for everyone else."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from store.infra.errors import DomainError, ValidationError
from store.records import inbound, issues, people
from store.records.enums import Urgency
from store.records.fields import FieldReader, FormErrors
from store.records.models import Person
from teams import cards
from teams.face import Action, Face, sender_of
from teams.issue_cards import Verb, owner_choices, triage_card

Json = dict[str, Any]
Change = Callable[[Session, Person, FieldReader, str, datetime], Any]


def _person_chosen(session: Session, form: FieldReader, field: str, *, label: str) -> Person:
    chosen = form.integer(field, label=label)
    person = people.person_by_id(session, person_id=chosen) if chosen is not None else None
    if person is None:
        raise ValidationError(f"Choose {label.lower()} from the list", field=field)
    return person


def _assign(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    owner = _person_chosen(session, form, "owner", label="The owner")
    return issues.assign_owner(session, actor=actor, ref=ref, owner=owner, now=now)


def _urgency(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    urgency = form.choice("urgency", Urgency, label="The urgency")
    form.check()
    assert urgency is not None
    return issues.set_urgency(session, actor=actor, ref=ref, urgency=urgency, now=now)


def _control(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    owner = (
        _person_chosen(session, form, "control_owner", label="The control's owner")
        if form.values.get("control_owner")
        else None
    )
    due = form.day("control_due", label="The review date")
    form.check()
    return issues.add_immediate_control(
        session,
        actor=actor,
        ref=ref,
        description=str(form.values.get("control") or ""),
        owner=owner,
        due_date=due,
        now=now,
    )


def _correction(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    due = form.day("correction_due", label="The target date")
    form.check()
    return issues.set_correction(
        session,
        actor=actor,
        ref=ref,
        action=str(form.values.get("correction_action") or ""),
        due=due,
        now=now,
    )


def _supplier(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    note = form.text("note", label="The note")
    return issues.mark_awaiting_supplier(session, actor=actor, ref=ref, note=note, now=now)


def _resolve(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    return issues.resolve(session, actor=actor, ref=ref, now=now)


def _close(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    evidence = str(form.values.get("closure_evidence") or "")
    return issues.close(session, actor=actor, ref=ref, evidence=evidence, now=now)


def _reopen(session: Session, actor: Person, form: FieldReader, ref: str, now: datetime) -> Any:
    reason = str(form.values.get("reason") or "")
    return issues.reopen(session, actor=actor, ref=ref, reason=reason, now=now)


CHANGES: dict[str, Change] = {
    Verb.ASSIGN: _assign,
    Verb.URGENCY: _urgency,
    Verb.CONTROL: _control,
    Verb.CORRECTION: _correction,
    Verb.SUPPLIER: _supplier,
    Verb.RESOLVE: _resolve,
    Verb.CLOSE: _close,
    Verb.REOPEN: _reopen,
}


def act(face: Face, activity: Json) -> Json:
    """Make the change the clicked action asks for and answer with the card as it is now;
    a refusal (a role, a rule, a missing answer) is shown on top of the card, and nothing
    is changed."""
    action = (activity.get("value") or {}).get("action") or {}
    data: Json = action["data"] if isinstance(action.get("data"), dict) else {}
    ref = str(data.get("ref") or "")
    change = CHANGES.get(str(action.get("verb") or ""))
    if change is None or not ref:
        return cards.refreshed(cards.card([cards.words("golive does not know that action.")]))
    form = FieldReader(data)
    now = face.clock.now()
    problem: str | None = None
    key = f"teams:action:{str(activity.get('id') or '')[:150]}"

    def once(session: Session) -> None:
        """The change, unless this very activity was taken in before (Teams resends an
        invoke it got no answer to in time): then the card is only shown again."""
        actor = sender_of(session, activity, face=face)
        if activity.get("id") and not inbound.claim(session, key=key, now=now):
            return
        change(session, actor, form, ref, now)

    try:
        face.run(once)
    except DomainError as error:
        problem = str(error)
    except FormErrors as errors:
        problem = " ".join(errors.errors.values())
    try:
        card = face.read(
            lambda session: triage_card(
                issues.issue_view(session, ref), owner_choices(session), problem=problem
            )
        )
    except DomainError as error:
        card = cards.card([cards.words(str(error), attention=True)])
    return cards.refreshed(card)


ACTIONS: dict[str, Action] = {verb: act for verb in CHANGES}
