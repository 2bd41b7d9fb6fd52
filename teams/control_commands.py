"""Controls on risks in Teams: ``controls`` (yours, each with Complete, Delayed… and
Ineffective…), ``control C-12 complete`` (``delayed 2026-12-10 "why"``, ``ineffective "what is
not working"``), ``control C-12`` (the control with its buttons) and ``control add R-003``.
Every update is the store's ``update_status``, as on Slack: the owner or a manager may make
it, delayed needs a date and a reason, and completing a control on a high or extreme risk
waits for a second person's verification."""

from typing import Any

from sqlmodel import Session

from store.infra.errors import DomainError, ValidationError
from store.records import checkpoints, controls, inbound, people, risks
from store.records.enums import ControlStatus
from store.records.fields import FieldReader
from store.records.models import Control, Person, Risk, Verification
from store.records.permissions import Action, require
from store.records.register_forms import (
    Assignment,
    NewControl,
    RegisterField,
    StatusUpdate,
    read_assignment,
    read_control_update,
    read_control_words,
    read_new_control,
)
from teams import cards, dialog_forms
from teams.dialog_forms import action_data, answers_of, data_of, person_picked, picked
from teams.face import Action as CardAction
from teams.face import Command, Dialog, Face, Json, sender_of
from teams.issue_cards import owner_choices
from teams.register_cards import (
    Name,
    Verb,
    control_words,
    controls_card,
    next_step_card,
)
from teams.register_dialogs import (
    control_add_dialog,
    control_assign_dialog,
    control_update_dialog,
)
from teams.risk_commands import command_words, prompt, said

F = RegisterField
USAGE = 'control C-12 complete | delayed 2026-12-10 "why" | ineffective "what is wrong"'
UPDATE_FIELDS: set[str] = {F.STATUS, F.DUE_DATE, F.NOTE}
ADD_FIELDS: set[str] = {F.DESCRIPTION, F.OWNER, F.DUE_DATE, F.PRIORITY}
WAITING = (
    "{ref} is on a high or extreme risk, so a registered manager or a quality lead (not its "
    "owner) must verify it before it counts as complete; they have been asked."
)


def record_update(
    session: Session,
    actor: Person,
    control: Control,
    change: StatusUpdate,
    *,
    face: Face,
) -> str:
    """The one store call behind every way of updating a control in Teams, counted towards
    the latest checkpoint as Slack's command and Home updates are; what it did, in words."""
    done = controls.update_status(
        session,
        actor=actor,
        control=control,
        status=change.status,
        note=change.note,
        now=face.clock.now(),
        new_due_date=change.new_due_date,
        checkpoint=checkpoints.latest_checkpoint(session),
    )
    if isinstance(done, Verification):
        return WAITING.format(ref=control.ref)
    return f"{control.ref} is now {change.status.label.lower()}."


def _mine(session: Session, owner: Person) -> list[tuple[Control, Risk | None]]:
    return [(c, controls.risk_of(session, c)) for c in controls.controls_owned_by(session, owner)]


def mine(face: Face, activity: Json, rest: str) -> Json:
    def build(session: Session) -> Json:
        owner = sender_of(session, activity, face=face)
        text, content = controls_card(_mine(session, owner), owner, today=face.clock.now().date())
        return cards.message(text, content)

    return face.run(build)


def control_card(control: Control, owner: Person | None, *, face: Face) -> Json:
    data = {"control": str(control.id)}
    actions = (
        [
            cards.execute("Complete", Verb.CONTROL_COMPLETE, {**data, "shown": "control"}),
            cards.dialog_button("Update status", {"golive": Name.CONTROL_UPDATE, **data}),
        ]
        if control.is_open
        else []
    )
    words = control_words(control, owner, today=face.clock.now().date())
    return cards.card([cards.typed(words)], actions)


def control_command(face: Face, activity: Json, rest: str) -> Json:
    """``control C-12 STATUS ...``, ``control C-12`` (its card) or ``control add R-003``."""
    args = command_words(rest)
    if not args:
        return said(f"Say which control and what happened: {USAGE}")
    if args[0].lower() == "add" and len(args) > 1:
        return add_prompt(face, activity, args[1])
    if len(args) == 1:

        def show(session: Session) -> Json:
            control = _updatable(session, sender_of(session, activity, face=face), args[0])
            owner = owner_of(session, control)
            return cards.message(control.ref, control_card(control, owner, face=face))

        return face.run(show)
    change = read_control_words(args[1:], usage=USAGE)
    status = change.status

    def work(session: Session) -> Json:
        actor = sender_of(session, activity, face=face)
        control = controls.get_control(session, args[0])
        text = record_update(session, actor, control, change, face=face)
        risk = controls.risk_of(session, control)
        if status == ControlStatus.INEFFECTIVE and risk is not None:
            text += f" Next: rescore {risk.ref} or add another control."
            return cards.message(text, next_step_card(control, risk, text))
        return said(text)

    return face.run(work)


def owner_of(session: Session, control: Control) -> Person | None:
    return people.person_by_id(session, person_id=control.owner_id)


def complete(face: Face, activity: Json) -> Json:
    """The Complete button: the change, then the person's controls as they are now (the
    words of a refusal on top, and nothing changed)."""
    data = action_data(activity)
    key = f"teams:action:{str(activity.get('id') or '')[:150]}"
    now = face.clock.now()
    change = StatusUpdate(ControlStatus.COMPLETE, None, None)

    def once(session: Session) -> str | None:
        actor = sender_of(session, activity, face=face)
        if activity.get("id") and not inbound.claim(session, key=key, now=now):
            return inbound.result_of(session, key=key)
        control = controls.get_control(session, str(data.get("control") or ""))
        words = record_update(session, actor, control, change, face=face)
        if activity.get("id"):
            inbound.remember_result(session, key=key, result=words)
        return words

    problem: str | None = None
    done: str | None = None
    try:
        done = face.run(once)
    except DomainError as error:
        problem = str(error)

    def shown(session: Session) -> Json:
        if data.get("shown") == "control":
            control = controls.get_control(session, str(data.get("control") or ""))
            card = control_card(control, owner_of(session, control), face=face)
            card["body"][:0] = [cards.words(problem or done or "", attention=bool(problem))]
            return card
        owner = sender_of(session, activity, face=face)
        _, content = controls_card(
            _mine(session, owner), owner, today=now.date(), problem=problem, done=done
        )
        return content

    return cards.refreshed(face.run(shown))


# ---------------------------------------------------------------------- dialogs


def _updatable(session: Session, actor: Person, control_id: str) -> Control:
    control = controls.get_control(session, control_id)
    require(
        session,
        actor,
        Action.UPDATE_CONTROL,
        service_id=controls.parent_service_id(session, control),
        owner_id=control.owner_id,
    )
    return control


def open_update(face: Face, activity: Json) -> Json:
    data = data_of(activity)
    preset: ControlStatus | None
    try:
        preset = ControlStatus(str(data.get("preset") or ""))
    except ValueError:
        preset = None

    def build(session: Session) -> Json:
        actor = sender_of(session, activity, face=face)
        control = _updatable(session, actor, str(data.get("control") or ""))
        return control_update_dialog(control, preset=preset)

    return dialog_forms.opened(face, "Update a control", build)


def submit_update(face: Face, activity: Json) -> Json:
    control_id = str(data_of(activity).get("control") or "")

    def again(session: Session, errors: dict[str, str]) -> Json:
        return control_update_dialog(
            controls.get_control(session, control_id),
            preset=None,
            errors=errors,
            answers=answers_of(activity, UPDATE_FIELDS),
        )

    def write(session: Session, actor: Person, change: StatusUpdate) -> str:
        control = controls.get_control(session, control_id)
        text = record_update(session, actor, control, change, face=face)
        risk = controls.risk_of(session, control)
        if change.status == ControlStatus.INEFFECTIVE and risk is not None:
            text += (
                f" Next: rescore it with score {risk.ref} or add another control with "
                f"control add {risk.ref}."
            )
        return text

    return dialog_forms.submit(
        face,
        activity,
        title="Update a control",
        fields=UPDATE_FIELDS,
        read=read_control_update,
        again=again,
        write=write,
    )


ASSIGN_FIELDS: set[str] = {F.OWNER, F.DUE_DATE}


def _assignable(session: Session, actor: Person, control_id: str) -> Control:
    control = controls.get_control(session, control_id)
    require(
        session,
        actor,
        Action.ADD_CONTROL,
        service_id=controls.parent_service_id(session, control),
    )
    return control


def open_assign(face: Face, activity: Json) -> Json:
    control_id = str(data_of(activity).get("control") or "")

    def build(session: Session) -> Json:
        control = _assignable(session, sender_of(session, activity, face=face), control_id)
        return control_assign_dialog(control, people=owner_choices(session))

    return dialog_forms.opened(face, "Assign a control", build)


def submit_assign(face: Face, activity: Json) -> Json:
    control_id = str(data_of(activity).get("control") or "")

    def again(session: Session, errors: dict[str, str]) -> Json:
        return control_assign_dialog(
            controls.get_control(session, control_id),
            people=owner_choices(session),
            errors=errors,
            answers=answers_of(activity, ASSIGN_FIELDS),
        )

    def read(form: FieldReader) -> Any:
        return read_assignment(
            form, owner=lambda: picked(form, F.OWNER, label="An owner", required=True)
        )

    def write(session: Session, actor: Person, assignment: Assignment[int]) -> str:
        control = controls.get_control(session, control_id)
        owner = person_picked(session, assignment.owner, field=F.OWNER)
        if owner is None:
            raise ValidationError("Choose an owner", field=F.OWNER)
        controls.assign_control(
            session,
            actor=actor,
            control=control,
            owner=owner,
            due_date=assignment.due_date,
            now=face.clock.now(),
        )
        controls.owe_assignment_notice(session, actor=actor, control=control, now=face.clock.now())
        return f"{control.ref} is now owned by {owner.name}."

    return dialog_forms.submit(
        face,
        activity,
        title="Assign a control",
        fields=ASSIGN_FIELDS,
        read=read,
        again=again,
        write=write,
    )


def _addable(session: Session, actor: Person, ref: str) -> Risk:
    risk = risks.get_risk(session, ref)
    require(session, actor, Action.ADD_CONTROL, service_id=risk.service_id)
    return risk


def add_prompt(face: Face, activity: Json, ref: str) -> Json:
    def allowed(session: Session) -> Json:
        risk = _addable(session, sender_of(session, activity, face=face), ref)
        return prompt(
            f"Control on {risk.ref}",
            f"{risk.ref} {risk.title}",
            "Add control",
            {"golive": Name.CONTROL_ADD, "ref": risk.ref},
        )

    return face.run(allowed)


def open_add(face: Face, activity: Json) -> Json:
    ref = str(data_of(activity).get("ref") or "")

    def build(session: Session) -> Json:
        risk = _addable(session, sender_of(session, activity, face=face), ref)
        return control_add_dialog(risk, people=owner_choices(session))

    return dialog_forms.opened(face, f"Control on {ref}", build)


def submit_add(face: Face, activity: Json) -> Json:
    ref = str(data_of(activity).get("ref") or "")

    def again(session: Session, errors: dict[str, str]) -> Json:
        return control_add_dialog(
            risks.get_risk(session, ref),
            people=owner_choices(session),
            errors=errors,
            answers=answers_of(activity, ADD_FIELDS),
        )

    def read(form: FieldReader) -> Any:
        return read_new_control(form, owner=lambda: picked(form, F.OWNER, label="An owner"))

    def write(session: Session, actor: Person, new: NewControl[int]) -> str:
        control = controls.add_control(
            session,
            actor=actor,
            risk=risks.get_risk(session, ref),
            description=new.description,
            owner=person_picked(session, new.owner, field=F.OWNER),
            due_date=new.due_date,
            priority=new.priority,
            now=face.clock.now(),
        )
        controls.owe_assignment_notice(session, actor=actor, control=control, now=face.clock.now())
        return f"{control.ref} is on {ref}."

    return dialog_forms.submit(
        face,
        activity,
        title=f"Control on {ref}",
        fields=ADD_FIELDS,
        read=read,
        again=again,
        write=write,
    )


COMMANDS = {
    "control": Command(control_command, USAGE, "update a control you own (or control add R-003)"),
    "controls": Command(mine, "controls", "your open controls, with buttons to update them"),
}
DIALOGS = {
    Name.CONTROL_UPDATE: Dialog(open_update, submit_update),
    Name.CONTROL_ADD: Dialog(open_add, submit_add),
    Name.CONTROL_ASSIGN: Dialog(open_assign, submit_assign),
}
ACTIONS: dict[str, CardAction] = {Verb.CONTROL_COMPLETE: complete}
