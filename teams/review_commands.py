"""The post-implementation review in Teams: ``review``, ``verdict R-003``, ``transfer R-003``,
``leadership-action``, ``audits``, ``audit FA-3`` and ``close-project`` typed to the bot, as
Slack's ``/golive`` commands.

Each command runs the same checks as Slack's before its modal opens (the store's roles, an
open review, the record named) and answers with a card whose button opens the dialog; opening
the dialog checks again, and submitting it reads the answers with the store's readers
(store/records/review_forms.py) and makes the same store call as Slack's modal, which checks
the role once more. A refusal is the store's, in its words.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session

from store.infra.errors import DomainError, ValidationError
from store.records import inbound, people, review
from store.records.fields import FieldReader, FormErrors, FormResult, Invalid
from store.records.models import Effectiveness, Person, PostImplementationReview, Risk
from store.records.permissions import Action as Permission
from store.records.permissions import require
from store.records.review import Blocker
from store.records.review_forms import (
    OWNER_LABEL,
    ReviewField,
    read_action,
    read_audits,
    read_closing_note,
    read_findings,
    read_result,
    read_transfer,
    read_verdict,
)
from store.records.risks import controls_of, get_risk, require_reader
from teams import cards
from teams.face import Action, Command, Dialog, Face, sender_of
from teams.issue_cards import owner_choices
from teams.review_cards import (
    TITLES,
    Dialogs,
    Errors,
    Verbs,
    action_form,
    audits_form,
    button,
    close_check_card,
    close_form,
    prompt,
    result_form,
    risk_line,
    start_form,
    status_card,
    transfer_form,
    verdict_form,
)

Json = dict[str, Any]
Work = Callable[[Session, Person, FieldReader, Json, datetime], str]
Redraw = Callable[[Session, Json, Errors, datetime], Json]
Build = Callable[[Session, Person, Json, datetime], Json]
"""A dialog's form, built after the store has said the person may use it."""
T = TypeVar("T")


def _data(activity: Json) -> Json:
    value = activity.get("value") or {}
    data = value.get("data") if isinstance(value, dict) else None
    return data if isinstance(data, dict) else {}


def _ref(data: Json) -> str:
    return str(data.get("ref") or "").strip()


def _first(rest: str) -> str:
    """The reference typed after a command's word, as Slack takes the word after it."""
    words = rest.split()
    return words[0] if words else ""


def _owners(session: Session) -> list[tuple[str, str]]:
    return [(str(person_id), name) for person_id, name in owner_choices(session)]


def _owner(session: Session, form: FieldReader) -> Person | None:
    """The person picked from the dialog's list of golive's people, or ``None`` with the same
    error beside the field as Slack's people picker gives."""
    chosen = form.integer(ReviewField.OWNER, label=OWNER_LABEL)
    if chosen is None:
        return None
    person = people.person_by_id(session, person_id=chosen)
    if person is None:
        form.errors[ReviewField.OWNER] = f"Choose {OWNER_LABEL.lower()} from the list"
    return person


def _parsed(result: FormResult[T]) -> T:
    """The form's values, or its errors raised to be shown beside the inputs."""
    if isinstance(result, Invalid):
        raise FormErrors(result.errors)
    return result.value


def _refusal(name: str, words: str) -> Json:
    return cards.dialog(TITLES[name], cards.card([cards.words(words, attention=True)]))


def _opened(face: Face, activity: Json, name: str, build: Build) -> Json:
    """A dialog opened after the store has said the person may use it; else why not."""
    data, now = _data(activity), face.clock.now()
    try:
        card = face.run(
            lambda session: build(session, sender_of(session, activity, face=face), data, now)
        )
    except DomainError as error:
        return _refusal(name, str(error))
    return cards.dialog(TITLES[name], card)


def _submitted(face: Face, activity: Json, name: str, work: Work, redraw: Redraw) -> Json:
    """Record a dialog's answers in one transaction, or send the dialog back with each error
    beside its field; a submit Teams sends again is taken in once."""
    data = _data(activity)
    form = FieldReader(data)
    now = face.clock.now()
    key = f"teams:dialog:{str(activity.get('id') or '')[:150]}"

    def once(session: Session) -> str:
        actor = sender_of(session, activity, face=face)
        if activity.get("id") and not inbound.claim(session, key=key, now=now):
            return "golive already has this; nothing more was recorded."
        return work(session, actor, form, data, now)

    try:
        done = face.run(once)
    except FormErrors as problems:
        errors = problems.errors
    except ValidationError as error:
        if error.field not in {str(field) for field in ReviewField} | set(review.FINDING_LABELS):
            return _refusal(name, str(error))
        errors = {str(error.field): str(error)}
    except DomainError as error:
        return _refusal(name, str(error))
    else:
        return cards.dialog_done(done)
    return cards.dialog(TITLES[name], face.read(lambda session: redraw(session, data, errors, now)))


# review


def _status(session: Session, person: Person) -> Json:
    current = review.current_review(session)
    if current is None:
        raise review.NotStarted()
    require_reader(session, actor=person)
    return status_card(
        current,
        pre=review.pre_implementation_risks(session),
        given={k: v.verdict for k, v in review.verdicts(session, current).items()},
        audits=review.audits(session, current),
        actions_done=len(review.leadership_actions(session, current)),
        blockers=review.closing_blockers(session),
    )


def review_command(face: Face, activity: Json, rest: str) -> Json:
    """The start button for the quality lead when no review exists; else the review's status."""

    def read(session: Session) -> Json:
        person = sender_of(session, activity, face=face)
        current = review.current_review(session)
        if current is None:
            require(session, person, Permission.START_REVIEW)
            return prompt(
                "Start the post-implementation review",
                [cards.words("No post-implementation review has been started yet.")],
                [button(Dialogs.START)],
            )
        return cards.message(f"Post-implementation review {current.ref}", _status(session, person))

    return face.run(read)


def refresh_status(face: Face, activity: Json) -> Json:
    return cards.refreshed(
        face.run(lambda session: _status(session, sender_of(session, activity, face=face)))
    )


def _start_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    findings = _parsed(read_findings(form))
    ref = review.start_review(session, actor=actor, findings=findings, now=now).ref
    return (
        f"The post-implementation review {ref} has started. Registered managers are being "
        "asked whether each pre-implementation risk's controls worked; see progress with review."
    )


# verdict R-003


def _may_verdict(
    session: Session, person: Person, ref: str
) -> tuple[PostImplementationReview, Risk]:
    current = review.open_review(session)
    risk = get_risk(session, ref)
    require(session, person, Permission.RECORD_VERDICT, service_id=risk.service_id)
    return current, risk


def _verdict_form(session: Session, person: Person, ref: str, chosen: str) -> Json:
    current, risk = _may_verdict(session, person, ref)
    existing = review.verdicts(session, current).get(risk.id or 0)
    return verdict_form(
        risk,
        controls=controls_of(session, risk),
        chosen=chosen or (existing.verdict.value if existing else ""),
        evidence=existing.evidence if existing else "",
        errors={},
    )


def verdict_command(face: Face, activity: Json, rest: str) -> Json:
    ref = _first(rest)
    if not ref:
        return cards.message("Say which risk, like verdict R-003.")

    def read(session: Session) -> Json:
        _, risk = _may_verdict(session, sender_of(session, activity, face=face), ref)
        return prompt(
            f"Did the original controls of {risk.ref} work?",
            [
                cards.words("**Were the original controls effective?**"),
                cards.typed(risk_line(risk)),
            ],
            [
                button(Dialogs.VERDICT, kind.label, ref=risk.ref, verdict=kind.value)
                for kind in Effectiveness
            ],
        )

    return face.run(read)


def _verdict_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    given = _parsed(read_verdict(form))
    ref = _ref(data)
    review.record_verdict(
        session, actor=actor, ref=ref, verdict=given.verdict, evidence=given.evidence, now=now
    )
    return f"{ref}: {given.verdict.label.lower()}. Thank you."


def _verdict_redraw(session: Session, data: Json, errors: Errors, now: datetime) -> Json:
    risk = get_risk(session, _ref(data))
    return verdict_form(
        risk,
        controls=controls_of(session, risk),
        chosen=str(data.get(ReviewField.VERDICT) or ""),
        evidence=str(data.get(ReviewField.EVIDENCE) or ""),
        errors=errors,
    )


# transfer R-003


def _may_transfer(session: Session, person: Person, ref: str) -> Risk:
    review.open_review(session)
    risk = get_risk(session, ref)
    require(session, person, Permission.TRANSFER_RISK, service_id=risk.service_id)
    return risk


def transfer_command(face: Face, activity: Json, rest: str) -> Json:
    ref = _first(rest)
    if not ref:
        return cards.message("Say which risk, like transfer R-003.")

    def read(session: Session) -> Json:
        risk = _may_transfer(session, sender_of(session, activity, face=face), ref)
        return prompt(
            f"Transfer {risk.ref} to business as usual",
            [cards.typed(risk_line(risk))],
            [button(Dialogs.TRANSFER, ref=risk.ref)],
        )

    return face.run(read)


def _transfer_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    owner = _owner(session, form)
    transfer = _parsed(read_transfer(form, owner=owner))
    ref = _ref(data)
    new = review.transfer_to_bau(
        session,
        actor=actor,
        ref=ref,
        owner=transfer.owner,
        review_date=transfer.review_date,
        note=transfer.note,
        now=now,
    )
    return (
        f"{ref} is now {new.ref} on the business-as-usual register, owned by "
        f"{transfer.owner.name}, next review {transfer.review_date:%d %b %Y}."
    )


# leadership-action, audits, audit FA-3


def _may(session: Session, person: Person, permission: Permission) -> None:
    review.open_review(session)
    require(session, person, permission)


def simple_command(
    name: str, permission: Permission, text: str
) -> Callable[[Face, Json, str], Json]:
    def command(face: Face, activity: Json, rest: str) -> Json:
        face.run(lambda session: _may(session, sender_of(session, activity, face=face), permission))
        return prompt(text, [cards.words(text)], [button(name)])

    return command


def _action_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    owner = _owner(session, form)
    action = _parsed(read_action(form, owner=owner))
    ref = review.record_leadership_action(
        session,
        actor=actor,
        description=action.description,
        owner=action.owner,
        due_date=action.due_date,
        now=now,
    ).ref
    return f"Leadership action {ref} is recorded, owned by {action.owner.name}."


def _audits_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    plan = _parsed(read_audits(form))
    scheduled = review.schedule_audits(
        session,
        actor=actor,
        topic=plan.topic,
        first_due=plan.first_due,
        months=plan.months,
        now=now,
    )
    lines = [f"• {a.ref} due {a.due_date:%d %b %Y}" for a in scheduled]
    return "Follow-up audits scheduled:\n" + "\n".join(lines)


def audit_command(face: Face, activity: Json, rest: str) -> Json:
    ref = _first(rest)
    if not ref:
        return cards.message("Say which audit, like audit FA-3.")

    def read(session: Session) -> Json:
        _may(session, sender_of(session, activity, face=face), Permission.FOLLOW_UP_AUDIT)
        item = review.get_audit(session, ref)
        return prompt(
            f"Record the result of {item.ref}",
            [cards.typed(f"{item.ref} {item.topic[:200]}")],
            [button(Dialogs.RESULT, ref=item.ref)],
        )

    return face.run(read)


def _result_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    result = _parsed(read_result(form))
    item = review.record_audit_result(session, actor=actor, ref=_ref(data), result=result, now=now)
    trend = "falling" if item.risks_reducing else "not falling"
    return (
        f"{item.ref} result recorded. Residual risk now totals {item.residual_score} "
        f"({item.high_risks} high or extreme): {trend}."
    )


# close-project


def _blockers(session: Session, person: Person) -> list[Blocker]:
    """The closing guard, run as Slack's: the project lead only, once, with every reason it
    cannot close yet."""
    require(session, person, Permission.CLOSE_PROJECT)
    current = review.current_review(session)
    if current is not None and current.closed_at is not None:
        raise DomainError(f"The implementation was already closed on {current.closed_at:%d %b %Y}.")
    return review.closing_blockers(session)


def _close_check(face: Face, activity: Json) -> Json:
    return face.run(
        lambda session: close_check_card(
            _blockers(session, sender_of(session, activity, face=face))
        )
    )


def close_command(face: Face, activity: Json, rest: str) -> Json:
    return cards.message("Close the project", _close_check(face, activity))


def check_again(face: Face, activity: Json) -> Json:
    return cards.refreshed(_close_check(face, activity))


def _close_work(
    session: Session, actor: Person, form: FieldReader, data: Json, now: datetime
) -> str:
    review.close_project(session, actor=actor, note=read_closing_note(form), now=now)
    return (
        "The implementation is closed and the board channel is told. Remaining risks live on "
        "in the business-as-usual register."
    )


def _dialog(name: str, build: Build, work: Work, redraw: Redraw) -> Dialog:
    return Dialog(
        lambda face, activity: _opened(face, activity, name, build),
        lambda face, activity: _submitted(face, activity, name, work, redraw),
    )


def _start_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    require(session, person, Permission.START_REVIEW)
    return start_form({}, {})


def _verdict_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    return _verdict_form(session, person, _ref(data), str(data.get(ReviewField.VERDICT) or ""))


def _transfer_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    """The transfer form, its owner the risk's owner until someone else is picked."""
    risk = _may_transfer(session, person, _ref(data))
    owner: Json = {ReviewField.OWNER: str(risk.owner_id)} if risk.owner_id else {}
    return transfer_form(risk, owners=_owners(session), answers=owner, today=now.date(), errors={})


def _transfer_redraw(session: Session, data: Json, errors: Errors, now: datetime) -> Json:
    risk = get_risk(session, _ref(data))
    return transfer_form(
        risk, owners=_owners(session), answers=data, today=now.date(), errors=errors
    )


def _action_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    _may(session, person, Permission.LEADERSHIP_ACTION)
    return action_form(_owners(session), {}, {})


def _first_due(now: datetime) -> date:
    return now.date() + timedelta(days=30)


def _audits_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    _may(session, person, Permission.FOLLOW_UP_AUDIT)
    return audits_form(first_due=_first_due(now), answers={}, errors={})


def _result_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    _may(session, person, Permission.FOLLOW_UP_AUDIT)
    return result_form(review.get_audit(session, _ref(data)), {}, {})


def _close_dialog(session: Session, person: Person, data: Json, now: datetime) -> Json:
    blockers = _blockers(session, person)
    if blockers:
        raise review.ClosingBlocked(blockers)
    return close_form({}, {})


COMMANDS = {
    "review": Command(
        review_command, "review", "start the post-implementation review, or see where it stands"
    ),
    "verdict": Command(
        verdict_command, "verdict R-003", "say whether a pre-implementation risk's controls worked"
    ),
    "transfer": Command(
        transfer_command,
        "transfer R-003",
        "move an unresolved risk to the business-as-usual register",
    ),
    "leadership-action": Command(
        simple_command(Dialogs.ACTION, Permission.LEADERSHIP_ACTION, "Record a leadership action"),
        "leadership-action",
        "record an action the leadership team agreed, with its owner",
    ),
    "audits": Command(
        simple_command(Dialogs.AUDITS, Permission.FOLLOW_UP_AUDIT, "Schedule follow-up audits"),
        "audits",
        "schedule monthly follow-up audits",
    ),
    "audit": Command(audit_command, "audit FA-3", "record a follow-up audit's result"),
    "close-project": Command(
        close_command,
        "close-project",
        "close the implementation, once nothing is left unowned or open",
    ),
}
DIALOGS = {
    Dialogs.START: _dialog(
        Dialogs.START,
        _start_dialog,
        _start_work,
        lambda session, data, errors, now: start_form(data, errors),
    ),
    Dialogs.VERDICT: _dialog(Dialogs.VERDICT, _verdict_dialog, _verdict_work, _verdict_redraw),
    Dialogs.TRANSFER: _dialog(Dialogs.TRANSFER, _transfer_dialog, _transfer_work, _transfer_redraw),
    Dialogs.ACTION: _dialog(
        Dialogs.ACTION,
        _action_dialog,
        _action_work,
        lambda session, data, errors, now: action_form(_owners(session), data, errors),
    ),
    Dialogs.AUDITS: _dialog(
        Dialogs.AUDITS,
        _audits_dialog,
        _audits_work,
        lambda session, data, errors, now: audits_form(
            first_due=_first_due(now), answers=data, errors=errors
        ),
    ),
    Dialogs.RESULT: _dialog(
        Dialogs.RESULT,
        _result_dialog,
        _result_work,
        lambda session, data, errors, now: result_form(
            review.get_audit(session, _ref(data)), data, errors
        ),
    ),
    Dialogs.CLOSE: _dialog(
        Dialogs.CLOSE,
        _close_dialog,
        _close_work,
        lambda session, data, errors, now: close_form(data, errors),
    ),
}
ACTIONS: dict[str, Action] = {Verbs.STATUS: refresh_status, Verbs.CLOSE_CHECK: check_again}
