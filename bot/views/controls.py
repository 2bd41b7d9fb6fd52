"""Block Kit for controls: adding, assigning and updating one, its line in every list, the
buttons its owner answers with, and the direct message that tells them they hold it."""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from bot.escape import safe
from bot.ids import ControlIds, ScoreIds
from bot.views.common import (
    Block,
    RenderedMessage,
    actions,
    button,
    context,
    datepicker,
    day,
    form_modal,
    input_block,
    mention,
    option,
    radio_buttons,
    section,
    slack_id,
    text_input,
    users_select,
)
from store.records import controls, people
from store.records.enums import ControlStatus
from store.records.models import Control, OutboxMessage, Person, Risk
from store.records.outbox import Notice

DM_CONTROL_LIMIT = 20
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


# ---------------------------------------------------------------------- a control in a list


def control_line(control: Control, owner: Person | None, *, today: date | None = None) -> str:
    star = " :star: priority" if control.priority else ""
    due = f" · due {day(control.due_date)}" if control.due_date else ""
    late = " :warning: *overdue*" if today is not None and control.is_overdue(today) else ""
    return (
        f"{STATUS_MARK[control.status]} *{control.ref}* {safe(control.description, 1500)}\n"
        f"{control.status.label} · {mention(owner)}{due}{late}{star}"
    )


def control_menu(control: Control) -> Block:
    """Update or reassign a control from wherever it is listed."""
    return {
        "type": "overflow",
        "action_id": ControlIds.MENU,
        "options": [
            option(f"update:{control.id}", "Update status"),
            option(f"assign:{control.id}", "Assign owner or due date"),
        ],
    }


def control_buttons(control: Control, *, checkpoint_id: int | None = None) -> Block:
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
) -> list[Block]:
    """A control with its risk and, while it is open, the buttons to update it."""
    on_risk = f"\n_on {risk.ref} {safe(risk.title, 300)}_" if risk is not None else ""
    blocks = [section(control_line(control, owner, today=today) + on_risk)]
    if control.is_open:
        blocks.append(control_buttons(control, checkpoint_id=checkpoint_id))
    return blocks


# ---------------------------------------------------------------------- modals


def control_add_modal(risk: Risk) -> Block:
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
    return form_modal(ControlIds.ADD_VIEW, f"Control on {risk.ref}", blocks, metadata=risk.ref)


def control_assign_modal(control: Control, *, owner: Person | None) -> Block:
    blocks = [
        context(f"*{control.ref}* {safe(control.description, 1500)}"),
        input_block(ControlIds.OWNER, "Owner", users_select(initial=slack_id(owner))),
        input_block(
            ControlIds.DUE_DATE, "Due by", datepicker(initial=control.due_date), optional=True
        ),
    ]
    return form_modal(
        ControlIds.ASSIGN_VIEW, f"Assign {control.ref}", blocks, metadata=str(control.id)
    )


def control_update_modal(
    control: Control, *, status: ControlStatus | None, checkpoint_id: int | None
) -> Block:
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
    return form_modal(ControlIds.UPDATE_VIEW, f"Update {control.ref}", blocks, metadata=metadata)


def control_next_step_view(control: Control, risk: Risk) -> Block:
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
    return form_modal(
        ControlIds.NEXT_STEP_VIEW, "What next?", blocks, submit=None, metadata=risk.ref
    )


# ---------------------------------------------------------------------- notices


def control_assigned_message(
    control: Control, risk: Risk | None, owner: Person | None, *, today: date | None = None
) -> tuple[str, list[Block]]:
    text = f"You own control {control.ref}" + (f" on {risk.ref}" if risk else "")
    blocks = [
        section(f":clipboard: *{text}.* Update it here when its status changes."),
        *control_blocks(control, risk, owner, today=today),
    ]
    return text, blocks


def render_control_assigned(session: Session, message: OutboxMessage) -> RenderedMessage:
    control = controls.get_control(session, message.subject or "")
    owner = people.person_by_id(session, person_id=control.owner_id)
    text, blocks = control_assigned_message(control, controls.risk_of(session, control), owner)
    return RenderedMessage(text, blocks)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    Notice.CONTROL_ASSIGNED: render_control_assigned,
}
