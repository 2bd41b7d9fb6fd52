"""Block Kit for implementation checkpoints: the direct message asking each owner where their
controls stand, redrawn after each answer, and the report of who has answered."""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from bot.escape import BLOCKS_PER_MESSAGE, cap_items, fit_blocks, safe
from bot.views.common import Block, RenderedMessage, context, day, header, mention, section, when
from bot.views.controls import DM_CONTROL_LIMIT, control_blocks
from store.records import checkpoints, controls, people
from store.records.checkpoints import OwnerProgress
from store.records.models import Checkpoint, Control, ControlUpdate, OutboxMessage, Person, Risk
from store.records.outbox import Notice


def checkpoint_request(
    checkpoint: Checkpoint,
    items: list[tuple[Control, Risk | None]],
    *,
    owner: Person | None,
    today: date | None = None,
) -> tuple[str, list[Block]]:
    """One DM per owner: each control with buttons, answered at this checkpoint."""
    name = safe(checkpoint.name, 500)
    text = f"Checkpoint: {checkpoint.name}. Where does each of your controls stand?"
    blocks: list[Block] = [
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
) -> tuple[str, list[Block]]:
    """Who has updated and what changed, and who has not."""
    done = [p for p in progress if p.has_updated]
    waiting = [p for p in progress if not p.has_updated]
    text = f"Checkpoint {checkpoint.name}: {len(done)} updated, {len(waiting)} not yet"
    blocks: list[Block] = [
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


def _chunks(title: str, lines: list[str], limit: int = 2900) -> list[Block]:
    """Lines packed into sections under Slack's 3000-character limit."""
    blocks: list[Block] = []
    current = title
    for line in lines:
        if len(current) + len(line) + 1 > limit:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(section(current))
    return blocks


# ---------------------------------------------------------------------- notices


def checkpoint_message(
    session: Session, *, checkpoint: Checkpoint, owner: Person
) -> RenderedMessage:
    """The checkpoint DM as it stands now: sent by the outbox, redrawn after each click."""
    items = [
        (control, controls.risk_of(session, control))
        for control in checkpoints.controls_for(session, checkpoint=checkpoint, person=owner)
    ]
    text, blocks = checkpoint_request(checkpoint, items, owner=owner)
    return RenderedMessage(text, blocks)


def render_checkpoint_request(session: Session, message: OutboxMessage) -> RenderedMessage:
    checkpoint = checkpoints.get_checkpoint(session, message.subject or "")
    owner = people.get_person(session, message.user or "")
    return checkpoint_message(session, checkpoint=checkpoint, owner=owner)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    Notice.CHECKPOINT_REQUEST: render_checkpoint_request,
}
