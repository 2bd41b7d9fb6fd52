"""Board decisions on a risk or an issue: the Record decision button (on a risk, or on the
board's escalation posts, value R-003 or GL-0042) or ``/golive decision R-003`` opens the
modal; the decision is recorded, shown on the risk and posted to the board channel."""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.escape import plain
from bot.forms import Form, FormResult
from bot.ids import DecisionIds
from bot.views import decisions as views
from commands.context import (
    Deps,
    accepted,
    actor_in,
    chosen_in,
    done,
    modal_by_ref,
    name_learner,
    person_in,
)
from store.records import decisions
from store.records.models import Issue, Person, Risk
from store.records.permissions import Action, require
from store.records.register_forms import DecisionForm, read_decision

Json = dict[str, Any]


def title_of(subject: Risk | Issue) -> str:
    if isinstance(subject, Risk):
        return subject.title
    return f"{subject.category.label}: {plain(subject.description, 200)}"


def decision_view(deps: Deps, person: Person, ref: str) -> Json:
    def build(session: Session) -> Json:
        require(session, person_in(session, person), Action.RECORD_DECISION)
        subject = decisions.subject_by_ref(session, ref)
        return views.decision_modal(subject.ref, title_of(subject))

    return deps.read(build)


def parse_decision(view: Json) -> FormResult[DecisionForm[str]]:
    form = Form(view)
    return read_decision(form, owner=lambda: form.user(DecisionIds.OWNER, label="An owner"))


def submit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    typed = accepted(ack, parse_decision(view))
    if typed is None:
        return
    ref = view.get("private_metadata") or ""

    def work(session: Session) -> str:
        subject = decisions.subject_by_ref(session, ref)
        decision = decisions.record_decision(
            session,
            actor=actor_in(session, deps, body),
            data=decisions.NewDecision(
                kind=typed.kind,
                summary=typed.summary,
                owner=chosen_in(session, deps, typed.owner) if typed.owner else None,
                escalation_route=typed.escalation_route,
                follow_up_date=typed.follow_up_date,
            ),
            now=deps.now(),
            risk=subject if isinstance(subject, Risk) else None,
            issue=subject if isinstance(subject, Issue) else None,
        )
        decisions.owe_board_notice(session, decision=decision, now=deps.now())
        return subject.ref

    subject_ref = deps.run(work)
    done(
        ack,
        "Decision recorded",
        f":classical_building: *{typed.kind.label}* on *{subject_ref}* is recorded and posted to "
        "the board channel.",
    )


def register(app: App, deps: Deps) -> None:
    modal_by_ref(
        app,
        deps,
        command="decision",
        usage="/golive decision R-003 | /golive decision GL-0042",
        summary="record a project board decision on a risk or an issue",
        ask="Say what the decision is about, like `/golive decision R-003`.",
        button=DecisionIds.OPEN,
        build=lambda person, ref: decision_view(deps, person, ref),
    )

    def on_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit(deps, ack, body, view, client)

    app.view(DecisionIds.VIEW)(ack=on_submit, lazy=[name_learner(deps)])
