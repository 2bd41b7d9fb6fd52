"""Scoring a risk on the NHS 5x5 matrix: ``/golive score R-003`` or the Score button.

The modal shows the words for each likelihood and impact and, as soon as either changes, the
score and band. Submitting records the score with its reason, the review date, the target
and the priority controls in one transaction, each in the audit trail.
"""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.forms import Form, FormResult, flatten
from bot.ids import ScoreIds
from bot.views import scoring as views
from commands.context import Deps, accepted, acting, done, modal_by_ref, person_in
from store.records import risks
from store.records.models import Person
from store.records.permissions import Action, require
from store.records.register_forms import Scoring, read_score, record_scoring

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


def parse_score(view: Json) -> FormResult[Scoring]:
    offered = {
        int(o["value"])
        for block in view.get("blocks") or []
        if block.get("block_id") == ScoreIds.PRIORITY
        for o in block["element"].get("options") or []
    }
    return read_score(Form(view), offered=offered)


def submit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    score = accepted(ack, parse_score(view))
    if score is None:
        return
    ref = view.get("private_metadata") or ""
    person = acting(deps, client, body)

    def record(session: Session) -> str:
        risk = record_scoring(
            session, actor=person_in(session, person), ref=ref, scoring=score, now=deps.now()
        )
        return views.score_text(risk.likelihood, risk.impact)

    words = deps.run(record)
    done(ack, f"{ref} scored", f"*{ref}* is scored {words}. The score history keeps why.")


def register(app: App, deps: Deps) -> None:
    modal_by_ref(
        app,
        deps,
        command="score",
        usage="/golive score R-003",
        summary="score a risk on the 5x5 matrix, with review date, target and priority controls",
        ask="Say which risk to score, like `/golive score R-003`.",
        button=ScoreIds.OPEN,
        build=lambda person, ref: score_view(deps, person, ref),
    )

    def rating_changed(ack: Ack, body: Json, client: WebClient) -> None:
        ack()
        if (body.get("view") or {}).get("callback_id") == ScoreIds.VIEW:
            redraw(client, body)

    app.action(ScoreIds.LIKELIHOOD)(rating_changed)
    app.action(ScoreIds.IMPACT)(rating_changed)

    def on_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit(deps, ack, body, view, client)

    app.view(ScoreIds.VIEW)(on_submit)
