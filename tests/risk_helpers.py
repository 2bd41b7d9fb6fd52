"""Shared steps for the risk register's Slack stories: records set up through the store (the
part of the story that is not under test) and modal answers shaped as Slack sends them."""

from typing import Any

from sqlmodel import select

from store.infra.db import session_scope
from store.records import risks
from store.records.enums import RiskCategory, RiskScope
from store.records.models import AuditEvent, Person, Risk, Service
from tests.slackapp import SlackApp

Json = dict[str, Any]


def answers(**fields: Json) -> Json:
    """``{block_id: {action_id: state}}`` for inputs whose action id is their block id."""
    return {block: {block: state} for block, state in fields.items()}


def new_risk(
    slack: SlackApp,
    *,
    title: str = "Medication history does not migrate for residents on PRN",
    actor: Person | None = None,
    service: Service | None = None,
    owner: Person | None = None,
    category: RiskCategory = RiskCategory.DATA_MIGRATION,
    controls: tuple[str, ...] = ("Double-check MAR charts against the paper record",),
) -> str:
    data = risks.NewRisk(
        title=title,
        category=category,
        scope=RiskScope.SERVICE if service else RiskScope.ORGANISATION,
        service_id=service.id if service else None,
        owner_id=(owner or slack.world.manager).id,
        first_controls=list(controls),
    )
    with session_scope(slack.engine) as session:
        return risks.create_risk(
            session, actor=actor or slack.world.project_lead, data=data, now=slack.clock.now()
        ).ref


def score(slack: SlackApp, ref: str, likelihood: int, impact: int) -> None:
    with session_scope(slack.engine) as session:
        risks.score_risk(
            session,
            actor=slack.world.quality_lead,
            ref=ref,
            likelihood=likelihood,
            impact=impact,
            reason="Set up for the story",
            now=slack.clock.now(),
        )


def risk(slack: SlackApp, ref: str) -> Risk:
    with session_scope(slack.engine) as session:
        return risks.get_risk(session, ref)


def trail(slack: SlackApp, entity_ref: str) -> list[AuditEvent]:
    with session_scope(slack.engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.entity_ref == entity_ref)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        )


def opened(slack: SlackApp, method: str = "views.open") -> Json:
    """The modal the bot last opened (or pushed), as Slack holds it now."""
    call = slack.fake.last(method)
    return slack.fake.view(call.answered["view"]["id"])


def block(view: Json, block_id: str) -> Json:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def private_text(slack: SlackApp) -> str:
    """The last thing golive told the person privately: an ephemeral reply or a notice modal."""
    calls = [c for c in slack.fake.calls() if c.method in ("response_url", "views.open")]
    assert calls, f"nothing private was sent; calls: {[c.method for c in slack.fake.calls()]}"
    last = calls[-1]
    if last.method == "response_url":
        return str(last.args.get("text", "")) + str(last.args.get("blocks") or "")
    return str(last.args["view"]["blocks"])
