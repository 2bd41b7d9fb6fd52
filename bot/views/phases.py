"""Block Kit for the go-live project's phase: the notice posted when it changes."""

from collections.abc import Callable

from sqlmodel import Session

from bot.escape import safe
from bot.views.common import Block, RenderedMessage, context, mention, section, when
from store.infra.errors import NotFound
from store.records import people, phases
from store.records.models import OutboxMessage, Person, PhaseChange
from store.records.outbox import Notice


def phase_message(change: PhaseChange, *, set_by: Person | None) -> tuple[str, list[Block]]:
    text = f"The go-live project is now in {change.phase.label.lower()}"
    line = f":rocket: *{text}.* Set by {mention(set_by)} {when(change.set_at)}."
    blocks = [section(line)]
    if change.note:
        blocks.append(context(safe(change.note, 2000)))
    return text, blocks


def render_phase(session: Session, message: OutboxMessage) -> RenderedMessage:
    change = phases.change_by_id(session, change_id=int(message.subject or 0))
    if change is None:
        raise NotFound(f"There is no phase change {message.subject}")
    set_by = people.person_by_id(session, person_id=change.set_by_id)
    text, blocks = phase_message(change, set_by=set_by)
    return RenderedMessage(text, blocks)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    Notice.PHASE_CHANGED: render_phase,
}
