"""Scoring a risk on the NHS 5x5 matrix: ``/golive score R-003`` or the Score button.

The modal shows the words for each likelihood and impact and, as soon as either changes, the
score and band. Submitting records the score with its reason, the review date, the target
and the priority controls in one transaction, each in the audit trail.
"""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.forms import Form, FormErrors, flatten
from bot.ids import ScoreIds
from bot.views import scoring as views
from commands.context import Deps, guarded, person_in
from commands.risks import ack_only, acting, action_value, done, open_view, submit_error
from commands.slash import SlashContext
from store.records import controls, risks
from store.records.models import Person
from store.records.permissions import Action, require

Json = dict[str, Any]


def score_view(deps: Deps, person: Person, ref: str) -> Json:
    """The quality lead's modal; anyone else is refused before it opens (and again on save)."""

    def build(session: Session) -> Json:
        risk = risks.get_risk(session, ref)
        require(session, person_in(session, person), Action.SCORE_RISK, service_id=risk.service_id)
        return views.score_modal(
            risk,
            likelihood=risk.likelihood,
            impact=risk.impact,
            open_controls=risks.open_controls_of(session, risk),
        )

    return deps.read(build)


def _rating(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= 5 else None


def redraw(client: WebClient, body: Json) -> None:
    """Show the score and band for the ratings chosen so far, keeping what was typed."""
    view = body["view"]
    values = flatten(view)
    likelihood = _rating(values.get(ScoreIds.LIKELIHOOD))
    impact = _rating(values.get(ScoreIds.IMPACT))
    result = views.score_text(likelihood, impact)
    blocks = [
        {**block, "text": {"type": "mrkdwn", "text": result}}
        if block.get("block_id") == ScoreIds.RESULT
        else block
        for block in view.get("blocks") or []
    ]
    updated = {
        key: view[key]
        for key in ("type", "callback_id", "title", "submit", "close", "private_metadata")
        if key in view
    }
    client.views_update(view_id=view["id"], view={**updated, "blocks": blocks})


def submit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    likelihood = form.integer(ScoreIds.LIKELIHOOD, label="A likelihood")
    impact = form.integer(ScoreIds.IMPACT, label="An impact")
    reason = form.text(ScoreIds.REASON, label="The reason for this score", required=True)
    review = form.day(ScoreIds.REVIEW_DATE, label="The review date")
    target_l = form.values.get(ScoreIds.TARGET_LIKELIHOOD)
    target_i = form.values.get(ScoreIds.TARGET_IMPACT)
    if bool(target_l) != bool(target_i):
        missing = ScoreIds.TARGET_IMPACT if target_l else ScoreIds.TARGET_LIKELIHOOD
        form.errors[missing] = "A target needs both a likelihood and an impact"
    try:
        form.check()
    except FormErrors as errors:
        submit_error(ack, errors.errors)
        return
    priority_ids = {int(v) for v in form.values.get(ScoreIds.PRIORITY) or [] if str(v).isdigit()}
    offered = {
        int(o["value"])
        for block in view.get("blocks") or []
        if block.get("block_id") == ScoreIds.PRIORITY
        for o in block["element"].get("options") or []
    }
    ref = view.get("private_metadata") or ""
    person = acting(deps, client, body)

    def record(session: Session) -> str:
        actor = person_in(session, person)
        now = deps.now()
        risk = risks.score_risk(
            session,
            actor=actor,
            ref=ref,
            likelihood=likelihood,
            impact=impact,
            reason=reason or "",
            now=now,
        )
        if review is not None and review != risk.review_date:
            risks.set_review_date(session, actor=actor, ref=ref, review_date=review, now=now)
        if (
            target_l
            and target_i
            and (target_l, target_i)
            != (
                str(risk.target_likelihood),
                str(risk.target_impact),
            )
        ):
            risks.set_target(
                session, actor=actor, ref=ref, likelihood=target_l, impact=target_i, now=now
            )
        for control in risks.open_controls_of(session, risk):
            wanted = control.id in priority_ids
            if control.id in offered and control.priority != wanted:
                controls.set_priority(
                    session, actor=actor, control=control, priority=wanted, now=now
                )
        return views.score_text(risk.likelihood, risk.impact)

    words = deps.run(record)
    done(ack, f"{ref} scored", f"*{ref}* is scored {words}. The score history keeps why.")


def register(app: App, deps: Deps) -> None:
    def score_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply("Say which risk to score, like `/golive score R-003`.")
            return
        view = score_view(deps, ctx.person, ctx.args[1])
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)

    deps.router.add(
        "score",
        score_command,
        usage="/golive score R-003",
        summary="score a risk on the 5x5 matrix, with review date, target and priority controls",
    )

    @guarded
    def open_score(body: Json, client: WebClient) -> None:
        open_view(client, body, score_view(deps, acting(deps, client, body), action_value(body)))

    app.action(ScoreIds.OPEN)(ack=ack_only, lazy=[open_score])

    def rating_changed(ack: Ack, body: Json, client: WebClient) -> None:
        ack()
        if (body.get("view") or {}).get("callback_id") == ScoreIds.VIEW:
            redraw(client, body)

    app.action(ScoreIds.LIKELIHOOD)(rating_changed)
    app.action(ScoreIds.IMPACT)(rating_changed)

    def on_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit(deps, ack, body, view, client)

    app.view(ScoreIds.VIEW)(on_submit)
