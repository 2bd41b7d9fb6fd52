"""The risk register's forms, said once for every chat face: recording a risk, changing its
status, scoring it, adding a control and updating one, and a board decision.

Each face draws a form its own way (a Slack modal, a Teams Adaptive Card dialog) with the
``RegisterField`` names as its input ids, and reads the answers here, so a form refuses the
same answers in the same words wherever it is typed. Only the person pickers differ (a Slack
user, a golive person in Teams), so each reader is handed the face's own way of reading an
owner, called where the form asks for one.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from store.infra.errors import ValidationError
from store.records import controls, people, risks
from store.records.enums import (
    Band,
    ControlStatus,
    DecisionKind,
    RiskCategory,
    RiskScope,
    RiskStatus,
)
from store.records.fields import FieldReader, FormResult
from store.records.models import Person, Risk

Owner = TypeVar("Owner")

ORGANISATION = "organisation"
"""The scope answer for a risk to the whole organisation; a service's is ``service:<id>``."""
SERVICE_PREFIX = "service:"


class RegisterField(StrEnum):
    """The register forms' inputs; each is the store field its answer fills."""

    TITLE = "title"
    DESCRIPTION = "description"
    CATEGORY = "category"
    SCOPE = "service"
    OWNER = "owner"
    ESCALATION_ROUTE = "escalation_route"
    CONTROLS = "controls"
    REVIEW_DATE = "review_date"
    STATUS = "status"
    NOTE = "note"
    LIKELIHOOD = "likelihood"
    IMPACT = "impact"
    REASON = "reason"
    TARGET_LIKELIHOOD = "target_likelihood"
    TARGET_IMPACT = "target_impact"
    PRIORITY = "priority"
    DUE_DATE = "due_date"
    KIND = "kind"
    SUMMARY = "summary"
    FOLLOW_UP = "follow_up_date"


F = RegisterField


# ---------------------------------------------------------------------- a risk


@dataclass(frozen=True)
class NewRiskForm(Generic[Owner]):
    """The new risk as typed, and the owner picked (found or created with the risk)."""

    risk: risks.NewRisk
    owner: Owner | None


def read_new_risk(
    form: FieldReader, *, owner: Callable[[], Owner | None]
) -> FormResult[NewRiskForm[Owner]]:
    title = form.text(F.TITLE, label="The risk", required=True)
    description = form.text(F.DESCRIPTION, label="The description") or ""
    category = form.choice(F.CATEGORY, RiskCategory, label="A category")
    scope = str(form.values.get(F.SCOPE) or "")
    if scope != ORGANISATION and not scope.startswith(SERVICE_PREFIX):
        form.errors[F.SCOPE] = "Choose the whole organisation or one service"
    picked = owner()
    route = form.text(F.ESCALATION_ROUTE, label="The escalation route")
    first = form.text(F.CONTROLS, label="The first controls") or ""
    review = form.day(F.REVIEW_DATE, label="The review date")
    if title is None or category is None:
        return form.invalid()
    service = scope.removeprefix(SERVICE_PREFIX)
    service_id = int(service) if service.isdigit() else None
    data = risks.NewRisk(
        title=title,
        description=description,
        category=category,
        scope=RiskScope.ORGANISATION if service_id is None else RiskScope.SERVICE,
        service_id=service_id,
        owner_id=None,
        escalation_route=route,
        review_date=review,
        first_controls=[line for line in first.splitlines() if line.strip()],
    )
    return form.result(NewRiskForm(data, picked))


@dataclass(frozen=True)
class RiskEdit(Generic[Owner]):
    title: str
    description: str
    owner: Owner | None
    escalation_route: str


def read_risk_edit(
    form: FieldReader, *, owner: Callable[[], Owner | None]
) -> FormResult[RiskEdit[Owner]]:
    title = form.text(F.TITLE, label="The risk", required=True)
    description = form.text(F.DESCRIPTION, label="The description") or ""
    picked = owner()
    route = form.text(F.ESCALATION_ROUTE, label="The escalation route") or ""
    if title is None:
        return form.invalid()
    return form.result(RiskEdit(title, description, picked, route))


@dataclass(frozen=True)
class StatusChange:
    status: RiskStatus
    note: str


def read_status_change(form: FieldReader) -> FormResult[StatusChange]:
    status = form.choice(F.STATUS, RiskStatus, label="A status")
    note = form.text(F.NOTE, label="The reason", required=True)
    if status is None or note is None:
        return form.invalid()
    return form.result(StatusChange(status, note))


# ---------------------------------------------------------------------- a score


@dataclass(frozen=True)
class Scoring:
    """A submitted score: the rating and why, with the optional review date, target and the
    controls made priority (of those the form offered)."""

    likelihood: int
    impact: int
    reason: str
    review_date: date | None
    target: tuple[str, str] | None
    priority_ids: set[int]
    offered: set[int]


def read_score(form: FieldReader, *, offered: set[int]) -> FormResult[Scoring]:
    """``offered`` are the controls the form listed, so a control it did not show keeps its
    priority whatever comes back."""
    likelihood = form.integer(F.LIKELIHOOD, label="A likelihood")
    impact = form.integer(F.IMPACT, label="An impact")
    reason = form.text(F.REASON, label="The reason for this score", required=True)
    review = form.day(F.REVIEW_DATE, label="The review date")
    target_l = form.values.get(F.TARGET_LIKELIHOOD)
    target_i = form.values.get(F.TARGET_IMPACT)
    if bool(target_l) != bool(target_i):
        missing = F.TARGET_IMPACT if target_l else F.TARGET_LIKELIHOOD
        form.errors[missing] = "A target needs both a likelihood and an impact"
    if likelihood is None or impact is None or reason is None:
        return form.invalid()
    chosen: Sequence[Any] = form.values.get(F.PRIORITY) or []
    priority_ids = {int(v) for v in chosen if str(v).isdigit()}
    target = (str(target_l), str(target_i)) if target_l and target_i else None
    return form.result(Scoring(likelihood, impact, reason, review, target, priority_ids, offered))


def record_scoring(
    session: Session, *, actor: Person, ref: str, scoring: Scoring, now: datetime
) -> Risk:
    """The score with its reason, then the review date, target and priority controls that
    changed, in the caller's one transaction, each in the audit trail."""
    risk = risks.score_risk(
        session,
        actor=actor,
        ref=ref,
        likelihood=scoring.likelihood,
        impact=scoring.impact,
        reason=scoring.reason,
        now=now,
    )
    review = scoring.review_date
    if review is not None and review != risk.review_date:
        risks.set_review_date(session, actor=actor, ref=ref, review_date=review, now=now)
    target = scoring.target
    if target is not None and target != (str(risk.target_likelihood), str(risk.target_impact)):
        risks.set_target(
            session, actor=actor, ref=ref, likelihood=target[0], impact=target[1], now=now
        )
    for control in risks.open_controls_of(session, risk):
        wanted = control.id in scoring.priority_ids
        if control.id in scoring.offered and control.priority != wanted:
            controls.set_priority(session, actor=actor, control=control, priority=wanted, now=now)
    return risk


# ---------------------------------------------------------------------- a control


@dataclass(frozen=True)
class StatusUpdate:
    status: ControlStatus
    new_due_date: date | None
    note: str | None


def read_control_update(form: FieldReader) -> FormResult[StatusUpdate]:
    status = form.choice(F.STATUS, ControlStatus, label="A status")
    new_due = form.day(F.DUE_DATE, label="The new due date")
    note = form.text(F.NOTE, label="The note")
    if status is None:
        return form.invalid()
    return form.result(StatusUpdate(status, new_due, note))


@dataclass(frozen=True)
class NewControl(Generic[Owner]):
    description: str
    owner: Owner | None
    due_date: date | None
    priority: bool


def read_new_control(
    form: FieldReader, *, owner: Callable[[], Owner | None]
) -> FormResult[NewControl[Owner]]:
    description = form.text(F.DESCRIPTION, label="The control", required=True)
    picked = owner()
    due = form.day(F.DUE_DATE, label="The due date")
    priority = bool(form.values.get(F.PRIORITY))
    if description is None:
        return form.invalid()
    return form.result(NewControl(description, picked, due, priority))


@dataclass(frozen=True)
class Assignment(Generic[Owner]):
    owner: Owner
    due_date: date | None


def read_assignment(
    form: FieldReader, *, owner: Callable[[], Owner | None]
) -> FormResult[Assignment[Owner]]:
    """A control's owner (the face's picker must insist on one) and its due date."""
    picked = owner()
    due = form.day(F.DUE_DATE, label="The due date")
    if picked is None:
        return form.invalid()
    return form.result(Assignment(picked, due))


def read_control_words(words: list[str], *, usage: str) -> StatusUpdate:
    """A status typed after a control's ref: ``complete``, ``delayed 2026-12-10 why`` or
    ``ineffective what is wrong``; a word that is no status is refused with ``usage`` (in the
    face's words)."""
    try:
        status = ControlStatus.parse(words[0] if words else "")
    except ValueError as error:
        raise ValidationError(f"{error}. {usage}") from None
    new_due = None
    rest = words[1:]
    if status == ControlStatus.DELAYED and rest:
        try:
            new_due = date.fromisoformat(rest[0])
        except ValueError:
            raise ValidationError(
                f"'{rest[0]}' is not a date; write the new due date like 2026-12-10"
            ) from None
        rest = rest[1:]
    return StatusUpdate(status, new_due, " ".join(rest) or None)


# ---------------------------------------------------------------------- a decision


@dataclass(frozen=True)
class DecisionForm(Generic[Owner]):
    """The decision as typed; its owner is found (or created) when it is saved."""

    kind: DecisionKind
    summary: str
    owner: Owner | None
    escalation_route: str | None
    follow_up_date: date | None


def read_decision(
    form: FieldReader, *, owner: Callable[[], Owner | None]
) -> FormResult[DecisionForm[Owner]]:
    kind = form.choice(F.KIND, DecisionKind, label="The decision")
    summary = form.text(F.SUMMARY, label="What the board decided", required=True)
    picked = owner()
    route = form.text(F.ESCALATION_ROUTE, label="The escalation route")
    follow_up = form.day(F.FOLLOW_UP, label="The follow-up date")
    if kind is None or summary is None:
        return form.invalid()
    return form.result(DecisionForm(kind, summary, picked, route, follow_up))


# ---------------------------------------------------------------------- the register's filters


def read_filters(
    session: Session, words: list[str], *, owner: Person | None, today: date, usage: str
) -> tuple[risks.RiskFilter, str]:
    """``service:`` ``category:`` ``band:`` ``owner:`` ``status:`` and ``overdue``; each
    unknown word is refused with what would have worked (``usage``, in the face's words)."""
    values: dict[str, Any] = {}
    described = []
    for word in words:
        key, _, value = word.partition(":")
        key = key.lower()
        try:
            if key == "overdue" and not value:
                values["overdue_on"] = today
            elif key == "service":
                values["service_id"] = people.get_service(session, value).id
            elif key == "category":
                values["category"] = RiskCategory.parse(value)
            elif key == "band":
                values["band"] = Band.parse(value)
            elif key == "status":
                values["status"] = RiskStatus.parse(value)
            elif key == "owner" and owner is not None:
                values["owner_id"] = owner.id
            else:
                raise ValidationError(
                    f"I don't know the filter '{word}'. Try: {usage}", field="filter"
                )
        except ValueError as error:
            raise ValidationError(f"{key}: {error}", field="filter") from None
        described.append(word)
    return risks.RiskFilter(**values), " ".join(described)
