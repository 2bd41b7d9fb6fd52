"""The demo provider: Heathfield Care Group, five weeks into rolling its electronic care
management system out across five services in three waves.

It tells one story an inspector could follow. The register opened nine weeks ago; wave 1 (two
homes) went live five weeks ago and is stabilising, wave 2 a fortnight ago, and the board
delayed wave 3 (the domiciliary branch, whose carers' phones were too old) until next week.
Controls were completed (a second person verifying those on high risks), delayed, or found
not to work; the quality lead rescored risks as the evidence came in, so the register at
go-live and the register now differ. Issues arrive only once a service is live, most in its
first week, and each is taken as far as a real team would have by now: older ones closed
with evidence (their immediate controls ended), recent ones still being worked on.

Everything goes through the store's own functions, as the person who would make each change
and at the moment they would make it, every moment relative to ``now``: the records carry a
true audit trail and obey every rule.
"""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from store.infra.db import session_scope
from store.records import (
    channels,
    checkpoints,
    controls,
    decisions,
    issues,
    people,
    phases,
    risks,
    training,
    waves,
)
from store.records.actors import COMMAND_LINE
from store.records.continuity import RECONCILE
from store.records.enums import (
    Band,
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
from store.records.models import Checkpoint, Person, Risk, Service, Verification, ident
from store.records.scoring import band_for
from store.records.waves import WaveStatus

PROVIDER = "Heathfield Care Group"

SET_UP = -63
"""The day the register opened. Every day here is counted from this week's Tuesday (today,
or the last Tuesday before it): the board meets on Tuesdays and services go live on them."""
WAVE_1 = -35
WAVE_2 = -14
WAVE_3_PLANNED = -7
WAVE_3 = 7
TUESDAY = 1
READINESS = -38
BOARD_DAYS = (-56, -49, -42, READINESS, -28, -21, -14, -7, 0)
"""The project board's weekly reviews; at wave 1's readiness review it reviews every risk."""
CHECKPOINT_DAYS = {-38: "Wave 1 readiness review", -17: "Wave 2 readiness review"}


@dataclass(frozen=True)
class Home:
    """A service, its wave, and the people who work there."""

    name: str
    about: str
    channel: str
    wave: int
    planned: int
    """The go-live day planned at set-up."""
    live: int
    """The day it went live, or will: wave 3's was put back by the board."""
    manager: str
    leader: str
    staff: tuple[str, str, str]


HOMES = (
    Home(
        "Oakwood House",
        "Residential home, 42 beds",
        "C0DEMOOAKWOOD",
        1,
        WAVE_1,
        WAVE_1,
        "Amy Richardson",
        "Ben Carter",
        ("Chloe Adeyemi", "Daniel Hughes", "Grace O'Neill"),
    ),
    Home(
        "Riverside Lodge",
        "Nursing home, 60 beds",
        "C0DEMORIVERSIDE",
        1,
        WAVE_1,
        WAVE_1,
        "Mark Jennings",
        "Fatima Begum",
        ("Joseph Kowalski", "Lucy Bennett", "Nadia Rahman"),
    ),
    Home(
        "Meadowbank",
        "Dementia care, 35 beds",
        "C0DEMOMEADOW",
        2,
        WAVE_2,
        WAVE_2,
        "Claire Dawson",
        "Owen Price",
        ("Rosa Martins", "Sean Gallagher", "Yasmin Ali"),
    ),
    Home(
        "Harbour View",
        "Residential home, 28 beds",
        "C0DEMOHARBOUR",
        2,
        WAVE_2,
        WAVE_2,
        "Gareth Lewis",
        "Hannah Moore",
        ("Kwame Mensah", "Megan Lloyd", "Tariq Hussain"),
    ),
    Home(
        "Community Care North",
        "Domiciliary care branch",
        "C0DEMOCCNORTH",
        3,
        WAVE_3_PLANNED,
        WAVE_3,
        "Sarah Whitaker",
        "Liam Brooks",
        ("Aisha Khan", "Emily Turner", "Patrick Doyle"),
    ),
)

PROJECT_LEAD = "Priya Shah"
QUALITY_LEAD = "Tom Okafor"
CHAIR = "Helen Marsh"
BOARD_MEMBER = "Ravi Patel"
IT_LEAD = "Sam Whitfield"


@dataclass(frozen=True)
class Step:
    """On ``day``, the control's owner marks it ``status``; a delayed control gets a new due
    day and a reason, one that does not work says why. Completing a control on a high or
    extreme risk asks for a second person's check, which the quality lead gives that day."""

    day: int
    status: ControlStatus
    note: str | None = None
    new_due: int | None = None


@dataclass(frozen=True)
class ControlPlan:
    text: str
    due: int
    steps: tuple[Step, ...] = ()
    added: int | None = None
    """The day a control was added after set-up (a board decision); None: with the risk."""


@dataclass(frozen=True)
class Rescore:
    day: int
    likelihood: int
    impact: int
    reason: str


@dataclass(frozen=True)
class RiskPlan:
    title: str
    category: RiskCategory
    likelihood: int
    impact: int
    owner: str
    controls: tuple[ControlPlan, ...]
    rescores: tuple[Rescore, ...] = ()
    service: str | None = None


@dataclass(frozen=True)
class BoardDecision:
    day: int
    risk: int
    """The risk's number on the register (R-001 is 1)."""
    kind: DecisionKind
    summary: str
    follow_up: int | None = None
    route: str | None = None


DONE = ControlStatus.COMPLETE
GOING = ControlStatus.IN_PROGRESS

RISKS: tuple[RiskPlan, ...] = (
    RiskPlan(
        "Medication histories do not migrate accurately",
        RiskCategory.DATA_MIGRATION,
        4,
        5,
        "Mark Jennings",
        (
            ControlPlan(
                "Pharmacist reconciles every migrated MAR before go-live",
                -37,
                (Step(-45, GOING), Step(-38, DONE, "Every MAR reconciled; 14 discrepancies fixed")),
            ),
            ControlPlan(
                "Parallel paper MAR for the first 72 hours",
                -32,
                (Step(-35, GOING), Step(-32, DONE, "72 hours of paper and eMAR matched")),
            ),
        ),
        (
            Rescore(-38, 3, 5, "Reconciliation complete; residual errors possible"),
            Rescore(-28, 2, 5, "No migration errors in the first week's eMAR audits"),
        ),
    ),
    RiskPlan(
        "Allergy and DNACPR flags lost in migration",
        RiskCategory.DATA_MIGRATION,
        3,
        5,
        PROJECT_LEAD,
        (
            ControlPlan(
                "Manual check of every resident's flags against the paper file",
                -15,
                (
                    Step(-40, GOING),
                    Step(-17, DONE, "Flags checked for both waves; two corrected at Meadowbank"),
                ),
            ),
        ),
        (
            Rescore(-38, 2, 5, "Wave 1 flags all checked against the paper files"),
            Rescore(-5, 2, 4, "Wave 2 checked too; only two flags needed correcting"),
        ),
    ),
    RiskPlan(
        "Night staff not trained before go-live",
        RiskCategory.TRAINING,
        4,
        3,
        "Amy Richardson",
        (
            ControlPlan(
                "Night-shift training sessions at 21:00",
                -42,
                (
                    Step(-44, ControlStatus.DELAYED, "Trainer off sick; sessions rebooked", -39),
                    Step(-39, DONE, "31 of 33 night staff trained; two on leave"),
                ),
            ),
            ControlPlan(
                "Super-user on each night shift for the first week",
                -28,
                (Step(-35, GOING), Step(-28, DONE, "Super-users covered every night shift")),
            ),
        ),
        (Rescore(-38, 2, 3, "Night staff trained; super-users rostered"),),
    ),
    RiskPlan(
        "Agency staff cannot access the system",
        RiskCategory.ACCESS,
        4,
        4,
        "Mark Jennings",
        (
            ControlPlan(
                "Pre-created agency accounts with the agency",
                -36,
                (
                    Step(-40, DONE, "Twelve agency accounts created"),
                    Step(
                        -30,
                        ControlStatus.INEFFECTIVE,
                        "The agency sends different carers each night; accounts go unused",
                    ),
                ),
            ),
            ControlPlan(
                "Paper fallback kept at each nurse station",
                -36,
                (Step(-37, DONE, "Fallback packs checked at every nurse station"),),
            ),
            ControlPlan(
                "Shift leader issues a temporary login to each agency carer at handover",
                -14,
                (Step(-27, GOING), Step(-12, DONE, "Temporary logins used on every shift")),
                added=-28,
            ),
        ),
        (
            Rescore(-28, 5, 4, "Agency carers locked out on six night shifts"),
            Rescore(-7, 3, 4, "Temporary logins working; two lockouts in a fortnight"),
        ),
    ),
    RiskPlan(
        "Wi-Fi dead spots stop recording at the point of care",
        RiskCategory.EQUIPMENT,
        3,
        3,
        IT_LEAD,
        (
            ControlPlan(
                "Wi-Fi survey and extra access points",
                -20,
                (
                    Step(-50, GOING),
                    Step(
                        -20, ControlStatus.DELAYED, "Access points on back order from supplier", 9
                    ),
                ),
            ),
        ),
        (Rescore(-6, 4, 3, "Tablets drop off the network at Meadowbank most days"),),
    ),
    RiskPlan(
        "Handheld devices fail or are lost",
        RiskCategory.EQUIPMENT,
        3,
        2,
        IT_LEAD,
        (
            ControlPlan(
                "Spare charged devices in the office",
                -40,
                (Step(-41, DONE, "Four spares charged in each office"),),
            ),
        ),
    ),
    RiskPlan(
        "Supplier support slow outside office hours",
        RiskCategory.SUPPLIER_SUPPORT,
        3,
        4,
        PROJECT_LEAD,
        (
            ControlPlan(
                "Agree an out-of-hours escalation number with the supplier",
                -38,
                (
                    Step(-39, DONE, "Number agreed and on every nurse station"),
                    Step(
                        -21,
                        ControlStatus.INEFFECTIVE,
                        "The out-of-hours line went to voicemail on two weekend nights",
                    ),
                ),
            ),
        ),
        (Rescore(-20, 4, 4, "Two weekend outages waited until Monday for the supplier"),),
    ),
    RiskPlan(
        "Care workflows do not match the new screens",
        RiskCategory.WORKFLOWS,
        4,
        3,
        "Claire Dawson",
        (
            ControlPlan(
                "Walk-through of each workflow with senior carers",
                -15,
                (Step(-25, GOING), Step(-17, DONE, "Walk-throughs done with all senior carers")),
            ),
        ),
        (Rescore(-7, 3, 3, "Walk-throughs helped; repositioning still confuses night staff"),),
        service="Meadowbank",
    ),
    RiskPlan(
        "Handover information lost between systems",
        RiskCategory.WORKFLOWS,
        3,
        4,
        "Ben Carter",
        (
            ControlPlan(
                "Printed handover sheet for the first fortnight",
                -36,
                (Step(-36, DONE, "Sheets printed for every shift for two weeks"),),
            ),
        ),
        (Rescore(-21, 2, 4, "Handover screen now used on every shift at wave 1"),),
    ),
    RiskPlan(
        "Managers lose oversight of incidents during transition",
        RiskCategory.WORKFLOWS,
        2,
        4,
        PROJECT_LEAD,
        (ControlPlan("Daily incident huddle with the registered manager", 6, (Step(-35, GOING),)),),
    ),
    RiskPlan(
        "Time-critical medicines missed during the changeover",
        RiskCategory.MEDICATION_ROUTINES,
        3,
        5,
        "Mark Jennings",
        (
            ControlPlan(
                "Time-critical medicines list on paper at each drug trolley",
                -36,
                (Step(-37, DONE, "Lists on every trolley, checked by the nurse in charge"),),
            ),
            ControlPlan(
                "Supplier to flag time-critical medicines on the eMAR round list",
                5,
                (Step(-19, GOING),),
                added=-21,
            ),
        ),
        (
            Rescore(-38, 2, 5, "Paper lists in place on every trolley"),
            Rescore(-21, 3, 5, "Parkinson's medicines not flagged on the eMAR round list"),
        ),
    ),
    RiskPlan(
        "Staffing pressures during training release",
        RiskCategory.STAFFING_PRESSURES,
        4,
        3,
        "Mark Jennings",
        (
            ControlPlan(
                "Book backfill for training hours",
                -42,
                (Step(-43, DONE, "Bank staff booked for every training session"),),
            ),
        ),
        (Rescore(-38, 2, 3, "Backfill covered every session"),),
        service="Riverside Lodge",
    ),
    RiskPlan(
        "Residents with behaviours that challenge have incomplete plans",
        RiskCategory.HIGH_RISK_INDIVIDUALS,
        2,
        4,
        "Claire Dawson",
        (
            ControlPlan(
                "Keyworker reviews each plan within 7 days of go-live",
                -7,
                (Step(-14, GOING), Step(-6, DONE, "All 11 plans reviewed by keyworkers")),
            ),
        ),
        service="Meadowbank",
    ),
    RiskPlan(
        "Safeguarding concerns recorded in the wrong place",
        RiskCategory.WORKFLOWS,
        2,
        5,
        QUALITY_LEAD,
        (ControlPlan("Safeguarding lead checks all new entries daily", 7, (Step(-35, GOING),)),),
    ),
    RiskPlan(
        "Commissioner reports cannot be produced",
        RiskCategory.OTHER,
        2,
        3,
        PROJECT_LEAD,
        (
            ControlPlan(
                "Test the monthly commissioner report before go-live",
                -40,
                (Step(-41, DONE, "Test report produced from the training system"),),
            ),
        ),
        (Rescore(-14, 1, 3, "Last month's commissioner report produced from golive"),),
    ),
    RiskPlan(
        "Data protection breach through shared logins",
        RiskCategory.ACCESS,
        2,
        4,
        "Gareth Lewis",
        (ControlPlan("No shared logins: audit weekly", 4, (Step(-14, GOING),)),),
        service="Harbour View",
    ),
    RiskPlan(
        "Paper records made during outages never back-entered",
        RiskCategory.WORKFLOWS,
        3,
        3,
        "Fatima Begum",
        (
            ControlPlan(
                "Back-entry log checked by the shift leader",
                -30,
                (
                    Step(-34, DONE, "Log in use at both wave 1 homes"),
                    Step(
                        -1,
                        ControlStatus.INEFFECTIVE,
                        "Back-entry log not kept on night shifts at Riverside Lodge",
                    ),
                ),
            ),
        ),
    ),
    RiskPlan(
        "Legacy system switched off before archive checked",
        RiskCategory.DATA_MIGRATION,
        2,
        5,
        IT_LEAD,
        (
            ControlPlan(
                "Read-only legacy access kept for 6 months",
                -36,
                (Step(-37, DONE, "Read-only access confirmed until May"),),
            ),
        ),
        (Rescore(-28, 1, 5, "Archive checked against the legacy system"),),
    ),
    RiskPlan(
        "Domiciliary carers' phones too old for the app",
        RiskCategory.EQUIPMENT,
        4,
        3,
        "Sarah Whitaker",
        (
            ControlPlan(
                "Replace phones older than 4 years",
                -10,
                (
                    Step(-30, GOING),
                    Step(-22, ControlStatus.DELAYED, "Replacement phones delivered late", 3),
                ),
            ),
        ),
        service="Community Care North",
    ),
    RiskPlan(
        "Care plan reviews fall behind during go-live",
        RiskCategory.WORKFLOWS,
        3,
        3,
        "Amy Richardson",
        (
            ControlPlan(
                "Review schedule moved into the new system in week 1",
                -28,
                (Step(-35, GOING), Step(-30, DONE, "Every review date now in the new system")),
            ),
        ),
        (Rescore(-21, 2, 3, "No review missed since go-live"),),
    ),
    RiskPlan(
        "Residents' families not told about the change",
        RiskCategory.OTHER,
        2,
        2,
        PROJECT_LEAD,
        (
            ControlPlan(
                "Letter to families before go-live",
                -42,
                (Step(-43, DONE, "Letters sent to every family at both waves"),),
            ),
        ),
    ),
    RiskPlan(
        "Trainers unavailable for wave 3",
        RiskCategory.TRAINING,
        2,
        3,
        PROJECT_LEAD,
        (ControlPlan("Second trainer booked with the supplier", 3),),
    ),
)

DECISIONS = (
    BoardDecision(
        -38,
        1,
        DecisionKind.ADD_CONTROL,
        "Go ahead with wave 1; the pharmacist checks every eMAR daily for the first week",
        follow_up=-28,
    ),
    BoardDecision(
        -28,
        4,
        DecisionKind.ADD_CONTROL,
        "Shift leaders issue temporary logins to agency carers until the agency fixes rotas",
        follow_up=-14,
    ),
    BoardDecision(
        -28,
        21,
        DecisionKind.CLOSE,
        "Close: every family has had a letter and no complaints were received",
    ),
    BoardDecision(
        -21,
        19,
        DecisionKind.DELAY_ROLLOUT,
        "Delay Community Care North's go-live by a fortnight until the replacement phones arrive",
        follow_up=3,
    ),
    BoardDecision(
        -21,
        11,
        DecisionKind.ADD_CONTROL,
        "Ask the supplier to flag time-critical medicines on the round list",
        follow_up=7,
    ),
    BoardDecision(
        -20,
        7,
        DecisionKind.ESCALATE_TO_SUPPLIER,
        "Escalate to the supplier's account manager: the out-of-hours line must answer",
        route="Supplier account manager, then the contract review",
        follow_up=7,
    ),
)

SLIPPED = frozenset({10, 16})
"""Risks whose reviews slipped once wave 2 was live, so the board sees reviews overdue."""


@dataclass(frozen=True)
class IssueKind:
    """What staff report of one kind, and what the team does about it."""

    texts: tuple[str, ...]
    urgent: float
    safe_care: float
    control: str
    correction: str
    evidence: str


ISSUE_KINDS: dict[IssueCategory, IssueKind] = {
    IssueCategory.LOGIN_ACCESS: IssueKind(
        (
            "Night staff locked out of the app after the password reset",
            "Agency carer has no account, so cannot record the evening round",
            "Two-factor codes not arriving on the shared handset",
            "New starter's account has the wrong home, sees no residents",
        ),
        0.1,
        0.0,
        "Shift leader records for the locked-out carer until access is restored",
        "IT to reset the account and check its home and role",
        "Carer logged in and recorded a full shift",
    ),
    IssueCategory.RECORDS: IssueKind(
        (
            "Care plan for room 12 missing the falls risk assessment",
            "Fluid charts from before go-live not visible for room 4",
            "Resident's DNACPR status shows blank in the new system",
            "Wound care notes for room 7 saved against the wrong resident",
        ),
        0.15,
        0.15,
        "Nurse in charge checks the paper file before each intervention",
        "Correct the record from the paper file and check the resident's other records",
        "Record checked against the paper file by the nurse in charge",
    ),
    IssueCategory.WORKFLOW: IssueKind(
        (
            "Unclear where to record repositioning; staff using paper",
            "Handover notes split across two screens, staff missing items",
            "Body map workflow takes nine taps; carers skipping it",
            "Staff unsure how to record a resident's refusal of personal care",
        ),
        0.05,
        0.0,
        "Senior carer checks the records at the end of each shift",
        "Super-user to show each shift the agreed way to record it",
        "Spot check of ten records shows the agreed workflow in use",
    ),
    IssueCategory.REPORTING: IssueKind(
        (
            "Daily notes report does not show agency staff entries",
            "Incident report export missing the witness field",
            "Weight loss report leaves out residents admitted this month",
        ),
        0.05,
        0.0,
        "Manager compiles the report by hand from the records",
        "Supplier to correct the report's filter",
        "Report rerun and checked against the records",
    ),
    IssueCategory.DEVICES: IssueKind(
        (
            "Two handsets will not charge in the dock",
            "Tablet on the first floor loses Wi-Fi in the lounge",
            "Handset screen cracked; carer sharing a colleague's device",
        ),
        0.05,
        0.0,
        "Spare device issued from the office",
        "IT to replace the device and check the dock",
        "Replacement device in use for two shifts without a fault",
    ),
    IssueCategory.MEDICATION: IssueKind(
        (
            "eMAR shows PRN paracetamol as already given when it was not",
            "Controlled drug count screen freezes at the second signature",
            "Time-critical Parkinson's meds not flagged on the round list",
            "Refused medication cannot be recorded with a reason",
        ),
        0.5,
        0.35,
        "Second nurse checks every eMAR entry against the paper MAR each round",
        "Supplier to correct the eMAR configuration for this medicine",
        "Two medication rounds checked by a second nurse: recorded correctly",
    ),
    IssueCategory.DATA_MIGRATION: IssueKind(
        (
            "Allergies did not migrate for three residents",
            "Next of kin details duplicated after import",
            "GP details missing for residents admitted last year",
        ),
        0.1,
        0.1,
        "Nurse in charge checks the paper file before care is given",
        "Project team to correct the migrated records from the legacy archive",
        "Every affected record checked against the legacy archive",
    ),
    IssueCategory.TRAINING: IssueKind(
        (
            "Bank staff not trained on the new handover screen",
            "Senior carers unsure how to record a refused medication",
            "Night staff unsure how to raise an incident in the new system",
        ),
        0.03,
        0.0,
        "Super-user on shift shows staff at each handover",
        "Book a short session for the staff who missed training",
        "Staff trained and observed recording correctly",
    ),
    IssueCategory.SUPPLIER: IssueKind(
        (
            "System unavailable for 20 minutes during the morning round",
            "Sync errors when the handset goes offline",
            "Records saved offline not appearing after reconnecting",
        ),
        0.2,
        0.05,
        "Paper records during outages, back-entered by the shift leader",
        "Supplier to investigate and fix the fault",
        "Supplier's fix confirmed; no recurrence in three days",
    ),
    IssueCategory.OTHER: IssueKind(
        ("Printer for MAR backup sheets not set up",),
        0.03,
        0.0,
        "Backup sheets printed in the main office",
        "IT to install the printer",
        "Printer installed and a test sheet printed",
    ),
}
EARLY_WEIGHTS = {  # a service's first week: access, training and migrated records
    IssueCategory.LOGIN_ACCESS: 16,
    IssueCategory.RECORDS: 10,
    IssueCategory.WORKFLOW: 10,
    IssueCategory.REPORTING: 2,
    IssueCategory.DEVICES: 7,
    IssueCategory.MEDICATION: 9,
    IssueCategory.DATA_MIGRATION: 10,
    IssueCategory.TRAINING: 10,
    IssueCategory.SUPPLIER: 4,
    IssueCategory.OTHER: 2,
}
LATER_WEIGHTS = {  # after it: how the work is done, and the reports built on it
    IssueCategory.LOGIN_ACCESS: 5,
    IssueCategory.RECORDS: 8,
    IssueCategory.WORKFLOW: 14,
    IssueCategory.REPORTING: 8,
    IssueCategory.DEVICES: 7,
    IssueCategory.MEDICATION: 8,
    IssueCategory.DATA_MIGRATION: 3,
    IssueCategory.TRAINING: 4,
    IssueCategory.SUPPLIER: 5,
    IssueCategory.OTHER: 1,
}
SUPPLIER_KINDS = frozenset({IssueCategory.SUPPLIER, IssueCategory.REPORTING})
STUCK = 0.2
"""The share of fixes that wait days longer (a configuration change, a supplier release)."""
ENDED = {RECONCILE: "Paper records back-entered and reconciled by the shift leader"}
"""How each control on an issue ends when the issue closes; immediate controls stop."""


def issues_on(day_live: int, rng: random.Random) -> int:
    """Issues a service reports on its ``day_live``-th day: a burst in the first week that
    settles to one every other day or so."""
    expected = 2.6 * math.exp(-day_live / 7) + 0.4
    return int(expected + rng.random())


def later(moment: datetime, hours: float) -> datetime:
    """``hours`` after ``moment``, to the minute, as people note the time things happen."""
    return moment + timedelta(minutes=round(hours * 60))


@dataclass(frozen=True)
class DemoSummary:
    """What was seeded, for the tour's first lines."""

    provider: str
    services: int
    waves: int
    people: int
    risks: int
    controls: int
    issues: int
    go_live: date


def seed(engine: Engine, *, now: datetime, zone: ZoneInfo, seed_value: int = 2026) -> DemoSummary:
    """Seed an empty database with the provider as it stands at ``now``."""
    story = _Story(engine, now=now, zone=zone, rng=random.Random(seed_value))
    story.set_up()
    story.govern()
    story.report_issues()
    return DemoSummary(
        provider=PROVIDER,
        services=len(HOMES),
        waves=len({home.wave for home in HOMES}),
        people=len(story.people),
        risks=len(RISKS),
        controls=sum(len(plan.controls) for plan in RISKS),
        issues=story.issues,
        go_live=story.day(WAVE_1),
    )


class _Story:
    """The provider's weeks, replayed in order through the store."""

    def __init__(self, engine: Engine, *, now: datetime, zone: ZoneInfo, rng: random.Random):
        self.engine = engine
        self.now = now
        self.zone = zone
        self.rng = rng
        today = now.astimezone(zone).date()
        self.tuesday = today - timedelta(days=(today.weekday() - TUESDAY) % 7)
        self.days_since_tuesday = (today - self.tuesday).days
        self.people: dict[str, Person] = {}
        self.services: dict[str, Service] = {}
        self.checkpoints: dict[date, Checkpoint] = {}
        self.refs: dict[int, str] = {}
        self.issues = 0

    def day(self, offset: int) -> date:
        return self.tuesday + timedelta(days=offset)

    def at(self, offset: int, hour: int, minute: int = 0) -> datetime:
        """A local wall-clock time ``offset`` days from this week's Tuesday."""
        return datetime.combine(self.day(offset), time(hour, minute), self.zone)

    def person(self, name: str) -> Person:
        return self.people[name]

    def manager_of(self, home: Home) -> Person:
        return self.people[home.manager]

    def set_up(self) -> None:
        """Services, channels, people and their roles, as the IT lead sets them up."""
        start = self.at(SET_UP, 8)
        with session_scope(self.engine) as session:
            for home in HOMES:
                self.services[home.name] = people.create_service(
                    session,
                    actor=COMMAND_LINE,
                    name=home.name,
                    channel_id=home.channel,
                    golive_date=self.day(home.planned),
                    now=start,
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
            head_office = self.services[HOMES[0].name]
            for uid, name, role in (
                ("U0DEMOPL", PROJECT_LEAD, Role.PROJECT_LEAD),
                ("U0DEMOQL", QUALITY_LEAD, Role.QUALITY_LEAD),
                ("U0DEMOB1", CHAIR, Role.BOARD_MEMBER),
                ("U0DEMOB2", BOARD_MEMBER, Role.BOARD_MEMBER),
                ("U0DEMOAD", IT_LEAD, Role.ADMIN),
            ):
                self._add_person(session, uid, name, head_office, role, None, start)
            for index, home in enumerate(HOMES):
                service = self.services[home.name]
                self._add_person(
                    session,
                    f"U0DEMORM{index}",
                    home.manager,
                    service,
                    Role.REGISTERED_MANAGER,
                    service,
                    start,
                )
                self._add_person(
                    session,
                    f"U0DEMOTL{index}",
                    home.leader,
                    service,
                    Role.TEAM_LEADER,
                    service,
                    start,
                )
                for number, name in enumerate(home.staff):
                    self._add_person(
                        session, f"U0DEMOST{index}{number}", name, service, None, None, start
                    )

    def _add_person(
        self,
        session: Session,
        uid: str,
        name: str,
        home: Service,
        role: Role | None,
        service: Service | None,
        now: datetime,
    ) -> None:
        who = people.add_person(
            session, actor=COMMAND_LINE, slack_user_id=uid, name=name, service=home, now=now
        )
        if role is not None:
            people.grant_role(
                session, actor=COMMAND_LINE, person=who, role=role, service=service, now=now
            )
        self.people[name] = who

    def govern(self) -> None:
        """The register and the rollout, week by week: every change at its own time, in time
        order, so each rule sees the register as it stood (a control completed while its
        risk was high needs a second person; after a rescore, it may not)."""
        events: list[tuple[datetime, int, Callable[..., object], tuple[object, ...]]] = []

        def on(moment: datetime, action: Callable[..., object], *args: object) -> None:
            if moment <= self.now:
                events.append((moment, len(events), action, args))

        on(self.at(SET_UP, 9), self._open_register)
        for home in HOMES:
            on(self.at(SET_UP, 9, 5), self._plan_wave, home)
        on(self.at(WAVE_1, 7), self._go_live, 1)
        on(self.at(WAVE_2, 7), self._go_live, 2)
        on(self.at(WAVE_2, 7, 5), self._stabilising, 1)
        for offset, name in CHECKPOINT_DAYS.items():
            on(self.at(offset, 9), self._open_checkpoint, name)
        for number, plan in enumerate(RISKS, 1):
            on(self.at(SET_UP, 10, number), self._create_risk, number, plan)
            for rescore in plan.rescores:
                on(self.at(rescore.day, 10, number), self._rescore, number, rescore)
            for control in plan.controls:
                if control.added is not None:
                    on(self.at(control.added, 11, number), self._add_control, number, control)
                for step in control.steps:
                    on(self.at(step.day, 14, number), self._step, number, control, step)
        for board_day in BOARD_DAYS:
            on(self.at(board_day, 10, 45), self._review, board_day)
        for decision in DECISIONS:
            on(self.at(decision.day, 10, 30), self._decide, decision)
        with session_scope(self.engine) as session:
            for moment, _, action, args in sorted(events, key=lambda event: event[:2]):
                action(session, moment, *args)

    def _open_register(self, session: Session, moment: datetime) -> None:
        phases.set_phase(
            session,
            actor=self.person(PROJECT_LEAD),
            phase=Phase.PRE_GO_LIVE,
            note=f"Register opened; wave 1 goes live on {self.day(WAVE_1):%d %B}",
            now=moment,
        )

    def _plan_wave(self, session: Session, moment: datetime, home: Home) -> None:
        waves.set_wave(
            session,
            actor=self.person(PROJECT_LEAD),
            service=self.services[home.name],
            wave=home.wave,
            now=moment,
        )

    def _go_live(self, session: Session, moment: datetime, wave: int) -> None:
        """A wave goes live; the first takes the project into its go-live phase."""
        lead = self.person(PROJECT_LEAD)
        homes = [home for home in HOMES if home.wave == wave]
        if wave == 1:
            names = " and ".join(home.name for home in homes)
            phases.set_phase(
                session, actor=lead, phase=Phase.GO_LIVE, note=f"Wave 1 live: {names}", now=moment
            )
        for home in homes:
            waves.set_wave(
                session,
                actor=lead,
                service=self.services[home.name],
                status=WaveStatus.LIVE,
                now=moment,
            )

    def _stabilising(self, session: Session, moment: datetime, wave: int) -> None:
        for home in HOMES:
            if home.wave == wave:
                waves.set_wave(
                    session,
                    actor=self.person(PROJECT_LEAD),
                    service=self.services[home.name],
                    status=WaveStatus.STABILISING,
                    now=moment,
                )

    def _open_checkpoint(self, session: Session, moment: datetime, name: str) -> None:
        self.checkpoints[moment.date()] = checkpoints.open_checkpoint(
            session, actor=self.person(PROJECT_LEAD), name=name, now=moment
        )

    def _create_risk(self, session: Session, moment: datetime, number: int, plan: RiskPlan) -> None:
        """The risk as its author records it, scored by the quality lead, its first controls
        given to its owner with their due dates."""
        home = next((home for home in HOMES if home.name == plan.service), None)
        service = self.services[home.name] if home else None
        owner = self.person(plan.owner)
        first = [control for control in plan.controls if control.added is None]
        risk = risks.create_risk(
            session,
            actor=self.manager_of(home) if home else self.person(PROJECT_LEAD),
            now=moment,
            data=risks.NewRisk(
                title=plan.title,
                category=plan.category,
                scope=RiskScope.SERVICE if service else RiskScope.ORGANISATION,
                service_id=service.id if service else None,
                owner_id=owner.id,
                escalation_route="Project lead, then the project board",
                first_controls=[control.text for control in first],
            ),
        )
        self.refs[number] = risk.ref
        quality = self.person(QUALITY_LEAD)
        risks.score_risk(
            session,
            actor=quality,
            ref=risk.ref,
            likelihood=plan.likelihood,
            impact=plan.impact,
            reason="Initial assessment at register set-up",
            now=moment,
        )
        risks.set_target(
            session,
            actor=quality,
            ref=risk.ref,
            likelihood=1 if plan.impact >= 4 else 2,
            impact=plan.impact,
            now=moment,
        )
        self._next_review(session, risk, moment)
        for control, control_plan in zip(risks.controls_of(session, risk), first, strict=True):
            controls.assign_control(
                session,
                actor=self.person(PROJECT_LEAD),
                control=control,
                owner=owner,
                due_date=self.day(control_plan.due),
                now=moment,
            )

    def _next_review(self, session: Session, risk: Risk, moment: datetime) -> None:
        """Extreme risks come back to the board in a week, high in a fortnight, others in four
        weeks."""
        weeks = {Band.EXTREME: 1, Band.HIGH: 2}.get(band_for(risk.score or 0), 4)
        risks.set_review_date(
            session,
            actor=self.person(QUALITY_LEAD),
            ref=risk.ref,
            review_date=moment.date() + timedelta(weeks=weeks),
            now=moment,
        )

    def _rescore(self, session: Session, moment: datetime, number: int, rescore: Rescore) -> None:
        risk = risks.score_risk(
            session,
            actor=self.person(QUALITY_LEAD),
            ref=self.refs[number],
            likelihood=rescore.likelihood,
            impact=rescore.impact,
            reason=rescore.reason,
            now=moment,
        )
        self._next_review(session, risk, moment)

    def _review(self, session: Session, moment: datetime, board_day: int) -> None:
        """At each board meeting the risks due for review are reviewed (at wave 1's readiness
        review, every risk): the score stands, since any change was a rescore, and the next
        review is booked."""
        for number, ref in self.refs.items():
            risk = risks.get_risk(session, ref)
            slipped = number in SLIPPED and board_day >= WAVE_2
            due = board_day == READINESS or (
                risk.review_date is not None and risk.review_date <= moment.date()
            )
            if due and not slipped and risk.is_open:
                self._next_review(session, risk, moment)

    def _add_control(
        self, session: Session, moment: datetime, number: int, plan: ControlPlan
    ) -> None:
        controls.add_control(
            session,
            actor=self.person(PROJECT_LEAD),
            risk=risks.get_risk(session, self.refs[number]),
            description=plan.text,
            owner=self.person(RISKS[number - 1].owner),
            due_date=self.day(plan.due),
            now=moment,
        )

    def _step(
        self, session: Session, moment: datetime, number: int, plan: ControlPlan, step: Step
    ) -> None:
        """The owner records the step; a completion that needs a second person's check gets
        it from the quality lead two hours later."""
        risk = risks.get_risk(session, self.refs[number])
        [control] = [c for c in risks.controls_of(session, risk) if c.description == plan.text]
        result = controls.update_status(
            session,
            actor=self.person(RISKS[number - 1].owner),
            control=control,
            status=step.status,
            note=step.note,
            now=moment,
            new_due_date=None if step.new_due is None else self.day(step.new_due),
            checkpoint=self.checkpoints.get(moment.date()),
        )
        checked = moment + timedelta(hours=2)
        if isinstance(result, Verification) and checked <= self.now:
            controls.confirm_complete(
                session,
                actor=self.person(QUALITY_LEAD),
                control=control,
                evidence="Seen in practice on a visit to the service",
                now=checked,
            )

    def _decide(self, session: Session, moment: datetime, decision: BoardDecision) -> None:
        """The chair records the board's decision; a delayed rollout moves the wave's date."""
        decisions.record_decision(
            session,
            actor=self.person(CHAIR),
            risk=risks.get_risk(session, self.refs[decision.risk]),
            now=moment,
            data=decisions.NewDecision(
                kind=decision.kind,
                summary=decision.summary,
                owner=self.person(PROJECT_LEAD),
                escalation_route=decision.route,
                follow_up_date=None if decision.follow_up is None else self.day(decision.follow_up),
            ),
        )
        if decision.kind == DecisionKind.DELAY_ROLLOUT:
            home = next(home for home in HOMES if home.name == RISKS[decision.risk - 1].service)
            waves.set_wave(
                session,
                actor=self.person(PROJECT_LEAD),
                service=self.services[home.name],
                golive_date=self.day(home.live),
                now=moment,
            )

    def report_issues(self) -> None:
        """Each live service's issues, day by day from its go-live, in the order staff
        reported them, each taken as far through triage as the team would have by now."""
        live = [home for home in HOMES if home.live <= 0]
        themes: dict[tuple[str, IssueCategory], list[tuple[str, datetime]]] = {}
        for offset in range(WAVE_1, self.days_since_tuesday + 1):
            reports: list[tuple[datetime, Home, IssueCategory]] = []
            for home in live:
                day_live = offset - home.live
                if day_live < 0:
                    continue
                weights = EARLY_WEIGHTS if day_live < 7 else LATER_WEIGHTS
                for _ in range(issues_on(day_live, self.rng)):
                    first_hour = 7 if day_live == 0 else 6
                    moment = self.at(
                        offset, self.rng.randint(first_hour, 21), self.rng.randint(0, 59)
                    )
                    kind = self.rng.choices(list(weights), weights=list(weights.values()))[0]
                    reports.append((moment, home, kind))
            reports.sort(key=lambda report: report[0])
            with session_scope(self.engine) as session:
                for moment, home, kind in reports:
                    if moment > self.now:
                        continue
                    ref = self._report(session, moment, home, kind)
                    themes.setdefault((home.name, kind), []).append((ref, moment))
        self._log_training_need(themes)

    def _report(self, session: Session, moment: datetime, home: Home, kind: IssueCategory) -> str:
        rng = self.rng
        about = ISSUE_KINDS[kind]
        service = self.services[home.name]
        urgent = rng.random() < about.urgent
        safe_care = rng.random() < about.safe_care
        workaround = rng.choices(list(Workaround), weights=[14, 5, 1])[0]
        issue, _ = issues.report_issue(
            session,
            reporter=self.person(rng.choice(home.staff)),
            now=moment,
            report=issues.IssueReport(
                service_id=ident(service),
                category=kind,
                description=rng.choice(about.texts),
                impact=Impact.SAFE_CARE if safe_care else rng.choice([Impact.NONE, Impact.SOME]),
                urgency=Urgency.URGENT
                if urgent
                else rng.choices([Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH], [3, 5, 2])[0],
                workaround=workaround,
                workaround_detail={
                    Workaround.NONE: "",
                    Workaround.SAFE: "Recorded on paper and back-entered at the end of the shift",
                    Workaround.UNSAFE: "Carers sharing one login on the shared handset",
                }[workaround],
                source=rng.choice([IssueSource.SLASH_COMMAND, IssueSource.MESSAGE_SHORTCUT]),
            ),
        )
        self.issues += 1
        self._work_on(
            session,
            issue.ref,
            home=home,
            kind=about,
            reported=moment,
            needs_control=urgent or safe_care or workaround == Workaround.UNSAFE,
            safe_care=safe_care,
            supplier=kind in SUPPLIER_KINDS,
            fast=urgent or safe_care,
        )
        return issue.ref

    def _work_on(
        self,
        session: Session,
        ref: str,
        *,
        home: Home,
        kind: IssueKind,
        reported: datetime,
        needs_control: bool,
        safe_care: bool,
        supplier: bool,
        fast: bool,
    ) -> None:
        """Triage, an immediate control where care is at risk, a correction, resolution, and
        closure with evidence (verified by a second person where safe care was affected),
        each step only if its time has come. Closing ends the issue's controls: the extra
        checks stop, and any paper records are back-entered."""
        rng = self.rng
        leader = self.person(home.leader)
        manager = self.manager_of(home)
        at = later(reported, rng.uniform(0.2, 1) if fast else rng.uniform(0.5, 6))
        if at > self.now:
            return
        issues.assign_owner(session, actor=leader, ref=ref, owner=leader, now=at)
        if needs_control:
            at = later(at, rng.uniform(0.1, 0.6))
            if at > self.now:
                return
            issues.add_immediate_control(
                session, actor=manager, ref=ref, description=kind.control, owner=leader, now=at
            )
        at = later(at, rng.uniform(1, 20))
        if at > self.now:
            return
        target = rng.randint(1, 2) if fast else rng.randint(2, 5)
        issues.set_correction(
            session,
            actor=leader,
            ref=ref,
            action=kind.correction,
            due=(at + timedelta(days=target)).astimezone(self.zone).date(),
            now=at,
        )
        slow = supplier and rng.random() < 0.4
        if slow:
            at = later(at, rng.uniform(1, 8))
            if at > self.now:
                return
            issues.mark_awaiting_supplier(
                session,
                actor=leader,
                ref=ref,
                note="Logged with the supplier's service desk",
                now=at,
            )
        stuck = rng.random() < STUCK
        at = later(at, 24 * (rng.uniform(0.3, target + 1.5) + (rng.uniform(3, 10) if stuck else 0)))
        if at > self.now:
            return
        issues.resolve(session, actor=leader, ref=ref, now=at)
        at = later(at, 24 * rng.uniform(0.5, 3))
        if at > self.now:
            return
        closing = issues.close(session, actor=manager, ref=ref, evidence=kind.evidence, now=at)
        if safe_care:
            at = later(at, rng.uniform(2, 8))
            if at > self.now:
                return
        for control in issues.immediate_controls(session, closing):
            if control.is_open:
                controls.update_status(
                    session,
                    actor=manager,
                    control=control,
                    status=ControlStatus.COMPLETE,
                    note=ENDED.get(control.description, "Fix confirmed; the checks have stopped"),
                    now=at,
                )
        if safe_care:
            issues.verify_closure(
                session,
                actor=self.person(QUALITY_LEAD),
                ref=ref,
                evidence="Checked the records and spoke to the nurse in charge",
                now=at,
            )

    def _log_training_need(
        self, themes: dict[tuple[str, IssueCategory], list[tuple[str, datetime]]]
    ) -> None:
        """A week into wave 2, the registered manager of the wave 2 home with the most issues
        of one kind logs them as a training need, as the digest's theme button would."""
        logged = self.at(WAVE_2 + 7, 15)
        if logged > self.now:
            return
        wave_2 = {home.name: home for home in HOMES if home.wave == 2}
        refs, home = max(
            (
                ([ref for ref, reported in found if reported < logged], wave_2[name])
                for (name, _), found in sorted(themes.items())
                if name in wave_2
            ),
            key=lambda theme: len(theme[0]),
        )
        if len(refs) < 3:
            return
        with session_scope(self.engine) as session:
            training.log_training_need(
                session, actor=self.manager_of(home), refs=", ".join(refs), now=logged
            )
