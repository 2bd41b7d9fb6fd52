"""Block Kit for the risk register: recording, editing and closing a risk, the register
itself and one risk in detail with its scores, controls and decisions.

Pure functions from records to Slack payloads, so each view is tested as data and the
listeners in commands/ only fetch, call and send. Everything a person typed goes through
bot.escape; every list is capped so a long register can never break Slack's limits.
"""

from dataclasses import dataclass
from datetime import date

from bot.escape import BLOCKS_PER_MESSAGE, and_more, cap_items, fit_blocks, safe
from bot.ids import ControlIds, DecisionIds, RiskIds, ScoreIds
from bot.views.common import (
    Block,
    actions,
    button,
    context,
    datepicker,
    day,
    fields,
    form_modal,
    header,
    input_block,
    mention,
    option,
    section,
    slack_id,
    static_select,
    text_input,
    users_select,
    when,
)
from bot.views.controls import control_line, control_menu
from bot.views.decisions import decision_line
from bot.views.scoring import risk_score_line, score_text
from store.records.enums import RiskCategory, RiskStatus
from store.records.models import Control, Decision, Person, Risk, RiskAssessment, Service
from store.records.register_forms import ORGANISATION, SERVICE_PREFIX

LIST_LIMIT = 40
HISTORY_LIMIT = 5
DECISION_LIMIT = 5
DETAIL_CONTROL_LIMIT = 20


# ---------------------------------------------------------------------- words


def review_text(risk: Risk, today: date) -> str:
    text = day(risk.review_date)
    return f"{text} :warning: *overdue*" if risk.is_review_overdue(today) else text


def scope_text(risk: Risk, service: Service | None) -> str:
    return safe(service.name, 200) if service is not None else "Whole organisation"


# ---------------------------------------------------------------------- risk modals


def scope_options(services: list[Service], *, organisation: bool) -> list[Block]:
    whole = [option(ORGANISATION, "Whole organisation")] if organisation else []
    return [*whole, *(option(f"{SERVICE_PREFIX}{s.id}", s.name) for s in services)][:100]


def risk_add_modal(
    *, services: list[Service], default_service_id: int | None, organisation: bool = True
) -> Block:
    """Title, description, category, scope, owner, escalation route and first controls; the
    scopes offered are those the person may record in (the store checks again on save)."""
    initial_scope = f"{SERVICE_PREFIX}{default_service_id}" if default_service_id else ORGANISATION
    blocks = [
        input_block(RiskIds.TITLE, "Risk", text_input(max_length=200)),
        input_block(
            RiskIds.DESCRIPTION,
            "What could happen, and to whom",
            text_input(multiline=True),
            optional=True,
        ),
        input_block(
            RiskIds.CATEGORY,
            "Category",
            static_select([option(c.value, c.label) for c in RiskCategory]),
        ),
        input_block(
            RiskIds.SCOPE,
            "Scope",
            static_select(
                scope_options(services, organisation=organisation), initial=initial_scope
            ),
            hint="Registered managers record risks for their own service.",
        ),
        input_block(RiskIds.OWNER, "Risk owner", users_select(), optional=True),
        input_block(
            RiskIds.ESCALATION_ROUTE,
            "Escalation route",
            text_input(max_length=300),
            optional=True,
            hint="Who this goes to when controls are not enough, e.g. project board, supplier.",
        ),
        input_block(
            RiskIds.CONTROLS,
            "First controls (one per line)",
            text_input(multiline=True),
            optional=True,
        ),
        input_block(RiskIds.REVIEW_DATE, "Review by", datepicker(), optional=True),
    ]
    return form_modal(RiskIds.ADD_VIEW, "Record a risk", blocks, submit="Record")


def risk_edit_modal(risk: Risk, *, owner: Person | None) -> Block:
    blocks = [
        context(f"*{risk.ref}*"),
        input_block(RiskIds.TITLE, "Risk", text_input(initial=risk.title, max_length=200)),
        input_block(
            RiskIds.DESCRIPTION,
            "What could happen, and to whom",
            text_input(multiline=True, initial=risk.description),
            optional=True,
        ),
        input_block(
            RiskIds.OWNER, "Risk owner", users_select(initial=slack_id(owner)), optional=True
        ),
        input_block(
            RiskIds.ESCALATION_ROUTE,
            "Escalation route",
            text_input(initial=risk.escalation_route, max_length=300),
            optional=True,
        ),
    ]
    return form_modal(RiskIds.EDIT_VIEW, f"Edit {risk.ref}", blocks, metadata=risk.ref)


def risk_status_modal(risk: Risk) -> Block:
    choices = [option(s.value, s.label) for s in RiskStatus if s != risk.status]
    blocks = [
        section(f"*{risk.ref}* {safe(risk.title, 500)} is *{risk.status.label.lower()}*."),
        input_block(RiskIds.NEW_STATUS, "New status", static_select(choices)),
        input_block(RiskIds.NOTE, "Why", text_input(multiline=True, max_length=1000)),
    ]
    return form_modal(RiskIds.STATUS_VIEW, f"Status of {risk.ref}", blocks, metadata=risk.ref)


# ---------------------------------------------------------------------- the register


@dataclass(frozen=True)
class RiskDetail:
    """Everything the detail view shows about one risk, fetched by the listener."""

    risk: Risk
    service: Service | None
    assessments: list[RiskAssessment]
    controls: list[Control]
    decisions: list[Decision]
    people: dict[int, Person]
    today: date


def risk_list(
    risks: list[Risk],
    *,
    total: int,
    people: dict[int, Person],
    services: dict[int, Service],
    today: date,
    described: str,
) -> tuple[str, list[Block]]:
    """The register, highest score first, one line per risk with an Open button."""
    if not risks:
        text = f"No risks match {described}." if described else "The register has no open risks."
        return text, [section(safe(text))]
    shown, _ = cap_items(risks, LIST_LIMIT)
    title = f"Risk register{f' · {described}' if described else ''}: {total}"
    blocks: list[Block] = [section(f"*{safe(title, 500)}*")]
    for risk in shown:
        service = services.get(risk.service_id) if risk.service_id else None
        line = (
            f"*{risk.ref}* {safe(risk.title, 300)}\n{risk_score_line(risk)} · "
            f"{risk.category.label} · {scope_text(risk, service)} · "
            f"{mention(people.get(risk.owner_id) if risk.owner_id else None)} · "
            f"review {review_text(risk, today)}"
        )
        if risk.status != RiskStatus.OPEN:
            line += f" · {risk.status.label}"
        blocks.append(section(line, accessory=button("Open", RiskIds.SHOW, risk.ref)))
    more = and_more(total - len(shown), "more; narrow the list with a filter")
    if more:
        blocks.append(more)
    return title, fit_blocks(blocks, BLOCKS_PER_MESSAGE)


def risk_detail(detail: RiskDetail) -> tuple[str, list[Block]]:
    """One risk with its score history, controls, decisions and the buttons to act on it."""
    risk, people = detail.risk, detail.people
    owner = people.get(risk.owner_id) if risk.owner_id else None
    target = (
        score_text(risk.target_likelihood, risk.target_impact)
        if risk.target_likelihood
        else "not set"
    )
    blocks: list[Block] = [
        header(f"{risk.ref} {risk.title}"),
        fields(
            [
                ("Score", risk_score_line(risk)),
                ("Target", target),
                ("Status", risk.status.label),
                ("Category", risk.category.label),
                ("Scope", scope_text(risk, detail.service)),
                ("Owner", mention(owner)),
                ("Review by", review_text(risk, detail.today)),
                ("Escalation route", safe(risk.escalation_route, 500) or "not set"),
            ]
        ),
    ]
    if risk.description:
        blocks.append(section(safe(risk.description)))
    blocks.append(section("*Score history*"))
    if detail.assessments:
        recent, hidden = cap_items(list(reversed(detail.assessments)), HISTORY_LIMIT)
        for a in recent:
            who = people.get(a.assessed_by_id) if a.assessed_by_id else None
            blocks.append(
                context(
                    f"{score_text(a.likelihood, a.impact)} by {mention(who)} "
                    f"{when(a.assessed_at)}: {safe(a.reason, 1500)}"
                )
            )
        if hidden:
            blocks.append(context(f"…and {hidden} earlier scorings"))
    else:
        blocks.append(context("Not scored yet; the quality lead scores each risk."))
    blocks.append(section(f"*Controls* ({len(detail.controls)})"))
    shown, hidden = cap_items(detail.controls, DETAIL_CONTROL_LIMIT)
    for control in shown:
        blocks.append(
            section(
                control_line(
                    control,
                    people.get(control.owner_id) if control.owner_id else None,
                    today=detail.today,
                ),
                accessory=control_menu(control),
            )
        )
    if hidden:
        blocks.append(context(f"…and {hidden} more controls"))
    if not detail.controls:
        blocks.append(context("No controls yet."))
    blocks.append(section(f"*Board decisions* ({len(detail.decisions)})"))
    recent_decisions, hidden = cap_items(list(reversed(detail.decisions)), DECISION_LIMIT)
    for decision in recent_decisions:
        blocks.append(context(decision_line(decision, people)))
    if hidden:
        blocks.append(context(f"…and {hidden} earlier decisions"))
    blocks.append(
        actions(
            [
                button("Score", ScoreIds.OPEN, risk.ref, style="primary"),
                button("Add control", ControlIds.ADD, risk.ref),
                button("Record decision", DecisionIds.OPEN, risk.ref),
                button("Edit", RiskIds.EDIT, risk.ref),
                button("Change status", RiskIds.STATUS, risk.ref),
            ]
        )
    )
    return f"{risk.ref} {risk.title}", fit_blocks(blocks, BLOCKS_PER_MESSAGE)
