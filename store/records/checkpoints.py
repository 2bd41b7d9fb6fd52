"""Implementation checkpoints: after each, owners say where every open control stands."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from store.infra.errors import NotFound
from store.records import audit, outbox
from store.records.actors import Actor, actor_id
from store.records.controls import by_ids as controls_by_ids
from store.records.models import Checkpoint, Control, ControlUpdate, Person
from store.records.outbox import Method, Notice
from store.records.permissions import Action, require
from store.records.text import required_text


def open_checkpoint(session: Session, *, actor: Actor, name: str, now: datetime) -> Checkpoint:
    """Open a checkpoint and ask each owner of open risk controls, once, for their status."""
    require(session, actor, Action.OPEN_CHECKPOINT)
    checkpoint = Checkpoint(
        name=required_text(name, field="name", label="The checkpoint name", limit=200),
        opened_by_id=actor_id(actor),
        opened_at=now,
    )
    session.add(checkpoint)
    audit.record_created(session, checkpoint, actor=actor, now=now)
    for owner in owners_with_open_controls(session):
        outbox.enqueue(
            session,
            key=f"checkpoint:{checkpoint.id}:ask:{owner.slack_user_id}",
            method=Method.DM,
            notice=Notice.CHECKPOINT_REQUEST,
            user=owner.slack_user_id,
            subject=str(checkpoint.id),
            now=now,
        )
    return checkpoint


def get_checkpoint(session: Session, checkpoint_id: int | str) -> Checkpoint:
    text = str(checkpoint_id).strip()
    checkpoint = session.get(Checkpoint, int(text)) if text.isdigit() else None
    if checkpoint is None:
        raise NotFound(f"There is no checkpoint {checkpoint_id}")
    return checkpoint


def latest_checkpoint(session: Session) -> Checkpoint | None:
    return session.exec(select(Checkpoint).order_by(col(Checkpoint.id).desc())).first()


def owners_with_open_controls(session: Session) -> list[Person]:
    query = (
        select(Person)
        .join(Control, col(Control.owner_id) == Person.id)
        .where(col(Control.risk_id).is_not(None))
        .where(Control.is_open)
        .distinct()
        .order_by(col(Person.id))
    )
    return list(session.exec(query))


@dataclass(frozen=True)
class OwnerProgress:
    owner: Person
    controls: list[Control]
    updates: list[ControlUpdate]

    @property
    def has_updated(self) -> bool:
        updated = {u.control_id for u in self.updates}
        return all(c.id in updated for c in self.controls)


def progress(session: Session, checkpoint: Checkpoint) -> list[OwnerProgress]:
    """Who has updated their controls since the checkpoint opened, and who has not."""
    controls = list(
        session.exec(
            select(Control)
            .where(col(Control.risk_id).is_not(None), col(Control.owner_id).is_not(None))
            .where(
                Control.is_open
                | col(Control.id).in_(
                    select(ControlUpdate.control_id).where(
                        ControlUpdate.checkpoint_id == checkpoint.id
                    )
                )
            )
        )
    )
    updates = list(
        session.exec(select(ControlUpdate).where(ControlUpdate.checkpoint_id == checkpoint.id))
    )
    owners = {
        p.id: p
        for p in session.exec(
            select(Person).where(col(Person.id).in_({c.owner_id for c in controls}))
        )
    }
    result = []
    for owner_id, owner in sorted(owners.items()):
        mine = [c for c in controls if c.owner_id == owner_id]
        ids = {c.id for c in mine}
        result.append(
            OwnerProgress(
                owner=owner, controls=mine, updates=[u for u in updates if u.control_id in ids]
            )
        )
    return result


def controls_for(session: Session, *, checkpoint: Checkpoint, person: Person) -> list[Control]:
    """One owner's risk controls this checkpoint asks about: those still open, and those they
    have already updated at it (so the message still shows them after a control closes)."""
    updated = select(ControlUpdate.control_id).where(ControlUpdate.checkpoint_id == checkpoint.id)
    query = (
        select(Control)
        .where(Control.owner_id == person.id, col(Control.risk_id).is_not(None))
        .where(Control.is_open | col(Control.id).in_(updated))
        .order_by(col(Control.risk_id), col(Control.id))
    )
    return list(session.exec(query))


def updates_at(session: Session, *, checkpoint: Checkpoint) -> list[ControlUpdate]:
    query = select(ControlUpdate).where(ControlUpdate.checkpoint_id == checkpoint.id)
    return list(session.exec(query.order_by(col(ControlUpdate.id))))


@dataclass(frozen=True)
class CheckpointReport:
    """A checkpoint's report: who has updated and who has not, with every control it names
    (one that closed since is still found by its update)."""

    checkpoint: Checkpoint
    progress: list[OwnerProgress]
    controls_by_id: dict[int, Control]


def report_of(session: Session, number: str | None) -> CheckpointReport:
    """The report of checkpoint ``number``, or of the latest when none is named."""
    checkpoint = get_checkpoint(session, number) if number else latest_checkpoint(session)
    if checkpoint is None:
        raise NotFound("No checkpoint has been opened yet")
    found = progress(session, checkpoint)
    by_id = {c.id: c for p in found for c in p.controls if c.id is not None}
    updated = {u.control_id for u in updates_at(session, checkpoint=checkpoint)}
    by_id |= controls_by_ids(session, ids=updated - by_id.keys())
    return CheckpointReport(checkpoint, found, by_id)
