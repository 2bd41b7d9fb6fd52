"""The post-implementation review in Slack.

``/golive review`` lets the quality lead start the review (or shows where it stands);
registered managers answer the verdict DMs with Effective / Partly effective / Not effective,
or ``/golive verdict R-003``; ``/golive transfer R-003`` moves a risk into business as usual;
``/golive leadership-action``, ``/golive audits`` and ``/golive audit FA-3`` record the rest;
``/golive close-project`` runs the guard and, only when nothing stops it, asks to confirm.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.forms import Form
from bot.ids import ReviewIds
from bot.views import review as views
from commands.context import (
    Deps,
    accepted,
    ack_only,
    acting,
    action_value,
    actor_in,
    chosen_in,
    done,
    guarded,
    modal_by_ref,
    name_learner,
    open_view,
    person_in,
    tell,
)
from commands.slash import SlashContext
from store.records import people, review
from store.records.models import Effectiveness, Person
from store.records.permissions import Action, require
from store.records.review_forms import (
    OWNER_LABEL,
    read_action,
    read_audits,
    read_closing_note,
    read_findings,
    read_result,
    read_transfer,
    read_verdict,
)
from store.records.risks import controls_of, get_risk, require_reader

Json = dict[str, Any]
Submission = Callable[[Deps, Ack, Json, Json, WebClient], None]


# Views, each built after the store has said the person may do this


def start_or_status(deps: Deps, person: Person) -> tuple[Json | None, str, list[Json]]:
    """The start modal for the quality lead when no review exists; else the review's status."""

    def build(session: Session) -> tuple[Json | None, str, list[Json]]:
        current = review.current_review(session)
        if current is None:
            require(session, person_in(session, person), Action.START_REVIEW)
            return views.start_modal(), "", []
        require_reader(session, actor=person_in(session, person))
        text, blocks = views.status_blocks(session, current)
        return None, text, blocks

    return deps.read(build)


def verdict_view(deps: Deps, person: Person, ref: str, chosen: Effectiveness | None) -> Json:
    def build(session: Session) -> Json:
        current = review.open_review(session)
        risk = get_risk(session, ref)
        require(
            session,
            person_in(session, person),
            Action.RECORD_VERDICT,
            service_id=risk.service_id,
        )
        existing = review.verdicts(session, current).get(risk.id or 0)
        return views.verdict_modal(
            risk,
            controls=controls_of(session, risk),
            chosen=chosen or (existing.verdict if existing else None),
            evidence=existing.evidence if existing else None,
        )

    return deps.read(build)


def transfer_view(deps: Deps, person: Person, ref: str) -> Json:
    def build(session: Session) -> Json:
        review.open_review(session)
        risk = get_risk(session, ref)
        require(
            session,
            person_in(session, person),
            Action.TRANSFER_RISK,
            service_id=risk.service_id,
        )
        owner = people.person_by_id(session, person_id=risk.owner_id)
        return views.transfer_modal(
            risk,
            owner_slack_id=owner.slack_user_id if owner else None,
            today=deps.now().date(),
        )

    return deps.read(build)


def simple_view(deps: Deps, person: Person, action: Action) -> Json:
    def build(session: Session) -> Json:
        review.open_review(session)
        require(session, person_in(session, person), action)
        if action == Action.LEADERSHIP_ACTION:
            return views.leadership_action_modal()
        return views.audits_modal(first_due=deps.now().date() + timedelta(days=30))

    return deps.read(build)


def result_view(deps: Deps, person: Person, ref: str) -> Json:
    def build(session: Session) -> Json:
        review.open_review(session)
        require(session, person_in(session, person), Action.FOLLOW_UP_AUDIT)
        return views.result_modal(review.get_audit(session, ref))

    return deps.read(build)


def close_check(deps: Deps, person: Person) -> tuple[Json | None, str]:
    """Run the closing guard: the confirm modal when nothing stops closing, else every reason."""

    def build(session: Session) -> tuple[Json | None, str]:
        require(session, person_in(session, person), Action.CLOSE_PROJECT)
        current = review.current_review(session)
        if current is not None and current.closed_at is not None:
            return None, f"The implementation was already closed on {current.closed_at:%d %b %Y}."
        blockers = review.closing_blockers(session)
        if blockers:
            return None, views.blockers_text(blockers)
        return views.close_modal(), ""

    return deps.read(build)


# Submissions


def submit_start(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    findings = accepted(ack, read_findings(Form(view)))
    if findings is None:
        return
    ref = deps.run(
        lambda session: (
            review.start_review(
                session, actor=actor_in(session, deps, body), findings=findings, now=deps.now()
            ).ref
        )
    )
    done(
        ack,
        f"{ref} started",
        f":clipboard: The post-implementation review *{ref}* has started. Registered managers "
        "are being asked whether each pre-implementation risk's controls worked; see progress "
        "with `/golive review`.",
    )


def submit_verdict(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    given = accepted(ack, read_verdict(Form(view)))
    if given is None:
        return
    ref = str(view.get("private_metadata") or "")
    deps.run(
        lambda session: review.record_verdict(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            verdict=given.verdict,
            evidence=given.evidence,
            now=deps.now(),
        )
    )
    words = given.verdict.label.lower()
    done(ack, "Verdict saved", f":white_check_mark: *{ref}*: {words}. Thank you.")


def submit_transfer(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    owner_id = form.user(ReviewIds.OWNER, label=OWNER_LABEL, required=True)
    transfer = accepted(ack, read_transfer(form, owner=owner_id))
    if transfer is None:
        return
    ref = str(view.get("private_metadata") or "")

    def work(session: Session) -> str:
        return review.transfer_to_bau(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            owner=chosen_in(session, deps, transfer.owner),
            review_date=transfer.review_date,
            note=transfer.note,
            now=deps.now(),
        ).ref

    new_ref = deps.run(work)
    done(
        ack,
        "Risk transferred",
        f":arrow_right: *{ref}* is now *{new_ref}* on the business-as-usual register, owned by "
        f"<@{transfer.owner}>, next review {transfer.review_date:%d %b %Y}.",
    )


def submit_action(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    owner_id = form.user(ReviewIds.OWNER, label=OWNER_LABEL, required=True)
    action = accepted(ack, read_action(form, owner=owner_id))
    if action is None:
        return
    ref = deps.run(
        lambda session: (
            review.record_leadership_action(
                session,
                actor=actor_in(session, deps, body),
                description=action.description,
                owner=chosen_in(session, deps, action.owner),
                due_date=action.due_date,
                now=deps.now(),
            ).ref
        )
    )
    done(
        ack,
        f"{ref} recorded",
        f":white_check_mark: Leadership action *{ref}* is recorded, owned by <@{action.owner}>.",
    )


def submit_audits(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    plan = accepted(ack, read_audits(Form(view)))
    if plan is None:
        return

    def work(session: Session) -> list[str]:
        scheduled = review.schedule_audits(
            session,
            actor=actor_in(session, deps, body),
            topic=plan.topic,
            first_due=plan.first_due,
            months=plan.months,
            now=deps.now(),
        )
        return [f"{a.ref} due {a.due_date:%d %b %Y}" for a in scheduled]

    lines = deps.run(work)
    done(
        ack,
        "Audits scheduled",
        ":calendar: Follow-up audits scheduled:\n" + "\n".join(f"• {line}" for line in lines),
    )


def submit_result(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    result = accepted(ack, read_result(Form(view)))
    if result is None:
        return
    ref = str(view.get("private_metadata") or "")

    def work(session: Session) -> str:
        item = review.record_audit_result(
            session, actor=actor_in(session, deps, body), ref=ref, result=result, now=deps.now()
        )
        trend = "falling" if item.risks_reducing else "not falling"
        return (
            f":white_check_mark: *{item.ref}* result recorded. Residual risk now totals "
            f"{item.residual_score} ({item.high_risks} high or extreme): {trend}."
        )

    done(ack, "Audit result saved", deps.run(work))


def submit_close(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    note = read_closing_note(Form(view))
    deps.run(
        lambda session: review.close_project(
            session, actor=actor_in(session, deps, body), note=note, now=deps.now()
        )
    )
    done(
        ack,
        "Project closed",
        ":lock: The implementation is closed and the board channel is told. Remaining risks "
        "live on in the business-as-usual register.",
    )


# Wiring


def register(app: App, deps: Deps) -> None:
    def review_command(ctx: SlashContext) -> None:
        view, text, blocks = start_or_status(deps, ctx.person)
        if view is not None:
            ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
        else:
            ctx.reply(text, blocks)

    def verdict_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply("Say which risk, like `/golive verdict R-003`.")
            return
        ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=verdict_view(deps, ctx.person, ctx.args[1], None)
        )

    def transfer_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply("Say which risk, like `/golive transfer R-003`.")
            return
        ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=transfer_view(deps, ctx.person, ctx.args[1])
        )

    def action_command(ctx: SlashContext) -> None:
        view = simple_view(deps, ctx.person, Action.LEADERSHIP_ACTION)
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)

    def audits_command(ctx: SlashContext) -> None:
        view = simple_view(deps, ctx.person, Action.FOLLOW_UP_AUDIT)
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)

    def close_command(ctx: SlashContext) -> None:
        view, refusal = close_check(deps, ctx.person)
        if view is None:
            ctx.reply(refusal)
        else:
            ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)

    router = deps.router
    router.add(
        "review",
        review_command,
        usage="/golive review",
        summary="start the post-implementation review, or see where it stands",
    )
    router.add(
        "verdict",
        verdict_command,
        usage="/golive verdict R-003",
        summary="say whether a pre-implementation risk's controls worked",
    )
    router.add(
        "transfer",
        transfer_command,
        usage="/golive transfer R-003",
        summary="move an unresolved risk to the business-as-usual register",
    )
    router.add(
        "leadership-action",
        action_command,
        usage="/golive leadership-action",
        summary="record an action the leadership team agreed, with its owner",
    )
    router.add(
        "audits",
        audits_command,
        usage="/golive audits",
        summary="schedule monthly follow-up audits",
    )
    modal_by_ref(
        app,
        deps,
        command="audit",
        usage="/golive audit FA-3",
        summary="record a follow-up audit's result",
        ask="Say which audit, like `/golive audit FA-3`.",
        button=ReviewIds.RECORD_RESULT,
        build=lambda person, ref: result_view(deps, person, ref),
    )
    router.add(
        "close-project",
        close_command,
        usage="/golive close-project",
        summary="close the implementation, once nothing is left unowned or open",
    )

    def verdict_clicked(kind: Effectiveness) -> Callable[..., None]:
        @guarded
        def open_verdict(body: Json, client: WebClient) -> None:
            person = acting(deps, client, body)
            open_view(client, body, verdict_view(deps, person, action_value(body), kind))

        return open_verdict

    for kind, action_id in views.VERDICT_BUTTONS.items():
        app.action(action_id)(ack=ack_only, lazy=[verdict_clicked(kind)])

    @guarded
    def open_action(body: Json, client: WebClient) -> None:
        view = simple_view(deps, acting(deps, client, body), Action.LEADERSHIP_ACTION)
        open_view(client, body, view)

    @guarded
    def open_audits(body: Json, client: WebClient) -> None:
        view = simple_view(deps, acting(deps, client, body), Action.FOLLOW_UP_AUDIT)
        open_view(client, body, view)

    @guarded
    def open_close(body: Json, client: WebClient) -> None:
        view, refusal = close_check(deps, acting(deps, client, body))
        if view is None:
            tell(client, body, refusal, title="Can't close yet")
        else:
            open_view(client, body, view)

    app.action(ReviewIds.OPEN_ACTION)(ack=ack_only, lazy=[open_action])
    app.action(ReviewIds.OPEN_AUDITS)(ack=ack_only, lazy=[open_audits])
    app.action(ReviewIds.OPEN_CLOSE)(ack=ack_only, lazy=[open_close])

    submissions = {
        ReviewIds.START_VIEW: submit_start,
        ReviewIds.VERDICT_VIEW: submit_verdict,
        ReviewIds.TRANSFER_VIEW: submit_transfer,
        ReviewIds.ACTION_VIEW: submit_action,
        ReviewIds.AUDITS_VIEW: submit_audits,
        ReviewIds.RESULT_VIEW: submit_result,
        ReviewIds.CLOSE_VIEW: submit_close,
    }
    for callback_id, handler in submissions.items():
        app.view(callback_id)(ack=_submission(deps, handler), lazy=[name_learner(deps)])


def _submission(deps: Deps, handler: Submission) -> Callable[..., None]:
    def on_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        handler(deps, ack, body, view, client)

    return on_submit
