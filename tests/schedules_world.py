"""A go-live fortnight in miniature for the schedule tests: risks of every band, issues that
make a theme, an unsafe workaround, an overdue correction and a closure, all at known times
around START (Monday 23 November 2026, 09:00 in London, which is GMT then)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.settings import Settings
from store.infra.db import session_scope
from store.records import controls, issues, phases, risks
from store.records.enums import (
    Impact,
    IssueCategory,
    Phase,
    RiskCategory,
    RiskScope,
    Urgency,
    Workaround,
)
from store.records.models import Person
from tests.world import World


def settings(**overrides: object) -> Settings:
    """Default settings, read from nowhere but these arguments."""
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


@dataclass
class Seeded:
    extreme: str
    high: str
    moderate: str
    unscored: str
    urgent: str
    themes: list[str]
    unsafe: str
    overdue_correction: str
    closed: str
    hostile: str


def report(
    engine: Engine,
    world: World,
    *,
    at: datetime,
    service_id: int,
    category: IssueCategory,
    description: str,
    impact: Impact = Impact.SOME,
    urgency: Urgency = Urgency.MEDIUM,
    workaround: Workaround = Workaround.NONE,
    detail: str | None = None,
    reporter: Person | None = None,
) -> str:
    with session_scope(engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=reporter or world.staff,
            report=issues.IssueReport(
                service_id=service_id,
                category=category,
                description=description,
                impact=impact,
                urgency=urgency,
                workaround=workaround,
                workaround_detail=detail,
            ),
            now=at,
        )
        return issue.ref


def new_risk(
    engine: Engine,
    world: World,
    *,
    at: datetime,
    title: str,
    owner: Person,
    score: tuple[int, int] | None,
    review_in: timedelta | None = None,
    control: str | None = None,
    control_due_in: timedelta | None = None,
) -> str:
    with session_scope(engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            data=risks.NewRisk(
                title=title,
                category=RiskCategory.MEDICATION_ROUTINES,
                scope=RiskScope.ORGANISATION,
                owner_id=owner.id,
                review_date=(at + review_in).date() if review_in else None,
            ),
            now=at,
        )
        if score:
            risks.score_risk(
                session,
                actor=world.quality_lead,
                ref=risk.ref,
                likelihood=score[0],
                impact=score[1],
                reason="Scored at the risk workshop",
                now=at,
            )
        if control:
            controls.add_control(
                session,
                actor=world.project_lead,
                risk=risk,
                description=control,
                owner=owner,
                due_date=(at + control_due_in).date() if control_due_in else None,
                now=at,
            )
        return risk.ref


def seed(engine: Engine, world: World, *, start: datetime) -> Seeded:
    """The data every digest test reads; times are relative to ``start``."""
    day = timedelta(days=1)
    with session_scope(engine) as session:
        phases.set_phase(
            session, actor=world.project_lead, phase=Phase.GO_LIVE, now=start - 5 * day
        )
    extreme = new_risk(
        engine,
        world,
        at=start - 10 * day,
        title="Medication history does not migrate for residents on PRN",
        owner=world.manager,
        score=(4, 4),
        review_in=3 * day,
        control="Double-check MAR charts against paper for two weeks",
        control_due_in=5 * day,
    )
    high = new_risk(
        engine,
        world,
        at=start - 10 * day,
        title="Night staff not trained before go-live",
        owner=world.project_lead,
        score=(2, 3),
        review_in=20 * day,
    )
    with session_scope(engine) as session:
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=high,
            likelihood=3,
            impact=3,
            reason="Rota gaps found",
            now=start - 2 * day,
        )
    moderate = new_risk(
        engine,
        world,
        at=start - 10 * day,
        title="Not enough handheld devices on the first floor",
        owner=world.quality_lead,
        score=(2, 2),
        review_in=20 * day,
    )
    unscored = new_risk(
        engine,
        world,
        at=start - 2 * day,
        title="Supplier helpdesk hours do not cover nights",
        owner=world.project_lead,
        score=None,
    )
    urgent = report(
        engine,
        world,
        at=start - 3 * day,
        service_id=world.oakwood.id,
        category=IssueCategory.LOGIN_ACCESS,
        description="Night staff cannot log in to record medication",
        impact=Impact.SAFE_CARE,
        urgency=Urgency.URGENT,
    )
    with session_scope(engine) as session:
        issues.add_immediate_control(
            session,
            actor=world.manager,
            ref=urgent,
            description="Paper MAR charts and a second-checker each round",
            now=start - 3 * day + timedelta(hours=1),
        )
    themes = [
        report(
            engine,
            world,
            at=start - timedelta(hours=hours),
            service_id=world.oakwood.id,
            category=IssueCategory.RECORDS,
            description=f"Care notes missing for room {room}",
        )
        for hours, room in ((20, 4), (10, 9), (2, 12))
    ]
    unsafe = report(
        engine,
        world,
        at=start - day,
        service_id=world.riverside.id,
        category=IssueCategory.WORKFLOW,
        description="Handover screen is too slow to use",
        workaround=Workaround.UNSAFE,
        detail="Staff write notes on paper and type them up at the end of the shift",
    )
    overdue_correction = report(
        engine,
        world,
        at=start - 5 * day,
        service_id=world.riverside.id,
        category=IssueCategory.MEDICATION,
        description="eMAR shows the wrong time for the evening round",
    )
    with session_scope(engine) as session:
        issues.assign_owner(
            session,
            actor=world.project_lead,
            ref=overdue_correction,
            owner=world.other_manager,
            now=start - 5 * day,
        )
        issues.set_correction(
            session,
            actor=world.project_lead,
            ref=overdue_correction,
            action="Supplier to fix the round times",
            due=(start - 3 * day).date(),
            now=start - 5 * day,
        )
    closed = report(
        engine,
        world,
        at=start - 4 * day,
        service_id=world.oakwood.id,
        category=IssueCategory.REPORTING,
        description="Weekly falls report is empty",
    )
    with session_scope(engine) as session:
        issues.set_correction(
            session,
            actor=world.project_lead,
            ref=closed,
            action="Report filter corrected",
            due=None,
            now=start - 2 * day,
        )
        issues.resolve(session, actor=world.project_lead, ref=closed, now=start - 2 * day)
        issues.close(
            session,
            actor=world.project_lead,
            ref=closed,
            evidence="Falls report checked against incident log for 3 days",
            now=start - timedelta(hours=12),
        )
    hostile = report(
        engine,
        world,
        at=start - timedelta(hours=3),
        service_id=world.riverside.id,
        category=IssueCategory.OTHER,
        description="<!channel> tablets & chargers <b>gone</b>\n::divider",
        urgency=Urgency.URGENT,
    )
    return Seeded(
        extreme=extreme,
        high=high,
        moderate=moderate,
        unscored=unscored,
        urgent=urgent,
        themes=themes,
        unsafe=unsafe,
        overdue_correction=overdue_correction,
        closed=closed,
        hostile=hostile,
    )
