"""The risk register typed to golive in Teams, in the words of ``/golive help``: ``risk add``
and ``risk R-003``, ``risks`` with its filters, ``score R-003``, ``decision R-003`` (or
``GL-0042``) and ``checkpoint``. Each calls the store function Slack's listener calls, whose
roles and rules refuse in the store's words; forms open as dialogs from a button on the
answer, since Teams opens a dialog only from a button."""

import shlex
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from store.records import checkpoints, decisions, people, risks
from store.records.fields import FieldReader
from store.records.models import Issue, Person, Risk, ident
from store.records.permissions import Action, require
from store.records.register_forms import (
    DecisionForm,
    NewRiskForm,
    RegisterField,
    RiskEdit,
    Scoring,
    StatusChange,
    read_decision,
    read_filters,
    read_new_risk,
    read_risk_edit,
    read_score,
    read_status_change,
    record_scoring,
)
from store.records.risk_view import risk_view
from teams import cards, dialog_forms
from teams.dialog_forms import action_data, answers_of, data_of, person_picked, picked
from teams.face import Action as CardAction
from teams.face import Command, Dialog, Face, Json, sender_of
from teams.issue_cards import owner_choices
from teams.register_cards import (
    Name,
    RiskFacts,
    Verb,
    checkpoint_card,
    register_card,
    risk_card,
    score_words,
)
from teams.register_dialogs import (
    decision_dialog,
    risk_add_dialog,
    risk_edit_dialog,
    risk_status_dialog,
    score_dialog,
)

F = RegisterField
LIST_USAGE = "risks [service:oakwood] [category:training] [band:high] [status:closed] [overdue]"
CHECKPOINT_USAGE = 'checkpoint "Wave 2 training complete" | checkpoint report [number]'
RISK_FIELDS: set[str] = {
    F.TITLE,
    F.DESCRIPTION,
    F.CATEGORY,
    F.SCOPE,
    F.OWNER,
    F.ESCALATION_ROUTE,
    F.CONTROLS,
    F.REVIEW_DATE,
}
STATUS_FIELDS: set[str] = {F.STATUS, F.NOTE}
SCORE_FIELDS: set[str] = {
    F.LIKELIHOOD,
    F.IMPACT,
    F.REASON,
    F.REVIEW_DATE,
    F.TARGET_LIKELIHOOD,
    F.TARGET_IMPACT,
    F.PRIORITY,
}
DECISION_FIELDS: set[str] = {F.KIND, F.SUMMARY, F.OWNER, F.ESCALATION_ROUTE, F.FOLLOW_UP}


def said(text: str) -> Json:
    """A sentence, shown as written (it may carry a name someone typed)."""
    return cards.message(text, cards.card([cards.typed(text)]))


def prompt(text: str, about: str, button: str, data: Json) -> Json:
    """An answer whose button opens the dialog (Teams opens one only from a button)."""
    return cards.message(
        text, cards.card([cards.typed(about)], [cards.dialog_button(button, data)])
    )


def command_words(rest: str) -> list[str]:
    """What followed the command, split as Slack splits ``/golive`` text: quoted words stay
    together (Teams may send curly quotes, read as straight ones)."""
    text = rest.replace("“", '"').replace("”", '"')
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def ref_of(activity: Json) -> str:
    return str(data_of(activity).get("ref") or "")


# ---------------------------------------------------------------------- a risk


def risk_facts(session: Session, viewer: Person, ref: str, face: Face) -> RiskFacts:
    risks.require_reader(session, actor=viewer)
    return RiskFacts(risk_view(session, ref), today=face.clock.now().date())


def risk_command(face: Face, activity: Json, rest: str) -> Json:
    """``risk add`` (the dialog's button, for someone who may record a risk somewhere) or
    ``risk R-003`` (the risk with its buttons)."""
    words = rest.split()
    if not words:
        return said("Say which risk, like risk R-003, or risk add.")
    if words[0].lower() == "add":

        def allowed(session: Session) -> Json:
            actor = sender_of(session, activity, face=face)
            if not risks.recordable_scopes(session, actor=actor):
                require(session, actor, Action.RECORD_RISK)
            return prompt(
                "Record a risk",
                "Record a go-live risk: what could happen, to whom, and who owns it.",
                "Record a risk",
                {"golive": Name.RISK_ADD},
            )

        return face.run(allowed)

    def show(session: Session) -> Json:
        facts = risk_facts(session, sender_of(session, activity, face=face), words[0], face)
        return cards.message(f"{facts.view.risk.ref} {facts.view.risk.title}", risk_card(facts))

    return face.run(show)


def open_risk(face: Face, activity: Json) -> Json:
    """The register's Open button: the risk's card in place of the register."""
    data = action_data(activity)

    def show(session: Session) -> Json:
        viewer = sender_of(session, activity, face=face)
        return risk_card(risk_facts(session, viewer, str(data.get("ref") or ""), face))

    return cards.refreshed(face.run(show))


def register_command(face: Face, activity: Json, rest: str) -> Json:
    """``risks`` with ``service:`` ``category:`` ``band:`` ``status:`` and ``overdue``."""

    def build(session: Session) -> Json:
        risks.require_reader(session, actor=sender_of(session, activity, face=face))
        filters, described = read_filters(
            session, rest.split(), owner=None, today=face.clock.now().date(), usage=LIST_USAGE
        )
        found = risks.list_risks(session, filters=filters, limit=40)
        text, content = register_card(
            found,
            total=risks.count_risks(session, filters=filters),
            people=people.by_ids(session, ids={r.owner_id for r in found}),
            services={s.id: s for s in people.list_services(session) if s.id is not None},
            today=face.clock.now().date(),
            described=described,
        )
        return cards.message(text, content)

    return face.run(build)


def open_add(face: Face, activity: Json) -> Json:
    def build(session: Session) -> Json:
        return _add_card(session, sender_of(session, activity, face=face), {}, {})

    return dialog_forms.opened(face, "Record a risk", build)


def _add_card(
    session: Session, actor: Person, errors: dict[str, str], answers: dict[str, Any]
) -> Json:
    scopes = risks.recordable_scopes(session, actor=actor)
    if not scopes:
        require(session, actor, Action.RECORD_RISK)
    services = [s for s in people.list_services(session) if s.id in scopes]
    return risk_add_dialog(
        services=services,
        default_service_id=None if None in scopes else services[0].id,
        organisation=None in scopes,
        people=owner_choices(session),
        errors=errors,
        answers=answers,
    )


def submit_add(face: Face, activity: Json) -> Json:
    def again(session: Session, errors: dict[str, str]) -> Json:
        actor = sender_of(session, activity, face=face)
        return _add_card(session, actor, errors, answers_of(activity, RISK_FIELDS))

    def read(form: FieldReader) -> Any:
        return read_new_risk(form, owner=lambda: picked(form, F.OWNER, label="An owner"))

    def write(session: Session, actor: Person, typed: NewRiskForm[int]) -> str:
        owner = person_picked(session, typed.owner, field=F.OWNER)
        chosen = replace(typed.risk, owner_id=owner.id if owner else None)
        ref = risks.create_risk(session, actor=actor, data=chosen, now=face.clock.now()).ref
        return f"{ref} is in the register. The quality lead scores it next; see it with risk {ref}."

    return dialog_forms.submit(
        face,
        activity,
        title="Record a risk",
        fields=RISK_FIELDS,
        read=read,
        again=again,
        write=write,
    )


def _risk_for(session: Session, actor: Person, ref: str, action: Action) -> Risk:
    risk = risks.get_risk(session, ref)
    require(session, actor, action, service_id=risk.service_id)
    return risk


EDIT_FIELDS: set[str] = {F.TITLE, F.DESCRIPTION, F.OWNER, F.ESCALATION_ROUTE}


def open_edit(face: Face, activity: Json) -> Json:
    def build(session: Session) -> Json:
        actor = sender_of(session, activity, face=face)
        risk = _risk_for(session, actor, ref_of(activity), Action.RECORD_RISK)
        return risk_edit_dialog(risk, people=owner_choices(session))

    return dialog_forms.opened(face, f"Edit {ref_of(activity)}", build)


def submit_edit(face: Face, activity: Json) -> Json:
    ref = ref_of(activity)

    def again(session: Session, errors: dict[str, str]) -> Json:
        return risk_edit_dialog(
            risks.get_risk(session, ref),
            people=owner_choices(session),
            errors=errors,
            answers=answers_of(activity, EDIT_FIELDS),
        )

    def read(form: FieldReader) -> Any:
        return read_risk_edit(form, owner=lambda: picked(form, F.OWNER, label="An owner"))

    def write(session: Session, actor: Person, edit: RiskEdit[int]) -> str:
        risks.update_details(
            session,
            actor=actor,
            ref=ref,
            now=face.clock.now(),
            title=edit.title,
            description=edit.description,
            owner=person_picked(session, edit.owner, field=F.OWNER),
            escalation_route=edit.escalation_route,
        )
        return f"{ref} is updated."

    return dialog_forms.submit(
        face, activity, title=f"Edit {ref}", fields=EDIT_FIELDS, read=read, again=again, write=write
    )


def open_status(face: Face, activity: Json) -> Json:
    def build(session: Session) -> Json:
        actor = sender_of(session, activity, face=face)
        return risk_status_dialog(_risk_for(session, actor, ref_of(activity), Action.RECORD_RISK))

    return dialog_forms.opened(face, f"Status of {ref_of(activity)}", build)


def submit_status(face: Face, activity: Json) -> Json:
    ref = ref_of(activity)

    def again(session: Session, errors: dict[str, str]) -> Json:
        answers = answers_of(activity, STATUS_FIELDS)
        return risk_status_dialog(risks.get_risk(session, ref), errors=errors, answers=answers)

    def write(session: Session, actor: Person, change: StatusChange) -> str:
        risks.set_status(
            session,
            actor=actor,
            ref=ref,
            status=change.status,
            note=change.note,
            now=face.clock.now(),
        )
        return f"{ref} is now {change.status.label.lower()}."

    return dialog_forms.submit(
        face,
        activity,
        title=f"Status of {ref}",
        fields=STATUS_FIELDS,
        read=read_status_change,
        again=again,
        write=write,
    )


# ---------------------------------------------------------------------- scoring


def score_command(face: Face, activity: Json, rest: str) -> Json:
    ref = rest.split()[0] if rest.split() else ""
    if not ref:
        return said("Say which risk to score, like score R-003.")

    def allowed(session: Session) -> Json:
        risk = _risk_for(session, sender_of(session, activity, face=face), ref, Action.SCORE_RISK)
        return prompt(
            f"Score {risk.ref}",
            f"{risk.ref} {risk.title} · now {score_words(risk.likelihood, risk.impact)}",
            f"Score {risk.ref}",
            {"golive": Name.SCORE, "ref": risk.ref},
        )

    return face.run(allowed)


def open_score(face: Face, activity: Json) -> Json:
    def build(session: Session) -> Json:
        actor = sender_of(session, activity, face=face)
        risk = _risk_for(session, actor, ref_of(activity), Action.SCORE_RISK)
        return score_dialog(risk, open_controls=risks.open_controls_of(session, risk))

    return dialog_forms.opened(face, f"Score {ref_of(activity)}", build)


def _ids(value: Any) -> list[str]:
    """A multi-select's answer: Teams sends the chosen values joined by commas."""
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def submit_score(face: Face, activity: Json) -> Json:
    ref = ref_of(activity)
    offered = {int(v) for v in _ids(data_of(activity).get("offered")) if v.isdigit()}

    def again(session: Session, errors: dict[str, str]) -> Json:
        risk = risks.get_risk(session, ref)
        return score_dialog(
            risk,
            open_controls=risks.open_controls_of(session, risk),
            errors=errors,
            answers=answers_of(activity, SCORE_FIELDS),
        )

    def read(form: FieldReader) -> Any:
        form.values[F.PRIORITY] = _ids(form.values.get(F.PRIORITY))
        return read_score(form, offered=offered)

    def write(session: Session, actor: Person, scoring: Scoring) -> str:
        risk = record_scoring(session, actor=actor, ref=ref, scoring=scoring, now=face.clock.now())
        words = score_words(risk.likelihood, risk.impact)
        return f"{ref} is scored {words}. The score history keeps why."

    return dialog_forms.submit(
        face,
        activity,
        title=f"Score {ref}",
        fields=SCORE_FIELDS,
        read=read,
        again=again,
        write=write,
    )


# ---------------------------------------------------------------------- board decisions


def title_of(subject: Risk | Issue) -> str:
    if isinstance(subject, Risk):
        return subject.title
    return f"{subject.category.label}: {subject.description[:200]}"


def decision_command(face: Face, activity: Json, rest: str) -> Json:
    ref = rest.split()[0] if rest.split() else ""
    if not ref:
        return said("Say what the decision is about, like decision R-003.")

    def allowed(session: Session) -> Json:
        require(session, sender_of(session, activity, face=face), Action.RECORD_DECISION)
        subject = decisions.subject_by_ref(session, ref)
        return prompt(
            "Record a board decision",
            f"{subject.ref} {title_of(subject)}",
            "Record decision",
            {"golive": Name.DECISION, "ref": subject.ref},
        )

    return face.run(allowed)


def _decision_card(
    session: Session, ref: str, errors: dict[str, str], answers: dict[str, Any]
) -> Json:
    subject = decisions.subject_by_ref(session, ref)
    return decision_dialog(
        subject.ref,
        title_of(subject),
        people=owner_choices(session),
        errors=errors,
        answers=answers,
    )


def open_decision(face: Face, activity: Json) -> Json:
    def build(session: Session) -> Json:
        require(session, sender_of(session, activity, face=face), Action.RECORD_DECISION)
        return _decision_card(session, ref_of(activity), {}, {})

    return dialog_forms.opened(face, "Board decision", build)


def submit_decision(face: Face, activity: Json) -> Json:
    ref = ref_of(activity)

    def again(session: Session, errors: dict[str, str]) -> Json:
        return _decision_card(session, ref, errors, answers_of(activity, DECISION_FIELDS))

    def read(form: FieldReader) -> Any:
        return read_decision(form, owner=lambda: picked(form, F.OWNER, label="An owner"))

    def write(session: Session, actor: Person, typed: DecisionForm[int]) -> str:
        subject = decisions.subject_by_ref(session, ref)
        decision = decisions.record_decision(
            session,
            actor=actor,
            data=decisions.NewDecision(
                kind=typed.kind,
                summary=typed.summary,
                owner=person_picked(session, typed.owner, field=F.OWNER),
                escalation_route=typed.escalation_route,
                follow_up_date=typed.follow_up_date,
            ),
            now=face.clock.now(),
            risk=subject if isinstance(subject, Risk) else None,
            issue=subject if isinstance(subject, Issue) else None,
        )
        decisions.owe_board_notice(session, decision=decision, now=face.clock.now())
        return f"{typed.kind.label} on {subject.ref} is recorded and posted to the board channel."

    return dialog_forms.submit(
        face,
        activity,
        title="Board decision",
        fields=DECISION_FIELDS,
        read=read,
        again=again,
        write=write,
    )


# ---------------------------------------------------------------------- checkpoints


def checkpoint_command(face: Face, activity: Json, rest: str) -> Json:
    """``checkpoint NAME`` asks every owner of open risk controls for an update;
    ``checkpoint report [number]`` shows who has answered."""
    words = command_words(rest)
    if not words:
        return said(f"Name the checkpoint: {CHECKPOINT_USAGE}")
    if words[0].lower() == "report" and len(words) <= 2:
        return checkpoint_report(face, activity, words[1] if len(words) == 2 else None)
    name = " ".join(words)

    def work(session: Session) -> tuple[int, int]:
        checkpoint = checkpoints.open_checkpoint(
            session,
            actor=sender_of(session, activity, face=face),
            name=name,
            now=face.clock.now(),
        )
        return ident(checkpoint), len(checkpoints.owners_with_open_controls(session))

    number, owners = face.run(work)
    return said(
        f"Checkpoint {number} {name} is open. I have asked {owners} control "
        f"owner{'s' if owners != 1 else ''} for an update; see who has answered with "
        f"checkpoint report {number}."
    )


def checkpoint_report(face: Face, activity: Json, number: str | None) -> Json:
    def build(session: Session) -> Json:
        risks.require_reader(session, actor=sender_of(session, activity, face=face))
        report = checkpoints.report_of(session, number)
        text, content = checkpoint_card(
            report.checkpoint, report.progress, controls_by_id=report.controls_by_id
        )
        return cards.message(text, content)

    return face.run(build)


COMMANDS = {
    "risk": Command(
        risk_command,
        "risk add | risk R-003",
        "record a risk, or see one with its scores, controls and decisions",
    ),
    "risks": Command(register_command, LIST_USAGE, "the risk register, highest score first"),
    "score": Command(
        score_command,
        "score R-003",
        "score a risk on the 5x5 matrix, with review date, target and priority controls",
    ),
    "decision": Command(
        decision_command,
        "decision R-003 | decision GL-0042",
        "record a project board decision on a risk or an issue",
    ),
    "checkpoint": Command(
        checkpoint_command,
        CHECKPOINT_USAGE,
        "ask every control owner for an update, and see who has answered",
    ),
}
DIALOGS = {
    Name.RISK_ADD: Dialog(open_add, submit_add),
    Name.RISK_EDIT: Dialog(open_edit, submit_edit),
    Name.RISK_STATUS: Dialog(open_status, submit_status),
    Name.SCORE: Dialog(open_score, submit_score),
    Name.DECISION: Dialog(open_decision, submit_decision),
}
ACTIONS: dict[str, CardAction] = {Verb.RISK_SHOW: open_risk}
