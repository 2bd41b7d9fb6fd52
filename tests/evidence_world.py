"""A small provider whose evidence is counted by hand: two homes, four risks and six issues at
known times across October (British Summer Time) and November 2026 (GMT), so a figure "as at
the end of October" differs from today's, and a period printed in UTC would show the wrong day.

Counted by hand (``NOW`` is Wednesday 2 December 2026, 10:00):

Risks (created 2 Oct unless said)           Oct end           Nov end           now
  R-001 scored 16, rescored 4 on 10 Nov     Extreme 16        Moderate 4        4, review overdue
  R-002 scored 9, closed 12 Nov             High 9 (open)     closed            closed
  R-003 scored 4, rescored 12 on 20 Nov     Moderate 4        High 12           12, one control
  R-004 created 3 Nov, scored 15            not yet           Extreme 15        15, review overdue

Issues                                      reported  resolved  closed (evidence)   care
  GL-0001 Oakwood, medication               6 Oct     8 Oct     10 Oct (yes)        some
  GL-0002 Riverside, login                  20 Oct    -         -                   some
  GL-0003 Oakwood, training                 25 Oct    5 Nov     -                   none
  GL-0004 Riverside, device                 4 Nov     6 Nov     7 Nov (yes)         none
  GL-0005 Oakwood, records                  15 Nov    -         -                   safe care
  GL-0006 Riverside, workflow               28 Nov    -         -                   some

The headline now: 6 reported, 3 resolved of 6, 2 closed with evidence of 3, 3 open of 6.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from store.infra.db import session_scope
from store.records import controls, issues, phases, risks
from store.records.enums import (
    Impact,
    IssueCategory,
    Phase,
    RiskCategory,
    RiskScope,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.records.models import Person, Service
from tests.world import World, build_world

LONDON = ZoneInfo("Europe/London")
PROVIDER = "Meadow Lane Care"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    """A moment in 2026, in London's wall-clock time (BST in October, GMT after)."""
    return datetime(2026, month, day, hour, 0, tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Counted:
    """What the test counted by hand, to compare with what golive says."""

    reported: int = 6
    resolved: int = 3
    closed_with_evidence: int = 2
    open: int = 3
    overdue_reviews: tuple[str, ...] = ("R-004", "R-001")
    october_reported: int = 3
    october_resolved: int = 1
    october_open_at_end: int = 2
    october_high_risks: tuple[str, ...] = ("R-001", "R-002")
    october_care: tuple[str, ...] = ("GL-0001", "GL-0002")
    november_reported: int = 3
    november_resolved: int = 2
    november_open_at_end: int = 3
    november_high_risks: tuple[str, ...] = ("R-004", "R-003")
    november_care: tuple[str, ...] = ("GL-0002", "GL-0005", "GL-0006")


COUNTED = Counted()


def _risk(
    engine: Engine,
    world: World,
    *,
    when: datetime,
    title: str,
    score: tuple[int, int],
    review: datetime,
    service: Service | None = None,
) -> str:
    with session_scope(engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            data=risks.NewRisk(
                title=title,
                category=RiskCategory.MEDICATION_ROUTINES,
                scope=RiskScope.SERVICE if service else RiskScope.ORGANISATION,
                service_id=service.id if service else None,
                owner_id=world.quality_lead.id,
                review_date=review.astimezone(LONDON).date(),
            ),
            now=when,
        )
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=risk.ref,
            likelihood=score[0],
            impact=score[1],
            reason="Scored at the risk workshop",
            now=when,
        )
        return risk.ref


def _rescore(
    engine: Engine, world: World, ref: str, score: tuple[int, int], when: datetime
) -> None:
    with session_scope(engine) as session:
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=score[0],
            impact=score[1],
            reason="Rescored at the weekly review",
            now=when,
        )


def _issue(
    engine: Engine,
    world: World,
    *,
    when: datetime,
    service: Service,
    category: IssueCategory,
    impact: Impact,
    reporter: Person,
) -> str:
    with session_scope(engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=reporter,
            report=issues.IssueReport(
                service_id=service.id,
                category=category,
                description=f"{category.label} problem at {service.name}",
                impact=impact,
                urgency=Urgency.MEDIUM,
                workaround=Workaround.NONE,
            ),
            now=when,
        )
        return issue.ref


def _resolve(engine: Engine, world: World, ref: str, when: datetime) -> None:
    with session_scope(engine) as session:
        issues.set_correction(
            session,
            actor=world.project_lead,
            ref=ref,
            action="Supplier fixed the setting",
            due=None,
            now=when - timedelta(hours=1),
        )
        issues.resolve(session, actor=world.project_lead, ref=ref, now=when)


def _close(engine: Engine, world: World, ref: str, when: datetime) -> None:
    with session_scope(engine) as session:
        issues.close(
            session,
            actor=world.project_lead,
            ref=ref,
            evidence="Spot check of a week's records found no repeat",
            now=when,
        )


def seed(engine: Engine) -> World:
    """The provider above, every record written through the store at its own time."""
    world = build_world(engine, now=at(10, 1, 9))
    with session_scope(engine) as session:
        phases.set_phase(session, actor=world.project_lead, phase=Phase.GO_LIVE, now=at(10, 5, 7))
    r1 = _risk(
        engine,
        world,
        when=at(10, 2),
        title="Medication history does not migrate",
        score=(4, 4),
        review=at(11, 20),
    )
    r2 = _risk(
        engine,
        world,
        when=at(10, 2, 11),
        title="Night staff not trained",
        score=(3, 3),
        review=at(12, 30),
    )
    r3 = _risk(
        engine,
        world,
        when=at(10, 2, 12),
        title="Not enough handheld devices",
        score=(2, 2),
        review=at(12, 20),
        service=world.oakwood,
    )
    with session_scope(engine) as session:
        controls.add_control(
            session,
            actor=world.project_lead,
            risk=risks.get_risk(session, r3),
            description="Order six more handhelds",
            owner=world.manager,
            due_date=at(12, 15).date(),
            now=at(10, 2, 12),
        )
    oakwood, riverside = world.oakwood, world.riverside
    staff = world.staff
    i1 = _issue(
        engine,
        world,
        when=at(10, 6),
        service=oakwood,
        category=IssueCategory.MEDICATION,
        impact=Impact.SOME,
        reporter=staff,
    )
    _resolve(engine, world, i1, at(10, 8))
    _close(engine, world, i1, at(10, 10))
    _issue(
        engine,
        world,
        when=at(10, 20),
        service=riverside,
        category=IssueCategory.LOGIN_ACCESS,
        impact=Impact.SOME,
        reporter=staff,
    )
    i3 = _issue(
        engine,
        world,
        when=at(10, 25),
        service=oakwood,
        category=IssueCategory.TRAINING,
        impact=Impact.NONE,
        reporter=staff,
    )
    r4 = _risk(
        engine,
        world,
        when=at(11, 3),
        title="Agency staff have no logins",
        score=(5, 3),
        review=at(11, 25),
    )
    i4 = _issue(
        engine,
        world,
        when=at(11, 4),
        service=riverside,
        category=IssueCategory.DEVICES,
        impact=Impact.NONE,
        reporter=staff,
    )
    _resolve(engine, world, i3, at(11, 5))
    _resolve(engine, world, i4, at(11, 6))
    _close(engine, world, i4, at(11, 7))
    _rescore(engine, world, r1, (2, 2), at(11, 10))
    with session_scope(engine) as session:
        risks.set_status(
            session,
            actor=world.project_lead,
            ref=r2,
            status=RiskStatus.CLOSED,
            note="Every night worker trained and signed off",
            now=at(11, 12),
        )
    _issue(
        engine,
        world,
        when=at(11, 15),
        service=oakwood,
        category=IssueCategory.RECORDS,
        impact=Impact.SAFE_CARE,
        reporter=staff,
    )
    _rescore(engine, world, r3, (4, 3), at(11, 20))
    _issue(
        engine,
        world,
        when=at(11, 28),
        service=riverside,
        category=IssueCategory.WORKFLOW,
        impact=Impact.SOME,
        reporter=staff,
    )
    assert (r1, r2, r3, r4) == ("R-001", "R-002", "R-003", "R-004")
    return world
