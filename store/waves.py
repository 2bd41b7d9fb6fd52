"""Rollout waves: homes and branches go live one wave at a time, each with its own go-live
date and status beside the project phase, so the board can compare them side by side and see
which home is struggling."""

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from store import audit
from store.actors import Actor
from store.enums import OPEN_ISSUE_STATUSES, Impact, Labelled, Urgency, Workaround
from store.errors import ValidationError
from store.models import Issue, Service, ServiceWave
from store.permissions import Action, require


class WaveStatus(Labelled):
    NOT_STARTED = "not_started"
    LIVE = "live"
    STABILISING = "stabilising"
    BUSINESS_AS_USUAL = "business_as_usual"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "live": "Live",
            "stabilising": "Stabilising",
            "business_as_usual": "Business as usual",
        }[self]


def wave_of(session: Session, service: Service) -> ServiceWave | None:
    return session.get(ServiceWave, service.id)


def set_wave(
    session: Session,
    *,
    actor: Actor,
    service: Service,
    now: datetime,
    status: WaveStatus | None = None,
    wave: int | None = None,
    golive_date: date | None = None,
) -> ServiceWave:
    """The project lead plans and moves each service through its rollout."""
    require(session, actor, Action.SET_PHASE)
    if status is None and wave is None and golive_date is None:
        raise ValidationError(
            "Say what to set: status=live, wave=3 or date=2026-12-01", field="wave"
        )
    if wave is not None and not 1 <= wave <= 99:
        raise ValidationError("A wave is a number from 1 to 99", field="wave")
    assert service.id is not None
    row = wave_of(session, service)
    if row is None:
        row = ServiceWave(
            service_id=service.id,
            wave=wave,
            status=str(status or WaveStatus.NOT_STARTED),
            updated_at=now,
        )
        session.add(row)
        audit.record_created(session, row, actor=actor, now=now)
    else:
        with audit.audited(session, row, actor=actor, action="wave set", now=now):
            if wave is not None:
                row.wave = wave
            if status is not None:
                row.status = str(status)
    if golive_date is not None:
        with audit.audited(session, service, actor=actor, action="go-live date set", now=now):
            service.golive_date = golive_date
    return row


@dataclass(frozen=True)
class ServiceComparison:
    """One service's row in the side-by-side comparison."""

    service: str
    wave: int | None
    status: str
    golive_date: date | None
    days_live: int | None
    issues_since_golive: int
    per_day: float | None
    open_urgent: int
    theme: str | None


def _urgent(issue: Issue) -> bool:
    return (
        issue.urgency == Urgency.URGENT
        or issue.impact == Impact.SAFE_CARE
        or issue.workaround == Workaround.UNSAFE
    )


def compare_services(
    session: Session, *, now: datetime, today: date, theme_days: int = 7
) -> list[ServiceComparison]:
    """Issues per day since each service went live, its open urgent items and its most
    reported kind of issue lately; services in wave order, those with no wave last."""
    services = list(session.exec(select(Service).order_by(col(Service.name))))
    waves = {row.service_id: row for row in session.exec(select(ServiceWave))}
    issues_by: dict[int, list[Issue]] = {}
    for issue in session.exec(select(Issue)):
        issues_by.setdefault(issue.service_id, []).append(issue)
    since = now - timedelta(days=theme_days)
    rows = []
    for service in services:
        assert service.id is not None
        wave = waves.get(service.id)
        mine = issues_by.get(service.id, [])
        golive = service.golive_date
        days = (today - golive).days + 1 if golive is not None and golive <= today else None
        after = [i for i in mine if golive is not None and i.reported_at.date() >= golive]
        recent = Tally(i.category.label for i in mine if i.reported_at >= since)
        theme = recent.most_common(1)[0] if recent else None
        rows.append(
            ServiceComparison(
                service=service.name,
                wave=wave.wave if wave else None,
                status=WaveStatus(wave.status).label if wave else WaveStatus.NOT_STARTED.label,
                golive_date=golive,
                days_live=days,
                issues_since_golive=len(after),
                per_day=round(len(after) / days, 1) if days else None,
                open_urgent=sum(1 for i in mine if i.status in OPEN_ISSUE_STATUSES and _urgent(i)),
                theme=f"{theme[0]} ({theme[1]})" if theme and theme[1] > 1 else None,
            )
        )
    rows.sort(key=lambda row: (row.wave is None, row.wave or 0, row.service))
    return rows
