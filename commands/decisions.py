"""Board decisions on a risk or an issue: the Record decision button (on a risk, or on the
board's escalation posts, value R-003 or GL-0042) or ``/golive decision R-003`` opens the
modal; the decision is recorded, shown on the risk and posted to the board channel."""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.escape import plain
from bot.forms import Form, FormErrors
from bot.ids import DecisionIds
from bot.views import decisions as views
from commands.context import Deps, actor_in, chosen_in, guarded, name_learner, person_in
from commands.risks import ack_only, acting, action_value, done, open_view, submit_error
from commands.slash import SlashContext
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


def submit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    kind = form.choice(DecisionIds.KIND, DecisionKind, label="The decision")
    summary = form.text(DecisionIds.SUMMARY, label="What the board decided", required=True)
    owner_id = form.user(DecisionIds.OWNER, label="An owner")
    route = form.text(DecisionIds.ESCALATION_ROUTE, label="The escalation route")
    follow_up = form.day(DecisionIds.FOLLOW_UP, label="The follow-up date")
    try:
        form.check()
    except FormErrors as errors:
        submit_error(ack, errors.errors)
        return
    assert kind is not None and summary is not None
    ref = view.get("private_metadata") or ""

    def work(session: Session) -> str:
        subject = subject_of(session, ref)
        decision = decisions.record_decision(
            session,
            actor=actor_in(session, deps, body),
            data=decisions.NewDecision(
                kind=kind,
                summary=summary,
                owner=chosen_in(session, deps, owner_id) if owner_id else None,
                escalation_route=route,
                follow_up_date=follow_up,
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
        f":classical_building: *{kind.label}* on *{subject_ref}* is recorded and posted to "
        "the board channel.",
    )


def register(app: App, deps: Deps) -> None:
    def decision_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply("Say what the decision is about, like `/golive decision R-003`.")
            return
        view = decision_view(deps, ctx.person, ctx.args[1])
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)

    deps.router.add(
        "decision",
        decision_command,
        usage="/golive decision R-003 | /golive decision GL-0042",
        summary="record a project board decision on a risk or an issue",
    )

    @guarded
    def open_decision(body: Json, client: WebClient) -> None:
        open_view(client, body, decision_view(deps, acting(deps, client, body), action_value(body)))

    app.action(DecisionIds.OPEN)(ack=ack_only, lazy=[open_decision])

    def on_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit(deps, ack, body, view, client)

    app.view(DecisionIds.VIEW)(ack=on_submit, lazy=[name_learner(deps)])
