"""Block Kit for the risk register: risks, scores, controls, checkpoints, decisions and phases.

Pure functions from records to Slack payloads, so each view is tested as data and the
listeners in commands/ only fetch, call and send. Everything a person typed goes through
bot.escape; every list is capped so a long register can never break Slack's limits.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from bot.escape import (
    BLOCKS_PER_MESSAGE,
    BLOCKS_PER_VIEW,
    OPTION_TEXT,
    and_more,
    cap_items,
    fit_blocks,
    plain,
    safe,
)
from bot.ids import ControlIds, DecisionIds, RiskIds, ScoreIds
from bot.views.common import (
    RenderedMessage,
    actions,
    button,
    context,
    datepicker,
    day,
    fields,
    header,
    input_block,
    modal,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
    text_obj,
    user_mention,
    users_select,
    when,
)
from store.infra.errors import NotFound
from store.records import checkpoints, controls, people
from store.records.checkpoints import OwnerProgress
from store.records.enums import Band, ControlStatus, DecisionKind, RiskCategory, RiskStatus
from store.records.models import (
    Checkpoint,
    Control,
    ControlUpdate,
    Decision,
    Issue,
    OutboxMessage,
    Person,
    PhaseChange,
    Risk,
    RiskAssessment,
    Service,
)
from store.records.outbox import Notice
from store.records.scoring import IMPACT, LIKELIHOOD, band_for

Json = dict[str, Any]
Rendered = RenderedMessage

ORGANISATION = "organisation"
SERVICE_PREFIX = "service:"
LIST_LIMIT = 40
HISTORY_LIMIT = 5
DECISION_LIMIT = 5
DETAIL_CONTROL_LIMIT = 20
PRIORITY_OPTION_LIMIT = 10
DM_CONTROL_LIMIT = 20

BAND_MARK = {
    Band.LOW: ":large_green_circle:",
    Band.MODERATE: ":large_yellow_circle:",
    Band.HIGH: ":large_orange_circle:",
    Band.EXTREME: ":red_circle:",
}
STATUS_MARK = {
    ControlStatus.PLANNED: ":white_circle:",
    ControlStatus.IN_PROGRESS: ":large_blue_circle:",
    ControlStatus.COMPLETE: ":white_check_mark:",
    ControlStatus.DELAYED: ":hourglass_flowing_sand:",
    ControlStatus.INEFFECTIVE: ":x:",
}
UPDATE_STATUSES = (
    ControlStatus.IN_PROGRESS,
    ControlStatus.COMPLETE,
    ControlStatus.DELAYED,
    ControlStatus.INEFFECTIVE,
)


# ---------------------------------------------------------------------- small builders


def described_option(text: str, value: str, description: str) -> Json:
    """An option with the words that define it, as the 5x5 matrix needs."""
    return {**option(value, text), "description": text_obj(plain(description, OPTION_TEXT))}


def dispatching(block: Json) -> Json:
    """An input that tells the app as soon as it changes (the score shown at once)."""
    return {**block, "dispatch_action": True}


def _modal(
    callback_id: str,
    title: str,
    blocks: list[Json],
    *,
    submit: str | None = "Save",
    metadata: str = "",
) -> Json:
    return modal(
        callback_id,
        title,
        fit_blocks(blocks, BLOCKS_PER_VIEW),
        submit=submit,
        close="Cancel" if submit else "Close",
        private_metadata=metadata,
    )


def _user(person: Person | None) -> str | None:
    return None if person is None else person.slack_user_id


# ---------------------------------------------------------------------- words


def mention(person: Person | None) -> str:
    """A person as Slack shows them; the id is ours, never typed text."""
    return user_mention(_user(person))


def score_text(likelihood: int | None, impact: int | None) -> str:
    """The score and its band, as the score modal shows them at once."""
    if likelihood is None or impact is None:
        return "_Not scored yet_"
    score = likelihood * impact
    band = band_for(score)
    return f"{BAND_MARK[band]} *{score}* ({likelihood} × {impact}) · *{band.label}*"


def rating_options(scale: dict[int, tuple[str, str]]) -> list[Json]:
    return [
        described_option(f"{n} · {name}", str(n), meaning) for n, (name, meaning) in scale.items()
    ]


def risk_score_line(risk: Risk) -> str:
    return score_text(risk.likelihood, risk.impact)


def is_overdue(risk: Risk, today: date) -> bool:
    return risk.review_date is not None and risk.review_date < today


def review_text(risk: Risk, today: date) -> str:
    text = day(risk.review_date)
    return f"{text} :warning: *overdue*" if is_overdue(risk, today) else text


def scope_text(risk: Risk, service: Service | None) -> str:
    return safe(service.name, 200) if service is not None else "Whole organisation"


def control_line(control: Control, owner: Person | None, *, today: date | None = None) -> str:
    star = " :star: priority" if control.priority else ""
    due = f" · due {day(control.due_date)}" if control.due_date else ""
    late = (
        " :warning: *overdue*"
        if today and control.due_date and control.due_date < today and _open(control)
        else ""
    )
    return (
        f"{STATUS_MARK[control.status]} *{control.ref}* {safe(control.description, 1500)}\n"
        f"{control.status.label} · {mention(owner)}{due}{late}{star}"
    )


def _open(control: Control) -> bool:
    return control.status in (
        ControlStatus.PLANNED,
        ControlStatus.IN_PROGRESS,
        ControlStatus.DELAYED,
    )


# ---------------------------------------------------------------------- risk modals


def scope_options(services: list[Service], *, organisation: bool) -> list[Json]:
    whole = [option(ORGANISATION, "Whole organisation")] if organisation else []
    return [*whole, *(option(f"{SERVICE_PREFIX}{s.id}", s.name) for s in services)][:100]


def risk_add_modal(
    *, services: list[Service], default_service_id: int | None, organisation: bool = True
) -> Json:
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
    return _modal(RiskIds.ADD_VIEW, "Record a risk", blocks, submit="Record")


def risk_edit_modal(risk: Risk, *, owner: Person | None) -> Json:
    blocks = [
        context(f"*{risk.ref}*"),
        input_block(RiskIds.TITLE, "Risk", text_input(initial=risk.title, max_length=200)),
        input_block(
            RiskIds.DESCRIPTION,
            "What could happen, and to whom",
            text_input(multiline=True, initial=risk.description),
            optional=True,
        ),
        input_block(RiskIds.OWNER, "Risk owner", users_select(initial=_user(owner)), optional=True),
        input_block(
            RiskIds.ESCALATION_ROUTE,
            "Escalation route",
            text_input(initial=risk.escalation_route, max_length=300),
            optional=True,
        ),
    ]
    return _modal(RiskIds.EDIT_VIEW, f"Edit {risk.ref}", blocks, metadata=risk.ref)


def risk_status_modal(risk: Risk) -> Json:
    choices = [option(s.value, s.label) for s in RiskStatus if s != risk.status]
    blocks = [
        section(f"*{risk.ref}* {safe(risk.title, 500)} is *{risk.status.label.lower()}*."),
        input_block(RiskIds.NEW_STATUS, "New status", static_select(choices)),
        input_block(RiskIds.NOTE, "Why", text_input(multiline=True, max_length=1000)),
    ]
    return _modal(RiskIds.STATUS_VIEW, f"Status of {risk.ref}", blocks, metadata=risk.ref)


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
) -> tuple[str, list[Json]]:
    """The register, highest score first, one line per risk with an Open button."""
    if not risks:
        text = f"No risks match {described}." if described else "The register has no open risks."
        return text, [section(safe(text))]
    shown, _ = cap_items(risks, LIST_LIMIT)
    title = f"Risk register{f' · {described}' if described else ''}: {total}"
    blocks: list[Json] = [section(f"*{safe(title, 500)}*")]
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


def risk_detail(detail: RiskDetail) -> tuple[str, list[Json]]:
    """One risk with its score history, controls, decisions and the buttons to act on it."""
    risk, people = detail.risk, detail.people
    owner = people.get(risk.owner_id) if risk.owner_id else None
    target = (
        score_text(risk.target_likelihood, risk.target_impact)
        if risk.target_likelihood
        else "not set"
    )
    blocks: list[Json] = [
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


def control_menu(control: Control) -> Json:
    """Update or reassign a control from wherever it is listed."""
    return {
        "type": "overflow",
        "action_id": ControlIds.MENU,
        "options": [
            option(f"update:{control.id}", "Update status"),
            option(f"assign:{control.id}", "Assign owner or due date"),
        ],
    }


def decision_line(decision: Decision, people: dict[int, Person]) -> str:
    by = people.get(decision.decided_by_id) if decision.decided_by_id else None
    owner = people.get(decision.owner_id) if decision.owner_id else None
    parts = [f"*{decision.kind.label}* by {mention(by)} {when(decision.decided_at)}"]
    parts.append(safe(decision.summary, 1500))
    extra = []
    if owner is not None:
        extra.append(f"owner {mention(owner)}")
    if decision.escalation_route:
        extra.append(f"escalation: {safe(decision.escalation_route, 300)}")
    if decision.follow_up_date:
        extra.append(f"follow up {day(decision.follow_up_date)}")
    return ": ".join(parts) + (f" ({', '.join(extra)})" if extra else "")


# ---------------------------------------------------------------------- scoring


def score_modal(
    risk: Risk,
    *,
    likelihood: int | None,
    impact: int | None,
    open_controls: list[Control],
) -> Json:
    """Likelihood and impact with the NHS words for each; the score and band beside them."""
    l_options = rating_options(LIKELIHOOD)
    i_options = rating_options(IMPACT)
    blocks: list[Json] = [
        context(f"*{risk.ref}* {safe(risk.title, 500)} · now {risk_score_line(risk)}"),
        dispatching(
            input_block(
                ScoreIds.LIKELIHOOD,
                "Likelihood",
                static_select(l_options, initial=_str(likelihood)),
            )
        ),
        dispatching(
            input_block(ScoreIds.IMPACT, "Impact", static_select(i_options, initial=_str(impact)))
        ),
        section(score_text(likelihood, impact), block_id=ScoreIds.RESULT),
        input_block(
            ScoreIds.REASON,
            "Why this score",
            text_input(multiline=True, max_length=1000),
            hint="Kept in the score history with your name and the time.",
        ),
        input_block(
            ScoreIds.REVIEW_DATE, "Review by", datepicker(initial=risk.review_date), optional=True
        ),
        input_block(
            ScoreIds.TARGET_LIKELIHOOD,
            "Target likelihood once controls work",
            static_select(l_options, initial=_str(risk.target_likelihood)),
            optional=True,
        ),
        input_block(
            ScoreIds.TARGET_IMPACT,
            "Target impact once controls work",
            static_select(i_options, initial=_str(risk.target_impact)),
            optional=True,
        ),
    ]
    choices, _ = cap_items(open_controls, PRIORITY_OPTION_LIMIT)
    if choices:
        options = [option(str(c.id), f"{c.ref} {c.description}") for c in choices]
        checkboxes: Json = {"type": "checkboxes", "options": options}
        initial = [o for o, c in zip(options, choices, strict=True) if c.priority]
        if initial:
            checkboxes["initial_options"] = initial
        blocks.append(
            input_block(ScoreIds.PRIORITY, "Priority controls", checkboxes, optional=True)
        )
    return _modal(ScoreIds.VIEW, f"Score {risk.ref}", blocks, metadata=risk.ref)


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------- controls


def control_add_modal(risk: Risk) -> Json:
    blocks = [
        context(f"*{risk.ref}* {safe(risk.title, 500)}"),
        input_block(ControlIds.DESCRIPTION, "Control", text_input(multiline=True, max_length=1000)),
        input_block(ControlIds.OWNER, "Owner", users_select(), optional=True),
        input_block(ControlIds.DUE_DATE, "Due by", datepicker(), optional=True),
        input_block(
            ControlIds.PRIORITY,
            "Priority",
            {"type": "checkboxes", "options": [option("yes", "Priority control")]},
            optional=True,
            hint="The quality lead sets priority controls.",
        ),
    ]
    return _modal(ControlIds.ADD_VIEW, f"Control on {risk.ref}", blocks, metadata=risk.ref)


def control_assign_modal(control: Control, *, owner: Person | None) -> Json:
    blocks = [
        context(f"*{control.ref}* {safe(control.description, 1500)}"),
        input_block(ControlIds.OWNER, "Owner", users_select(initial=_user(owner))),
        input_block(
            ControlIds.DUE_DATE, "Due by", datepicker(initial=control.due_date), optional=True
        ),
    ]
    return _modal(ControlIds.ASSIGN_VIEW, f"Assign {control.ref}", blocks, metadata=str(control.id))


def control_update_modal(
    control: Control, *, status: ControlStatus | None, checkpoint_id: int | None
) -> Json:
    """Complete, delayed (new date and reason) or ineffective (a note, then what next)."""
    choices = [option(s.value, s.label) for s in UPDATE_STATUSES]
    radios = radio_buttons(choices, initial=status.value if status else None)
    blocks = [
        context(
            f"*{control.ref}* {safe(control.description, 1500)}\n"
            f"Now {control.status.label.lower()}, due {day(control.due_date)}"
        ),
        input_block(ControlIds.STATUS, "Status", radios),
        input_block(
            ControlIds.DUE_DATE,
            "New due date",
            datepicker(),
            optional=True,
            hint="Needed when the control is delayed.",
        ),
        input_block(
            ControlIds.NOTE,
            "Note",
            text_input(multiline=True, max_length=1000),
            optional=True,
            hint="Needed when delayed (why) or ineffective (what is not working).",
        ),
    ]
    metadata = f"{control.id}:{checkpoint_id or ''}"
    return _modal(ControlIds.UPDATE_VIEW, f"Update {control.ref}", blocks, metadata=metadata)


def control_next_step_view(control: Control, risk: Risk) -> Json:
    """After an ineffective control: rescore the risk, or give it another control."""
    blocks = [
        section(
            f":x: *{control.ref}* is recorded as ineffective.\n"
            f"*{risk.ref}* {safe(risk.title, 500)} may need a new score or another control."
        ),
        actions(
            [
                button("Rescore the risk", ScoreIds.OPEN, risk.ref, style="primary"),
                button("Add another control", ControlIds.ADD, risk.ref),
            ]
        ),
    ]
    return _modal(ControlIds.NEXT_STEP_VIEW, "What next?", blocks, submit=None, metadata=risk.ref)


def control_buttons(control: Control, *, checkpoint_id: int | None = None) -> Json:
    """Complete, Delayed… and Ineffective… for one control, as DMs and App Home show them."""
    value = f"{control.id}:{checkpoint_id}" if checkpoint_id else str(control.id)
    return actions(
        [
            button("Complete", ControlIds.COMPLETE, value, style="primary"),
            button("Delayed…", ControlIds.DELAYED, value),
            button("Ineffective…", ControlIds.INEFFECTIVE, value, style="danger"),
        ],
        block_id=f"control_actions_{control.id}",
    )


def control_blocks(
    control: Control,
    risk: Risk | None,
    owner: Person | None,
    *,
    today: date | None = None,
    checkpoint_id: int | None = None,
) -> list[Json]:
    """A control with its risk and, while it is open, the buttons to update it."""
    on_risk = f"\n_on {risk.ref} {safe(risk.title, 300)}_" if risk is not None else ""
    blocks = [section(control_line(control, owner, today=today) + on_risk)]
    if _open(control):
        blocks.append(control_buttons(control, checkpoint_id=checkpoint_id))
    return blocks


def control_assigned_message(
    control: Control, risk: Risk | None, owner: Person | None, *, today: date | None = None
) -> tuple[str, list[Json]]:
    text = f"You own control {control.ref}" + (f" on {risk.ref}" if risk else "")
    blocks = [
        section(f":clipboard: *{text}.* Update it here when its status changes."),
        *control_blocks(control, risk, owner, today=today),
    ]
    return text, blocks


# ---------------------------------------------------------------------- checkpoints


def checkpoint_request(
    checkpoint: Checkpoint,
    items: list[tuple[Control, Risk | None]],
    *,
    owner: Person | None,
    today: date | None = None,
) -> tuple[str, list[Json]]:
    """One DM per owner: each control with buttons, answered at this checkpoint."""
    name = safe(checkpoint.name, 500)
    text = f"Checkpoint: {checkpoint.name}. Where does each of your controls stand?"
    blocks: list[Json] = [
        section(
            f":round_pushpin: *Checkpoint: {name}*\nWhere does each of your controls stand? "
            "Mark each one complete, delayed (with a new date) or ineffective."
        )
    ]
    shown, hidden = cap_items(items, DM_CONTROL_LIMIT)
    for control, risk in shown:
        blocks.extend(
            control_blocks(control, risk, owner, today=today, checkpoint_id=checkpoint.id)
        )
    if hidden:
        blocks.append(context(f"…and {hidden} more; see them in App Home"))
    if not items:
        blocks.append(context("You have no open controls now. Thank you."))
    return text, fit_blocks(blocks, BLOCKS_PER_MESSAGE)


def checkpoint_report(
    checkpoint: Checkpoint,
    progress: list[OwnerProgress],
    *,
    controls_by_id: dict[int, Control],
) -> tuple[str, list[Json]]:
    """Who has updated and what changed, and who has not."""
    done = [p for p in progress if p.has_updated]
    waiting = [p for p in progress if not p.has_updated]
    text = f"Checkpoint {checkpoint.name}: {len(done)} updated, {len(waiting)} not yet"
    blocks: list[Json] = [
        header(f"Checkpoint: {checkpoint.name}"),
        context(f"Opened {when(checkpoint.opened_at)} · {len(done)} of {len(progress)} updated"),
    ]
    changes = []
    for p in progress:
        for update in p.updates:
            changes.append(_change_line(p.owner, update, controls_by_id.get(update.control_id)))
    blocks.extend(_chunks("*What changed*", changes or ["_No updates yet._"]))
    lines = []
    for p in waiting:
        answered = {u.control_id for u in p.updates}
        left = [c for c in p.controls if c.id not in answered]
        refs = ", ".join(c.ref for c in left[:10]) + (" …" if len(left) > 10 else "")
        lines.append(f"{mention(p.owner)}: {len(left)} of {len(p.controls)} waiting ({refs})")
    blocks.extend(_chunks("*Not yet updated*", lines or ["_Everyone has updated._"]))
    return text, fit_blocks(blocks, BLOCKS_PER_MESSAGE)


def _change_line(owner: Person, update: ControlUpdate, control: Control | None) -> str:
    ref = control.ref if control is not None else f"C-{update.control_id}"
    line = f"{mention(owner)} {ref}: {update.old_status.label} → *{update.new_status.label}*"
    if update.new_due_date and update.new_due_date != update.old_due_date:
        line += f", due {day(update.new_due_date)}"
    if update.note:
        line += f": {safe(update.note, 300)}"
    return line


def _chunks(title: str, lines: list[str], limit: int = 2900) -> list[Json]:
    """Lines packed into sections under Slack's 3000-character limit."""
    blocks: list[Json] = []
    current = title
    for line in lines:
        if len(current) + len(line) + 1 > limit:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(section(current))
    return blocks


# ---------------------------------------------------------------------- decisions


def decision_modal(subject_ref: str, subject_title: str) -> Json:
    """Accept, add control, delay rollout, escalate to supplier or close, with who and when."""
    kinds = [option(k.value, k.label) for k in DecisionKind]
    blocks = [
        context(f"*{subject_ref}* {safe(subject_title, 500)}"),
        input_block(DecisionIds.KIND, "Decision", radio_buttons(kinds)),
        input_block(
            DecisionIds.SUMMARY,
            "What the board decided, and why",
            text_input(multiline=True, max_length=2000),
        ),
        input_block(DecisionIds.OWNER, "Owner of the follow-up", users_select(), optional=True),
        input_block(
            DecisionIds.ESCALATION_ROUTE,
            "Escalation route",
            text_input(max_length=300),
            optional=True,
        ),
        input_block(DecisionIds.FOLLOW_UP, "Follow up by", datepicker(), optional=True),
    ]
    return _modal(DecisionIds.VIEW, "Board decision", blocks, submit="Record", metadata=subject_ref)


def decision_message(
    decision: Decision, *, subject_ref: str, subject_title: str, people: dict[int, Person]
) -> tuple[str, list[Json]]:
    text = f"Board decision on {subject_ref}: {decision.kind.label}"
    blocks = [
        section(
            f":classical_building: *Board decision on {subject_ref}* {safe(subject_title, 300)}"
        ),
        section(decision_line(decision, people)),
    ]
    return text, blocks


# ---------------------------------------------------------------------- phase


def phase_message(change: PhaseChange, *, set_by: Person | None) -> tuple[str, list[Json]]:
    text = f"The go-live project is now in {change.phase.label.lower()}"
    line = f":rocket: *{text}.* Set by {mention(set_by)} {when(change.set_at)}."
    blocks = [section(line)]
    if change.note:
        blocks.append(context(safe(change.note, 2000)))
    return text, blocks


# ---------------------------------------------------------------------- notices


def checkpoint_message(session: Session, *, checkpoint: Checkpoint, owner: Person) -> Rendered:
    """The checkpoint DM as it stands now: sent by the outbox, redrawn after each click."""
    items = [
        (control, controls.risk_of(session, control))
        for control in checkpoints.controls_for(session, checkpoint=checkpoint, person=owner)
    ]
    text, blocks = checkpoint_request(checkpoint, items, owner=owner)
    return RenderedMessage(text, blocks)


def render_checkpoint_request(session: Session, message: OutboxMessage) -> Rendered:
    checkpoint = checkpoints.get_checkpoint(session, message.subject or "")
    owner = people.get_person(session, message.user or "")
    return checkpoint_message(session, checkpoint=checkpoint, owner=owner)


def render_control_assigned(session: Session, message: OutboxMessage) -> Rendered:
    control = controls.get_control(session, message.subject or "")
    owner = session.get(Person, control.owner_id) if control.owner_id else None
    text, blocks = control_assigned_message(control, controls.risk_of(session, control), owner)
    return RenderedMessage(text, blocks)


def decision_subject(session: Session, decision: Decision) -> tuple[str, str]:
    """The reference and a title for what the board decided about (a risk or an issue)."""
    if decision.risk_id is not None:
        risk = session.get(Risk, decision.risk_id)
        if risk is not None:
            return risk.ref, risk.title
    issue = session.get(Issue, decision.issue_id) if decision.issue_id is not None else None
    if issue is None:
        raise NotFound(f"Decision {decision.id} is about nothing golive knows")
    return issue.ref, f"{issue.category.label}: {plain(issue.description, 200)}"


def render_decision(session: Session, message: OutboxMessage) -> Rendered:
    decision = session.get(Decision, int(message.subject or 0))
    if decision is None:
        raise NotFound(f"There is no decision {message.subject}")
    ref, title = decision_subject(session, decision)
    names = people.by_ids(session, ids={decision.decided_by_id, decision.owner_id})
    text, blocks = decision_message(decision, subject_ref=ref, subject_title=title, people=names)
    return RenderedMessage(text, blocks)


def render_phase(session: Session, message: OutboxMessage) -> Rendered:
    change = session.get(PhaseChange, int(message.subject or 0))
    if change is None:
        raise NotFound(f"There is no phase change {message.subject}")
    set_by = session.get(Person, change.set_by_id) if change.set_by_id else None
    text, blocks = phase_message(change, set_by=set_by)
    return RenderedMessage(text, blocks)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Rendered]] = {
    Notice.CHECKPOINT_REQUEST: render_checkpoint_request,
    Notice.CONTROL_ASSIGNED: render_control_assigned,
    Notice.DECISION_RECORDED: render_decision,
    Notice.PHASE_CHANGED: render_phase,
}
