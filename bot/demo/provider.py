"""A realistic provider for ``golive demo``: five services going live in waves, a risk register
with controls and scoring history, and a fortnight of go-live issues at every stage.

Everything goes through the store's own functions (as the people who would make each change),
so the demo's records carry a true audit trail and obey every rule.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from store.infra.db import session_scope
from store.records import channels, checkpoints, controls, decisions, issues, people, phases, risks
from store.records.actors import COMMAND_LINE
from store.records.enums import (
    ChannelPurpose,
    ControlStatus,
    DecisionKind,
    Impact,
    IssueCategory,
    IssueSource,
    Phase,
    RiskCategory,
    RiskScope,
    Role,
    Urgency,
    Workaround,
)
from store.records.models import Person, Service, ident

SERVICES = [
    ("Oakwood House", "Residential home, 42 beds"),
    ("Riverside Lodge", "Nursing home, 60 beds"),
    ("Meadowbank", "Dementia care, 35 beds"),
    ("Harbour View", "Residential home, 28 beds"),
    ("Community Care North", "Domiciliary care branch"),
]

ISSUE_TEXTS: dict[IssueCategory, list[str]] = {
    IssueCategory.LOGIN_ACCESS: [
        "Night staff locked out of the app after the password reset",
        "Agency carer has no account, so cannot record the evening round",
        "Two-factor codes not arriving on the shared handset",
    ],
    IssueCategory.RECORDS: [
        "Care plan for room 12 missing the falls risk assessment",
        "Fluid charts from before go-live not visible for room 4",
        "Resident's DNACPR status shows blank in the new system",
    ],
    IssueCategory.WORKFLOW: [
        "Unclear where to record repositioning; staff using paper",
        "Handover notes split across two screens, staff missing items",
        "Body map workflow takes 9 taps; carers skipping it",
    ],
    IssueCategory.REPORTING: [
        "Daily notes report does not show agency staff entries",
        "Incident report export missing the witness field",
    ],
    IssueCategory.DEVICES: [
        "Two handsets will not charge in the dock",
        "Tablet on the first floor loses Wi-Fi in the lounge",
    ],
    IssueCategory.MEDICATION: [
        "eMAR shows PRN paracetamol as already given when it was not",
        "Controlled drug count screen freezes at the second signature",
        "Time-critical Parkinson's meds not flagged on the round list",
    ],
    IssueCategory.DATA_MIGRATION: [
        "Allergies did not migrate for three residents",
        "Next of kin details duplicated after import",
    ],
    IssueCategory.TRAINING: [
        "Bank staff not trained on the new handover screen",
        "Senior carers unsure how to record a refused medication",
    ],
    IssueCategory.SUPPLIER: [
        "System unavailable for 20 minutes during the morning round",
        "Sync errors when the handset goes offline",
    ],
    IssueCategory.OTHER: ["Printer for MAR backup sheets not set up"],
}

RISKS: list[tuple[str, RiskCategory, int, int, list[str]]] = [
    (
        "Medication histories do not migrate accurately",
        RiskCategory.DATA_MIGRATION,
        4,
        5,
        [
            "Pharmacist reconciles every migrated MAR before go-live",
            "Parallel paper MAR for the first 72 hours",
        ],
    ),
    (
        "Allergy and DNACPR flags lost in migration",
        RiskCategory.DATA_MIGRATION,
        3,
        5,
        ["Manual check of every resident's flags against the paper file"],
    ),
    (
        "Night staff not trained before go-live",
        RiskCategory.TRAINING,
        4,
        3,
        ["Night-shift training sessions at 21:00", "Super-user on each night shift for week 1"],
    ),
    (
        "Agency staff cannot access the system",
        RiskCategory.ACCESS,
        4,
        4,
        [
            "Pre-created agency accounts with the agency",
            "Paper fallback kept at each nurse station",
        ],
    ),
    (
        "Wi-Fi dead spots stop recording at the point of care",
        RiskCategory.EQUIPMENT,
        3,
        3,
        ["Wi-Fi survey and extra access points"],
    ),
    (
        "Handheld devices fail or are lost",
        RiskCategory.EQUIPMENT,
        3,
        2,
        ["Spare charged devices in the office"],
    ),
    (
        "Supplier support slow outside office hours",
        RiskCategory.SUPPLIER_SUPPORT,
        3,
        4,
        ["Agree an out-of-hours escalation number with the supplier"],
    ),
    (
        "Care workflows do not match the new screens",
        RiskCategory.WORKFLOWS,
        4,
        3,
        ["Walk-through of each workflow with senior carers"],
    ),
    (
        "Handover information lost between systems",
        RiskCategory.WORKFLOWS,
        3,
        4,
        ["Printed handover sheet for the first fortnight"],
    ),
    (
        "Managers lose oversight of incidents during transition",
        RiskCategory.WORKFLOWS,
        2,
        4,
        ["Daily incident huddle with the registered manager"],
    ),
    (
        "Time-critical medicines missed during the changeover",
        RiskCategory.MEDICATION_ROUTINES,
        3,
        5,
        ["Time-critical medicines list on paper at each drug trolley"],
    ),
    (
        "Staffing pressures during training release",
        RiskCategory.STAFFING_PRESSURES,
        4,
        3,
        ["Book backfill for training hours"],
    ),
    (
        "Residents with behaviours that challenge have incomplete plans",
        RiskCategory.HIGH_RISK_INDIVIDUALS,
        2,
        4,
        ["Keyworker reviews each plan within 7 days"],
    ),
    (
        "Safeguarding concerns recorded in the wrong place",
        RiskCategory.WORKFLOWS,
        2,
        5,
        ["Safeguarding lead checks all new entries daily"],
    ),
    (
        "Commissioner reports cannot be produced",
        RiskCategory.OTHER,
        2,
        3,
        ["Test the monthly commissioner report before go-live"],
    ),
    (
        "Data protection breach through shared logins",
        RiskCategory.ACCESS,
        2,
        4,
        ["No shared logins: audit weekly"],
    ),
    (
        "Paper records made during outages never back-entered",
        RiskCategory.WORKFLOWS,
        3,
        3,
        ["Back-entry log checked by the shift leader"],
    ),
    (
        "Legacy system switched off before archive checked",
        RiskCategory.DATA_MIGRATION,
        2,
        5,
        ["Read-only legacy access kept for 6 months"],
    ),
    (
        "Domiciliary carers' phones too old for the app",
        RiskCategory.EQUIPMENT,
        3,
        3,
        ["Replace phones older than 4 years"],
    ),
    (
        "Care plan reviews fall behind during go-live",
        RiskCategory.WORKFLOWS,
        3,
        3,
        ["Review schedule moved into the new system in week 1"],
    ),
    (
        "Residents' families not told about the change",
        RiskCategory.OTHER,
        2,
        2,
        ["Letter to families before go-live"],
    ),
    (
        "Trainers unavailable for wave 3",
        RiskCategory.TRAINING,
        2,
        3,
        ["Second trainer booked with the supplier"],
    ),
]


@dataclass(frozen=True)
class DemoSummary:
    services: int
    people: int
    risks: int
    controls: int
    issues: int
    go_live: date
    now: datetime


def seed(engine: Engine, *, now: datetime, zone: ZoneInfo, seed_value: int = 2026) -> DemoSummary:
    """Seed an empty database with a provider two weeks into its go-live."""
    rng = random.Random(seed_value)
    go_live = (now.astimezone(zone) - timedelta(days=14)).date()
    start = datetime.combine(go_live - timedelta(days=30), time(9, 0), zone)
    counts = {"people": 0, "risks": 0, "controls": 0, "issues": 0}

    with session_scope(engine) as session:
        services: list[Service] = []
        for index, (name, _about) in enumerate(SERVICES):
            services.append(
                people.create_service(
                    session,
                    actor=COMMAND_LINE,
                    name=name,
                    golive_date=go_live + timedelta(days=3 * (index // 2)),
                    now=start,
                )
            )
        for purpose, channel in (
            (ChannelPurpose.TRIAGE, "C0DEMOTRIAGE"),
            (ChannelPurpose.PROJECT, "C0DEMOPROJECT"),
            (ChannelPurpose.BOARD, "C0DEMOBOARD"),
        ):
            if channels.channel_for(session, purpose) is None:
                channels.set_channel(
                    session, actor=COMMAND_LINE, purpose=purpose, channel_id=channel, now=start
                )

        def person(
            uid: str,
            name: str,
            role: Role | None,
            service: Service | None,
            home: Service | None = None,
        ) -> Person:
            who = people.add_person(
                session,
                actor=COMMAND_LINE,
                slack_user_id=uid,
                name=name,
                service=home or service,
                now=start,
            )
            if role is not None:
                people.grant_role(
                    session, actor=COMMAND_LINE, person=who, role=role, service=service, now=start
                )
            counts["people"] += 1
            return who

        project_lead = person("U0DEMOPL", "Priya Shah", Role.PROJECT_LEAD, None, services[0])
        quality_lead = person("U0DEMOQL", "Tom Okafor", Role.QUALITY_LEAD, None, services[0])
        board = [
            person("U0DEMOB1", "Helen Marsh", Role.BOARD_MEMBER, None, services[0]),
            person("U0DEMOB2", "Ravi Patel", Role.BOARD_MEMBER, None, services[0]),
        ]
        person("U0DEMOAD", "Sam IT", Role.ADMIN, None, services[0])
        managers, leaders, staff = [], [], []
        first = ["Amy", "Ben", "Chloe", "Dev", "Ella", "Femi", "Gita", "Hugo", "Isla", "Jon"]
        for index, service in enumerate(services):
            managers.append(
                person(
                    f"U0DEMORM{index}", f"{first[index]} Green", Role.REGISTERED_MANAGER, service
                )
            )
            leaders.append(
                person(f"U0DEMOTL{index}", f"{first[index + 5]} Brown", Role.TEAM_LEADER, service)
            )
            for n in range(3):
                staff.append(
                    person(
                        f"U0DEMOST{index}{n}",
                        f"{first[(index + n) % 10]} Carer {n}",
                        None,
                        None,
                        service,
                    )
                )

    clock_at = start
    with session_scope(engine) as session:
        phases.set_phase(
            session,
            actor=project_lead,
            phase=Phase.PRE_GO_LIVE,
            note="Register opened",
            now=clock_at,
        )
        for index, (title, category, likelihood, impact, first_controls) in enumerate(RISKS):
            local = services[index % len(services)] if index % 4 == 3 else None
            author = managers[services.index(local)] if local else project_lead
            owner = managers[index % len(managers)] if index % 3 else project_lead
            risk = risks.create_risk(
                session,
                actor=author,
                now=clock_at,
                data=risks.NewRisk(
                    title=title,
                    category=category,
                    scope=RiskScope.SERVICE if local else RiskScope.ORGANISATION,
                    service_id=local.id if local else None,
                    owner_id=owner.id,
                    escalation_route="Project lead, then the project board",
                    first_controls=first_controls,
                ),
            )
            counts["risks"] += 1
            counts["controls"] += len(first_controls)
            risks.score_risk(
                session,
                actor=quality_lead,
                ref=risk.ref,
                likelihood=likelihood,
                impact=impact,
                reason="Initial assessment at register set-up",
                now=clock_at,
            )
            risks.set_review_date(
                session,
                actor=quality_lead,
                ref=risk.ref,
                review_date=go_live + timedelta(days=rng.choice([-3, 7, 14])),
                now=clock_at - timedelta(days=30),
            )
            for control in risks.controls_of(session, risk):
                controls.assign_control(
                    session,
                    actor=project_lead,
                    control=control,
                    owner=owner,
                    now=clock_at,
                    due_date=go_live + timedelta(days=rng.randint(-10, 10)),
                )

    checkpoint_at = datetime.combine(go_live - timedelta(days=2), time(16, 0), zone)
    with session_scope(engine) as session:
        checkpoint = checkpoints.open_checkpoint(
            session, actor=project_lead, now=checkpoint_at, name="Go-live readiness review"
        )
        for progress in checkpoints.progress(session, checkpoint)[:-2]:
            for control in progress.controls:
                outcome = rng.choices(
                    [
                        ControlStatus.COMPLETE,
                        ControlStatus.DELAYED,
                        ControlStatus.INEFFECTIVE,
                        ControlStatus.IN_PROGRESS,
                    ],
                    weights=[5, 2, 1, 2],
                )[0]
                if outcome == control.status:
                    continue
                controls.update_status(
                    session,
                    actor=progress.owner,
                    control=control,
                    status=outcome,
                    note={
                        ControlStatus.DELAYED: "Waiting on the supplier's trainer",
                        ControlStatus.INEFFECTIVE: "Staff still using the old paper charts",
                    }.get(outcome),
                    now=checkpoint_at + timedelta(hours=2),
                    new_due_date=go_live + timedelta(days=7),
                    checkpoint=checkpoint,
                )
        phases.set_phase(
            session,
            actor=project_lead,
            phase=Phase.GO_LIVE,
            note="Wave 1 live",
            now=datetime.combine(go_live, time(7, 0), zone),
        )
        top = risks.list_risks(session, limit=3)
        for risk in top:
            decisions.record_decision(
                session,
                actor=board[0],
                risk=risk,
                now=datetime.combine(go_live - timedelta(days=1), time(14, 0), zone),
                data=decisions.NewDecision(
                    kind=DecisionKind.ADD_CONTROL,
                    summary="Go ahead with go-live; add a daily check until scores fall",
                    owner=project_lead,
                    follow_up_date=go_live + timedelta(days=14),
                ),
            )

    categories = list(ISSUE_TEXTS)
    weights = [14, 12, 12, 5, 8, 10, 6, 6, 5, 2]
    for day in range(14):
        for _ in range(rng.randint(6, 10)):
            service = rng.choice(services)
            reported = datetime.combine(
                go_live + timedelta(days=day), time(rng.randint(6, 22), rng.randint(0, 59)), zone
            )
            kind = rng.choices(categories, weights=weights)[0]
            urgent = kind == IssueCategory.MEDICATION or rng.random() < 0.1
            with session_scope(engine) as session:
                reporter = rng.choice([s for s in staff if s.service_id == service.id])
                issue, _ = issues.report_issue(
                    session,
                    reporter=reporter,
                    now=reported,
                    report=issues.IssueReport(
                        service_id=ident(service),
                        category=kind,
                        description=rng.choice(ISSUE_TEXTS[kind]),
                        impact=Impact.SAFE_CARE
                        if urgent and rng.random() < 0.5
                        else rng.choice([Impact.NONE, Impact.SOME]),
                        urgency=Urgency.URGENT
                        if urgent
                        else rng.choice([Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH]),
                        workaround=rng.choices(list(Workaround), weights=[7, 2, 1])[0],
                        workaround_detail="On paper, back-entered at the end of the shift",
                        source=rng.choice(
                            [IssueSource.SLASH_COMMAND, IssueSource.MESSAGE_SHORTCUT]
                        ),
                    ),
                )
                counts["issues"] += 1
            _progress_issue(
                engine,
                rng,
                issue.ref,
                service=service,
                reported=reported,
                now=now,
                leader=leaders[services.index(service)],
                manager=managers[services.index(service)],
            )
    return DemoSummary(
        services=len(services),
        people=counts["people"],
        risks=counts["risks"],
        controls=counts["controls"],
        issues=counts["issues"],
        go_live=go_live,
        now=now,
    )


def _progress_issue(
    engine: Engine,
    rng: random.Random,
    ref: str,
    *,
    service: Service,
    reported: datetime,
    now: datetime,
    leader: Person,
    manager: Person,
) -> None:
    """Take an issue as far through triage as a real team would have by now."""
    age = now - reported
    stage = rng.random() * min(1.0, age / timedelta(days=5))
    steps = [
        (0.1, lambda s, at: issues.assign_owner(s, actor=leader, ref=ref, owner=leader, now=at)),
        (
            0.2,
            lambda s, at: issues.add_immediate_control(
                s,
                actor=manager,
                ref=ref,
                description="Manual check by the shift leader each round",
                owner=leader,
                now=at,
            ),
        ),
        (
            0.35,
            lambda s, at: issues.set_correction(
                s,
                actor=leader,
                ref=ref,
                action="Supplier to correct the configuration",
                due=(at + timedelta(days=3)).date(),
                now=at,
            ),
        ),
        (0.6, lambda s, at: issues.resolve(s, actor=leader, ref=ref, now=at)),
        (
            0.8,
            lambda s, at: issues.close(
                s,
                actor=manager,
                ref=ref,
                now=at,
                evidence="Checked on the next two shifts: recording correctly",
            ),
        ),
    ]
    at = reported
    for threshold, step in steps:
        if stage < threshold:
            break
        at = min(at + timedelta(hours=rng.randint(1, 20)), now)
        with session_scope(engine) as session:
            step(session, at)
