"""Themes become risks and training needs.

A repeated theme (several issues of one kind at one service, see store/digests.themes) is a
pattern, not bad luck: the project lead can raise it as a risk on that service, linked to its
issues, or log a training need for that service and role, in one click from the digest. Each
is refused if the same theme is already raised, so a theme that repeats every day is raised
once. Training needs roll up by service in the weekly board review.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from store.infra.errors import DomainError, ValidationError
from store.records import audit, risks
from store.records.actors import Actor, actor_id
from store.records.enums import IssueCategory, RiskCategory, RiskScope, Role
from store.records.issues import get_issue
from store.records.models import Issue, Risk, Service, TrainingNeed
from store.records.permissions import Action, require

RISK_CATEGORY = {
    IssueCategory.LOGIN_ACCESS: RiskCategory.ACCESS,
    IssueCategory.RECORDS: RiskCategory.DATA_MIGRATION,
    IssueCategory.WORKFLOW: RiskCategory.WORKFLOWS,
    IssueCategory.REPORTING: RiskCategory.WORKFLOWS,
    IssueCategory.DEVICES: RiskCategory.EQUIPMENT,
    IssueCategory.MEDICATION: RiskCategory.MEDICATION_ROUTINES,
    IssueCategory.DATA_MIGRATION: RiskCategory.DATA_MIGRATION,
    IssueCategory.TRAINING: RiskCategory.TRAINING,
    IssueCategory.SUPPLIER: RiskCategory.SUPPLIER_SUPPORT,
    IssueCategory.OTHER: RiskCategory.OTHER,
}
MAX_REFS = 40


@dataclass(frozen=True)
class ThemeIssues:
    """The issues behind a theme button, checked to be one category at one service."""

    category: IssueCategory
    service: Service
    refs: list[str]


def theme_of(session: Session, refs_text: str) -> ThemeIssues:
    refs = [ref.strip() for ref in refs_text.split(",") if ref.strip()][:MAX_REFS]
    if not refs:
        raise ValidationError("That theme lists no issues", field="theme")
    found: list[Issue] = [get_issue(session, ref) for ref in refs]
    kinds = {(issue.category, issue.service_id) for issue in found}
    if len(kinds) != 1:
        raise ValidationError("Those issues are not one theme", field="theme")
    [(category, service_id)] = kinds
    service = session.get(Service, service_id)
    assert service is not None
    return ThemeIssues(category=category, service=service, refs=[i.ref for i in found])


def theme_title(theme: ThemeIssues) -> str:
    return f"Repeated {theme.category.label.lower()} issues at {theme.service.name}"[:200]


def raise_theme_as_risk(session: Session, *, actor: Actor, refs: str, now: datetime) -> Risk:
    """A service-scoped risk owned by whoever raised it, its issues named in its description."""
    theme = theme_of(session, refs)
    title = theme_title(theme)
    existing = session.exec(
        select(Risk).where(
            Risk.title == title,
            Risk.is_open,
        )
    ).first()
    if existing is not None:
        raise DomainError(f"This theme is already on the register as {existing.ref}")
    return risks.create_risk(
        session,
        actor=actor,
        data=risks.NewRisk(
            title=title,
            category=RISK_CATEGORY[theme.category],
            scope=RiskScope.SERVICE,
            service_id=theme.service.id,
            owner_id=actor_id(actor),
            description="Raised from a repeated theme of issues: " + ", ".join(theme.refs),
        ),
        now=now,
    )


def log_training_need(
    session: Session, *, actor: Actor, refs: str, role: Role = Role.STAFF, now: datetime
) -> TrainingNeed:
    theme = theme_of(session, refs)
    require(session, actor, Action.RECORD_RISK, service_id=theme.service.id)
    assert theme.service.id is not None
    existing = session.exec(
        select(TrainingNeed).where(
            TrainingNeed.service_id == theme.service.id,
            TrainingNeed.topic == theme.category,
            TrainingNeed.role == role,
            col(TrainingNeed.met_at).is_(None),
        )
    ).first()
    if existing is not None:
        raise DomainError(
            f"{theme.service.name} already has this training need logged ({existing.ref})"
        )
    need = TrainingNeed(
        service_id=theme.service.id,
        role=role,
        topic=theme.category,
        issue_refs=", ".join(theme.refs)[:500],
        logged_by_id=actor_id(actor),
        logged_at=now,
    )
    session.add(need)
    audit.record_created(session, need, actor=actor, now=now)
    return need


@dataclass(frozen=True)
class ServiceTraining:
    service: str
    needs: list[str]


def training_rollup(session: Session) -> list[ServiceTraining]:
    """Open training needs, by service, for the weekly review."""
    query = (
        select(TrainingNeed, Service.name)
        .join(Service, col(Service.id) == TrainingNeed.service_id)
        .where(col(TrainingNeed.met_at).is_(None))
        .order_by(col(Service.name), col(TrainingNeed.id))
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for need, service in session.exec(query):
        grouped[service].append(f"{need.topic.label} ({need.role.label.lower()})")
    return [ServiceTraining(service=name, needs=needs) for name, needs in grouped.items()]
