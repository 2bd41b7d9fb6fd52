"""The project phase, which sets how often the register and issues are reviewed."""

from datetime import datetime

from sqlmodel import Session, col, select

from store.infra.errors import DomainError
from store.records import audit, outbox
from store.records.actors import Actor, actor_id
from store.records.channels import channel_for
from store.records.enums import ChannelPurpose, Phase
from store.records.models import PhaseChange
from store.records.outbox import Method, Notice
from store.records.permissions import Action, require
from store.records.text import clean_text

DEFAULT_PHASE = Phase.PRE_GO_LIVE


def current(session: Session) -> PhaseChange | None:
    query = select(PhaseChange).order_by(col(PhaseChange.set_at).desc(), col(PhaseChange.id).desc())
    return session.exec(query).first()


def current_phase(session: Session) -> Phase:
    change = current(session)
    return DEFAULT_PHASE if change is None else change.phase


def phase_at(session: Session, when: datetime) -> Phase:
    query = (
        select(PhaseChange)
        .where(col(PhaseChange.set_at) <= when)
        .order_by(col(PhaseChange.set_at).desc(), col(PhaseChange.id).desc())
    )
    change = session.exec(query).first()
    return DEFAULT_PHASE if change is None else change.phase


def change_by_id(session: Session, *, change_id: int) -> PhaseChange | None:
    return session.get(PhaseChange, change_id)


def history(session: Session) -> list[PhaseChange]:
    return list(session.exec(select(PhaseChange).order_by(col(PhaseChange.set_at))))


def set_phase(
    session: Session, *, actor: Actor, phase: Phase, note: str | None = None, now: datetime
) -> PhaseChange:
    """Enter a phase and announce it to the board channel."""
    require(session, actor, Action.SET_PHASE)
    if current_phase(session) == phase and current(session) is not None:
        raise DomainError(f"The project is already in {phase.label.lower()}")
    change = PhaseChange(
        phase=phase,
        note=clean_text(note, field="note", label="The note", limit=1000, required=False) or "",
        set_by_id=actor_id(actor),
        set_at=now,
    )
    session.add(change)
    audit.record_created(session, change, actor=actor, now=now)
    board = channel_for(session, ChannelPurpose.BOARD)
    if board:
        outbox.enqueue(
            session,
            key=f"phase:{change.id}:announce",
            method=Method.POST,
            notice=Notice.PHASE_CHANGED,
            channel=board,
            subject=str(change.id),
            now=now,
        )
    return change
