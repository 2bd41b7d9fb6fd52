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

from bot.forms import Form, FormErrors
from bot.ids import ReviewIds
from bot.views import review as views
from bot.views.common import notice_modal
from commands.context import (
    Deps,
    acting_person,
    actor_in,
    chosen_in,
    guarded,
    name_learner,
    person_in,
    tell,
)
from commands.slash import SlashContext
from store.records import people, review
from store.records.models import Effectiveness, Person
from store.records.permissions import Action, require
from store.records.risks import controls_of, get_risk, require_reader

Json = dict[str, Any]
Submission = Callable[[Deps, Ack, Json, Json, WebClient], None]


def _ack(ack: Ack) -> None:
    ack()


def _value(body: Json) -> str:
    return str(((body.get("actions") or [{}])[0]).get("value") or "")


def _acting(deps: Deps, client: WebClient, body: Json) -> Person:
    return acting_person(deps, client, body["user"]["id"])


def _open(client: WebClient, body: Json, view: Json) -> None:
    """Open a modal, or stack it on the modal the click came from."""
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _done(ack: Ack, title: str, text: str) -> None:
    ack(response_action="update", view=notice_modal(title, text))


def _form_failed(ack: Ack, form: Form) -> bool:
    try:
        form.check()
    except FormErrors as errors:
        ack(response_action="errors", errors=errors.errors)
        return True
    return False


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
    form = Form(view)
    texts = {
        name: form.text(block_id, label=review.FINDING_LABELS[name], required=True)
        for name, block_id in views.FINDING_BLOCKS.items()
    }
    if _form_failed(ack, form):
        return
    findings = review.Findings(**{k: v or "" for k, v in texts.items()})
    ref = deps.run(
        lambda session: (
            review.start_review(
                session, actor=actor_in(session, deps, body), findings=findings, now=deps.now()
            ).ref
        )
    )
    _done(
        ack,
        f"{ref} started",
        f":clipboard: The post-implementation review *{ref}* has started. Registered managers "
        "are being asked whether each pre-implementation risk's controls worked; see progress "
        "with `/golive review`.",
    )


def submit_verdict(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    kind = form.choice(ReviewIds.VERDICT, Effectiveness, label="Whether the controls worked")
    evidence = form.text(ReviewIds.EVIDENCE, label="The evidence", required=True)
    if _form_failed(ack, form):
        return
    assert kind is not None and evidence is not None
    ref = str(view.get("private_metadata") or "")
    deps.run(
        lambda session: review.record_verdict(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            verdict=kind,
            evidence=evidence,
            now=deps.now(),
        )
    )
    _done(ack, "Verdict saved", f":white_check_mark: *{ref}*: {kind.label.lower()}. Thank you.")


def submit_transfer(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    owner_id = form.user(ReviewIds.OWNER, label="An owner", required=True)
    review_date = form.day(ReviewIds.REVIEW_DATE, label="A review date", required=True)
    note = form.text(ReviewIds.NOTE, label="The note")
    if _form_failed(ack, form):
        return
    assert owner_id is not None and review_date is not None
    ref = str(view.get("private_metadata") or "")

    def work(session: Session) -> str:
        return review.transfer_to_bau(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            owner=chosen_in(session, deps, owner_id),
            review_date=review_date,
            note=note,
            now=deps.now(),
        ).ref

    new_ref = deps.run(work)
    _done(
        ack,
        "Risk transferred",
        f":arrow_right: *{ref}* is now *{new_ref}* on the business-as-usual register, owned by "
        f"<@{owner_id}>, next review {review_date:%d %b %Y}.",
    )


def submit_action(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    description = form.text(ReviewIds.DESCRIPTION, label="The action", required=True)
    owner_id = form.user(ReviewIds.OWNER, label="An owner", required=True)
    due = form.day(ReviewIds.DUE_DATE, label="The due date")
    if _form_failed(ack, form):
        return
    assert description is not None and owner_id is not None
    ref = deps.run(
        lambda session: (
            review.record_leadership_action(
                session,
                actor=actor_in(session, deps, body),
                description=description,
                owner=chosen_in(session, deps, owner_id),
                due_date=due,
                now=deps.now(),
            ).ref
        )
    )
    _done(
        ack,
        f"{ref} recorded",
        f":white_check_mark: Leadership action *{ref}* is recorded, owned by <@{owner_id}>.",
    )


def submit_audits(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    topic = form.text(ReviewIds.TOPIC, label="What the audit checks", required=True)
    first_due = form.day(ReviewIds.FIRST_DUE, label="The first audit date", required=True)
    months = form.integer(ReviewIds.MONTHS, label="How many months")
    if _form_failed(ack, form):
        return
    assert topic is not None and first_due is not None and months is not None

    def work(session: Session) -> list[str]:
        scheduled = review.schedule_audits(
            session,
            actor=actor_in(session, deps, body),
            topic=topic,
            first_due=first_due,
            months=months,
            now=deps.now(),
        )
        return [f"{a.ref} due {a.due_date:%d %b %Y}" for a in scheduled]

    lines = deps.run(work)
    _done(
        ack,
        "Audits scheduled",
        ":calendar: Follow-up audits scheduled:\n" + "\n".join(f"• {line}" for line in lines),
    )


def submit_result(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    result = form.text(ReviewIds.RESULT, label="What the audit found", required=True)
    if _form_failed(ack, form):
        return
    assert result is not None
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

    _done(ack, "Audit result saved", deps.run(work))


def submit_close(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    note = form.text(ReviewIds.NOTE, label="The closing note")
    deps.run(
        lambda session: review.close_project(
            session, actor=actor_in(session, deps, body), note=note, now=deps.now()
        )
    )
    _done(
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

    def audit_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply("Say which audit, like `/golive audit FA-3`.")
            return
        ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=result_view(deps, ctx.person, ctx.args[1])
        )

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
    router.add(
        "audit",
        audit_command,
        usage="/golive audit FA-3",
        summary="record a follow-up audit's result",
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
            person = _acting(deps, client, body)
            _open(client, body, verdict_view(deps, person, _value(body), kind))

        return open_verdict

    for kind, action_id in views.VERDICT_BUTTONS.items():
        app.action(action_id)(ack=_ack, lazy=[verdict_clicked(kind)])

    @guarded
    def open_action(body: Json, client: WebClient) -> None:
        view = simple_view(deps, _acting(deps, client, body), Action.LEADERSHIP_ACTION)
        _open(client, body, view)

    @guarded
    def open_audits(body: Json, client: WebClient) -> None:
        view = simple_view(deps, _acting(deps, client, body), Action.FOLLOW_UP_AUDIT)
        _open(client, body, view)

    @guarded
    def open_result(body: Json, client: WebClient) -> None:
        _open(client, body, result_view(deps, _acting(deps, client, body), _value(body)))

    @guarded
    def open_close(body: Json, client: WebClient) -> None:
        view, refusal = close_check(deps, _acting(deps, client, body))
        if view is None:
            tell(client, body, refusal, title="Can't close yet")
        else:
            _open(client, body, view)

    app.action(ReviewIds.OPEN_ACTION)(ack=_ack, lazy=[open_action])
    app.action(ReviewIds.OPEN_AUDITS)(ack=_ack, lazy=[open_audits])
    app.action(ReviewIds.RECORD_RESULT)(ack=_ack, lazy=[open_result])
    app.action(ReviewIds.OPEN_CLOSE)(ack=_ack, lazy=[open_close])

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
