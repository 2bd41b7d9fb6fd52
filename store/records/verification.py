"""Verified closure: a second pair of eyes before safe care is declared safe again.

Closing an issue that affected safe care, or completing a control on a high or extreme risk,
only asks for verification; the record waits, unchanged, until a registered manager of the
service or a quality lead (never the owner, never the person who asked) checks it and says
what they saw. Both the request and the check are audited, and the verifiers are told: each
is owed a ``REQUEST_NOTICE`` naming the item, which the chat face words.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from store.infra.errors import DomainError, PermissionDenied
from store.records import audit, outbox
from store.records.actors import Actor, SystemActor, actor_id
from store.records.enums import Band, Impact, Role
from store.records.models import (
    Control,
    Issue,
    Person,
    Risk,
    RoleGrant,
    Service,
    Verification,
    ident,
)
from store.records.outbox import Method
from store.records.people import holders
from store.records.scoring import band_for
from store.records.text import required_text

ISSUE = "issue"
CONTROL = "control"
PENDING = "pending"
VERIFIED = "verified"
WITHDRAWN = "withdrawn"
VERIFIER_ROLES = (Role.REGISTERED_MANAGER, Role.QUALITY_LEAD)
REQUEST_NOTICE = "verification_request"
"""A verifier is asked to check an item: the row's subject is the item's ref, its payload the
item's kind (``ISSUE`` or ``CONTROL``)."""


@dataclass(frozen=True)
class Checked:
    """What a second person verifies and whose it is: the verifiers are its service's (or,
    without one, everyone's), never its owner."""

    kind: str
    item_id: int
    ref: str
    service_id: int | None
    owner_id: int | None


def issue_checked(issue: Issue) -> Checked:
    return Checked(ISSUE, ident(issue), issue.ref, issue.service_id, issue.owner_id)


def control_checked(control: Control, *, service_id: int | None) -> Checked:
    """A control, checked by the verifiers of the service its risk or issue belongs to."""
    return Checked(CONTROL, ident(control), control.ref, service_id, control.owner_id)


class AlreadyRequested(DomainError):
    """The item already waits for a second person. It carries the ref and who may verify it,
    so a chat face can add how to verify it there."""

    def __init__(self, ref: str, who: str) -> None:
        super().__init__(f"{ref} is already waiting for verification. {who}.")
        self.ref = ref
        self.who = who


def issue_needs_verification(issue: Issue) -> bool:
    return issue.impact == Impact.SAFE_CARE


def control_needs_verification(session: Session, control: Control) -> bool:
    """A control on a risk now rated high or extreme."""
    if control.risk_id is None:
        return False
    risk = session.get(Risk, control.risk_id)
    return bool(risk and risk.score and band_for(risk.score) in (Band.HIGH, Band.EXTREME))


def pending(session: Session, *, kind: str, item_id: int) -> Verification | None:
    query = select(Verification).where(
        Verification.item_kind == kind,
        Verification.item_id == item_id,
        Verification.status == PENDING,
    )
    return session.exec(query.order_by(col(Verification.id).desc())).first()


def all_pending(session: Session) -> list[Verification]:
    query = select(Verification).where(Verification.status == PENDING)
    return list(session.exec(query.order_by(col(Verification.id))))


def history(session: Session, *, kind: str, item_id: int) -> list[Verification]:
    query = select(Verification).where(
        Verification.item_kind == kind, Verification.item_id == item_id
    )
    return list(session.exec(query.order_by(col(Verification.id))))


def who_can_verify(session: Session, *, service_id: int | None) -> str:
    """The refusal's second half, naming the service so the asker knows whom to find."""
    service = session.get(Service, service_id) if service_id is not None else None
    where = f" of {service.name}" if service is not None else ""
    return (
        f"A registered manager{where} or a quality lead can verify it, but not its owner "
        "and not the person who asked for it to be verified"
    )


def _is_verifier(session: Session, person: Person, service_id: int | None) -> bool:
    grants = session.exec(select(RoleGrant).where(RoleGrant.person_id == person.id))
    return any(
        grant.role in VERIFIER_ROLES
        and (grant.service_id is None or grant.service_id == service_id)
        for grant in grants
    )


def verifiers(
    session: Session, *, service_id: int | None, excluded: set[int | None]
) -> list[Person]:
    people: dict[int | None, Person] = {}
    for role in VERIFIER_ROLES:
        for person in holders(session, role, service_id=service_id):
            people.setdefault(person.id, person)
    return [person for pid, person in people.items() if pid not in excluded]


def request(
    session: Session,
    *,
    item: Checked,
    actor: Actor,
    evidence: str,
    now: datetime,
) -> Verification:
    """Ask for the second check and tell everyone who may give it."""
    if pending(session, kind=item.kind, item_id=item.item_id) is not None:
        raise AlreadyRequested(item.ref, who_can_verify(session, service_id=item.service_id))
    row = Verification(
        item_kind=item.kind,
        item_id=item.item_id,
        item_ref=item.ref,
        status=PENDING,
        requested_by_id=actor_id(actor),
        requested_at=now,
        request_evidence=evidence,
    )
    session.add(row)
    audit.record_created(session, row, actor=actor, now=now)
    excluded = {item.owner_id, actor_id(actor)}
    for person in verifiers(session, service_id=item.service_id, excluded=excluded):
        outbox.enqueue(
            session,
            key=f"verification:{row.id}:ask:{person.slack_user_id}",
            method=Method.DM,
            notice=REQUEST_NOTICE,
            user=person.slack_user_id,
            subject=item.ref,
            payload={"item": item.kind},
            now=now,
        )
    return row


def verify(
    session: Session,
    *,
    item: Checked,
    actor: Actor,
    evidence: str,
    now: datetime,
) -> Verification:
    """Record the second person's check; refused to the owner and to whoever asked."""
    row = pending(session, kind=item.kind, item_id=item.item_id)
    if row is None:
        raise DomainError(f"{item.ref} is not waiting for verification")
    if not isinstance(actor, SystemActor):
        refused = actor.id in (item.owner_id, row.requested_by_id) or not _is_verifier(
            session, actor, item.service_id
        )
        if refused:
            reason = (
                "You own it"
                if actor.id == item.owner_id
                else "You asked for it"
                if actor.id == row.requested_by_id
                else "You can't verify it"
            )
            raise PermissionDenied(
                f"{reason}, so you can't verify {item.ref}: a second person has to. "
                + who_can_verify(session, service_id=item.service_id)
                + "."
            )
    text = required_text(evidence, field="evidence", label="What you checked", limit=1000)
    with audit.audited(session, row, actor=actor, action="verified", now=now):
        row.status = VERIFIED
        row.verified_by_id = actor_id(actor)
        row.verified_at = now
        row.evidence = text
    return row


def withdraw(session: Session, *, kind: str, item_id: int, actor: Actor, now: datetime) -> None:
    """The item moved on (reopened, delayed): the old request no longer stands."""
    row = pending(session, kind=kind, item_id=item_id)
    if row is None:
        return
    with audit.audited(session, row, actor=actor, action="verification withdrawn", now=now):
        row.status = WITHDRAWN
