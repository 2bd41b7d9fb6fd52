"""Board decisions on a risk or an issue: the Record decision button (on a risk, or on the
board's escalation posts, value R-003 or GL-0042) or ``/golive decision R-003`` opens the
modal; the decision is recorded, shown on the risk and posted to the board channel."""

from dataclasses import dataclass
from datetime import date
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
from store.records import decisions, issues, risks
from store.records.enums import DecisionKind
from store.records.models import ISSUE_PREFIX, Issue, Person, Risk
from store.records.permissions import Action, require

Json = dict[str, Any]


def subject_of(session: Session, ref: str) -> Risk | Issue:
    """A risk (R-003) or an issue (GL-0042), by the reference people and buttons give."""
    if ref.strip().upper().startswith(ISSUE_PREFIX):
        return issues.get_issue(session, ref)
    return risks.get_risk(session, ref)


def title_of(subject: Risk | Issue) -> str:
    if isinstance(subject, Risk):
        return subject.title
    return f"{subject.category.label}: {plain(subject.description, 200)}"


def decision_view(deps: Deps, person: Person, ref: str) -> Json:
    def build(session: Session) -> Json:
        require(session, person_in(session, person), Action.RECORD_DECISION)
        subject = subject_of(session, ref)
        return views.decision_modal(subject.ref, title_of(subject))

    return deps.read(build)


@dataclass(frozen=True)
class DecisionForm:
    """The decision as typed; its owner is a Slack user, found or created when it is saved."""

    kind: DecisionKind
    summary: str
    owner_id: str | None
    escalation_route: str | None
    follow_up_date: date | None


def parse_decision(view: Json) -> FormResult[DecisionForm]:
    form = Form(view)
    kind = form.choice(DecisionIds.KIND, DecisionKind, label="The decision")
    summary = form.text(DecisionIds.SUMMARY, label="What the board decided", required=True)
    owner_id = form.user(DecisionIds.OWNER, label="An owner")
    route = form.text(DecisionIds.ESCALATION_ROUTE, label="The escalation route")
    follow_up = form.day(DecisionIds.FOLLOW_UP, label="The follow-up date")
    if kind is None or summary is None:
        return form.invalid()
    return form.result(DecisionForm(kind, summary, owner_id, route, follow_up))


def submit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    typed = accepted(ack, parse_decision(view))
    if typed is None:
        return
    ref = view.get("private_metadata") or ""

    def work(session: Session) -> str:
        subject = subject_of(session, ref)
        decision = decisions.record_decision(
            session,
            actor=actor_in(session, deps, body),
            data=decisions.NewDecision(
                kind=typed.kind,
                summary=typed.summary,
                owner=chosen_in(session, deps, typed.owner_id) if typed.owner_id else None,
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
