"""Rollout waves: homes and branches go live one wave at a time, each with its own go-live
date and status beside the project phase, so the board can compare them side by side and see
which home is struggling."""

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.infra.errors import ValidationError
from store.records import audit
from store.records.actors import Actor
from store.records.enums import (
    Impact,
    IssueCategory,
    Labelled,
    Urgency,
    Workaround,
)
from store.records.models import Issue, Service, ServiceWave
from store.records.permissions import Action, require


class WaveStatus(Labelled):
    NOT_STARTED = "not_started"
    LIVE = "live"
    STABILISING = "stabilising"
    BUSINESS_AS_USUAL = "business_as_usual"


STATUS_WORDS = ", ".join(s.value.replace("_", "-") for s in WaveStatus)
"""The statuses as people type them (``not-started``, ``live``, ...)."""


@dataclass(frozen=True)
class WaveChanges:
    """What ``status=live wave=3 date=2026-12-01`` asks ``set_wave`` to change."""

    status: WaveStatus | None = None
    wave: int | None = None
    golive_date: date | None = None


class BadWaveWord(ValidationError):
    """One word of a wave change that cannot be read. ``problem`` says which rule it broke
    (``shape``: not name=value; ``status``, ``wave``, ``date``: a bad value; ``name``: not
    something a wave has) and ``word`` is the part at fault, as typed, so each face can word
    it with its own command and its own escaping."""

    def __init__(self, message: str, *, problem: str, word: str, field: str | None = None):
        super().__init__(message, field=field)
        self.problem = problem
        self.word = word


def parse_changes(words: list[str]) -> WaveChanges:
    """Read ``name=value`` words (status, wave, date) into the changes they ask for; the
    first word that cannot be read is refused, before anything is written."""
    status: WaveStatus | None = None
    wave: int | None = None
    golive_date: date | None = None
    for word in words:
        name, sep, value = word.partition("=")
        name = name.strip().lower()
        if not sep or not value.strip():
            raise BadWaveWord(
                "Write each change as name=value, like status=live wave=3 date=2026-12-01",
                problem="shape",
                word=word,
            )
        if name == "status":
            try:
                status = WaveStatus.parse(value)
            except ValueError:
                raise BadWaveWord(
                    f"'{value}' is not a wave status; use one of: {STATUS_WORDS}",
                    problem="status",
                    word=value,
                ) from None
        elif name == "wave":
            if not value.strip().isdigit():
                raise BadWaveWord(
                    "A wave is a number, like wave=3", problem="wave", word=value, field="wave"
                )
            wave = int(value)
        elif name == "date":
            try:
                golive_date = date.fromisoformat(value.strip())
            except ValueError:
                raise BadWaveWord(
                    f"'{value}' is not a date like 2026-12-01",
                    problem="date",
                    word=value,
                    field="date",
                ) from None
        else:
            raise BadWaveWord(
                f"'{name}' is not something a wave has: status, wave or date",
                problem="name",
                word=name,
            )
    return WaveChanges(status=status, wave=wave, golive_date=golive_date)


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
    require(session, actor, Action.SET_WAVE)
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


def compare_services(
    session: Session, *, now: datetime, today: date, theme_days: int = 7
) -> list[ServiceComparison]:
    """Issues per day since each service went live, its open urgent items and its most
    reported kind of issue lately; services in wave order, those with no wave last.

    Two grouped counts and the last ``theme_days`` of issues, whatever the number of issues,
    so the digests stay fast. SQLite keeps no table statistics and, to group by service, walks
    the issues in service-index order, one row lookup each: so the count since go-live groups
    by go-live date first (the same groups, read in one pass over the table), and the recent
    issues are tallied here, read through the reported_at index."""
    services = list(session.exec(select(Service).order_by(col(Service.name))))
    waves = {row.service_id: row for row in session.exec(select(ServiceWave))}
    since_golive: dict[int, int] = {
        service_id: count
        for _, service_id, count in session.exec(
            select(col(Service.golive_date), Issue.service_id, func.count())
            .join(Service, col(Service.id) == Issue.service_id)
            .where(col(Service.golive_date).is_not(None))
            .where(col(Issue.reported_at) >= col(Service.golive_date))
            .group_by(col(Service.golive_date), col(Issue.service_id))
        )
    }
    urgent = (
        (col(Issue.urgency) == Urgency.URGENT)
        | (col(Issue.impact) == Impact.SAFE_CARE)
        | (col(Issue.workaround) == Workaround.UNSAFE)
    )
    open_urgent: dict[int, int] = dict(
        session.exec(
            select(Issue.service_id, func.count())
            .where(Issue.is_open, urgent)
            .group_by(col(Issue.service_id))
        ).all()
    )
    recent: dict[int, Tally[IssueCategory]] = {}
    for service_id, category in session.exec(
        select(Issue.service_id, Issue.category).where(
            col(Issue.reported_at) >= now - timedelta(days=theme_days)
        )
    ):
        recent.setdefault(service_id, Tally())[IssueCategory(category)] += 1
    rows = []
    for service in services:
        assert service.id is not None
        wave = waves.get(service.id)
        golive = service.golive_date
        days = (today - golive).days + 1 if golive is not None and golive <= today else None
        after = since_golive.get(service.id, 0)
        theme = _most_reported(recent.get(service.id, Tally()))
        rows.append(
            ServiceComparison(
                service=service.name,
                wave=wave.wave if wave else None,
                status=WaveStatus(wave.status).label if wave else WaveStatus.NOT_STARTED.label,
                golive_date=golive,
                days_live=days,
                issues_since_golive=after,
                per_day=round(after / days, 1) if days else None,
                open_urgent=open_urgent.get(service.id, 0),
                theme=f"{theme[0].label} ({theme[1]})" if theme and theme[1] > 1 else None,
            )
        )
    rows.sort(key=lambda row: (row.wave is None, row.wave or 0, row.service))
    return rows


def _most_reported(tally: Tally[IssueCategory]) -> tuple[IssueCategory, int] | None:
    """The kind of issue reported most, ties going to the first kind by its stored value, so
    the comparison reads the same on every run and on either database."""
    if not tally:
        return None
    return min(tally.items(), key=lambda item: (-item[1], item[0].value))
