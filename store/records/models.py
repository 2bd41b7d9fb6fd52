"""The tables of the go-live register.

Derived values are never stored where they could drift: a risk's score is a generated column
(likelihood x impact, computed by the database) and its band is a pure function of the score.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ColumnElement,
    Computed,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    and_,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlmodel import Field, SQLModel, col
from sqlmodel._compat import SQLModelConfig

from store.infra.types import EnumText, UTCDateTime
from store.records.enums import (
    OPEN_CONTROL_STATUSES,
    OPEN_ISSUE_STATUSES,
    OPEN_RISK_STATUSES,
    ChannelPurpose,
    ControlStatus,
    DecisionKind,
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Labelled,
    Phase,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
    Role,
    Urgency,
    Workaround,
)

ISSUE_PREFIX = "GL-"


def ident(record: SQLModel) -> int:
    """A saved record's id (flush first): the store only links records that exist."""
    value = getattr(record, "id", None)
    if value is None:
        raise ValueError(f"{type(record).__name__} has no id yet; flush it first")
    return int(value)


RISK_PREFIX = "R-"


def issue_ref(number: int) -> str:
    """GL-0001: how staff name an issue (also for code that reads columns, not records)."""
    return f"{ISSUE_PREFIX}{number:04d}"


def risk_ref(number: int) -> str:
    return f"{RISK_PREFIX}{number:03d}"


def control_ref(control_id: int | None) -> str:
    return f"C-{control_id}"


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    """A timestamp column's ``Field`` (typed ``Any``, as SQLModel types ``Field``)."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _person(*, nullable: bool = True, index: bool = False) -> Any:
    """A column pointing at a person, as ``_when``."""
    return Field(default=None, foreign_key="person.id", nullable=nullable, index=index)


# A record whose rules (open, overdue) are SQLAlchemy hybrids, one definition read as Python on
# a record and as SQL on its class, so a list, a count and a view never disagree; pydantic is
# told to leave the hybrids alone rather than take them for fields. A hybrid_method's
# ``expression`` works in place, and is used as it is: mypy loses its type through ``inplace``.
WITH_RULES = SQLModelConfig(ignored_types=(hybrid_property, hybrid_method))


class Service(SQLModel, table=True):
    """A care home, branch or team that goes live, possibly in its own wave."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    channel_id: str | None = Field(default=None, max_length=40)
    golive_date: date | None = None
    created_at: datetime = _when()


class Person(SQLModel, table=True):
    """Someone who uses golive, known by their Slack user id."""

    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str = Field(max_length=40, unique=True)
    # Their Azure AD object id in Microsoft Teams, where the provider uses Teams too.
    teams_user_id: str | None = Field(default=None, max_length=40, unique=True, index=True)
    name: str = Field(max_length=120)
    service_id: int | None = Field(default=None, foreign_key="service.id")
    created_at: datetime = _when()


class RoleGrant(SQLModel, table=True):
    """A role held by a person, either everywhere or for one service."""

    __tablename__ = "role_grant"

    __table_args__ = (
        Index(
            "uq_role_grant_scope",
            "person_id",
            "role",
            func.coalesce(Column("service_id", Integer), 0),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: Role = Field(sa_type=EnumText(Role))
    service_id: int | None = Field(default=None, foreign_key="service.id")
    granted_by_id: int | None = _person()
    granted_at: datetime = _when()


class Counter(SQLModel, table=True):
    """The last number handed out for a kind of reference; bumped inside the creating
    transaction, so a failed creation gives its number back and references have no gaps."""

    name: str = Field(primary_key=True, max_length=20)
    value: int = 0


class Issue(SQLModel, table=True):
    """A problem met during go-live, from report to closure with evidence."""

    __table_args__ = (Index("ix_issue_service_reported", "service_id", "reported_at"),)

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    category: IssueCategory = Field(sa_type=EnumText(IssueCategory), index=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    description: str = Field(sa_type=Text)
    impact: Impact = Field(sa_type=EnumText(Impact))
    urgency: Urgency = Field(sa_type=EnumText(Urgency))
    workaround: Workaround = Field(sa_type=EnumText(Workaround))
    workaround_detail: str | None = Field(default=None, sa_type=Text)
    reporter_id: int = Field(foreign_key="person.id", index=True)
    reported_at: datetime = _when(index=True)
    source: IssueSource = Field(sa_type=EnumText(IssueSource))
    source_permalink: str | None = Field(default=None, max_length=500)
    submission_key: str | None = Field(default=None, max_length=200, unique=True)
    status: IssueStatus = Field(sa_type=EnumText(IssueStatus), index=True)
    owner_id: int | None = _person(index=True)
    correction_action: str | None = Field(default=None, sa_type=Text)
    correction_due: date | None = None
    closure_evidence: str | None = Field(default=None, sa_type=Text)
    triaged_at: datetime | None = _when(nullable=True)
    resolved_at: datetime | None = _when(nullable=True)
    closed_at: datetime | None = _when(nullable=True, index=True)
    updated_at: datetime = _when()

    model_config = WITH_RULES

    @property
    def ref(self) -> str:
        return issue_ref(self.number)

    @hybrid_property
    def is_open(self) -> bool:
        """Still to put right: new, triaged, in progress, awaiting the supplier or reopened
        (resolved waits only for its closure evidence; closed is done)."""
        return self.status in OPEN_ISSUE_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_in_sql(cls) -> ColumnElement[bool]:
        return col(cls.status).in_(sorted(OPEN_ISSUE_STATUSES))

    @hybrid_method
    def is_correction_overdue(self, today: date) -> bool:
        """Open, with its correction action's target date before ``today``."""
        return self.is_open and self.correction_due is not None and self.correction_due < today

    @is_correction_overdue.expression
    @classmethod
    def _is_correction_overdue_in_sql(cls, today: date) -> ColumnElement[bool]:
        return and_(
            cls.is_open, col(cls.correction_due).is_not(None), col(cls.correction_due) < today
        )


class Risk(SQLModel, table=True):
    """An entry in the implementation (or business-as-usual) risk register."""

    __table_args__ = (
        CheckConstraint("likelihood BETWEEN 1 AND 5", name="risk_likelihood_range"),
        CheckConstraint("impact BETWEEN 1 AND 5", name="risk_impact_range"),
        CheckConstraint("(likelihood IS NULL) = (impact IS NULL)", name="risk_scored_whole"),
        CheckConstraint("target_likelihood BETWEEN 1 AND 5", name="risk_target_l_range"),
        CheckConstraint("target_impact BETWEEN 1 AND 5", name="risk_target_i_range"),
        CheckConstraint(
            "(scope = 'service') = (service_id IS NOT NULL)", name="risk_scope_service"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    category: RiskCategory = Field(sa_type=EnumText(RiskCategory), index=True)
    scope: RiskScope = Field(sa_type=EnumText(RiskScope))
    service_id: int | None = Field(default=None, foreign_key="service.id", index=True)
    likelihood: int | None = None
    impact: int | None = None
    score: int | None = Field(
        default=None,
        sa_column=Column(Integer, Computed("likelihood * impact", persisted=True), index=True),
    )
    target_likelihood: int | None = None
    target_impact: int | None = None
    owner_id: int | None = _person(index=True)
    review_date: date | None = Field(default=None, index=True)
    escalation_route: str | None = Field(default=None, max_length=300)
    risk_register: Register = Field(sa_type=EnumText(Register))
    status: RiskStatus = Field(sa_type=EnumText(RiskStatus), index=True)
    transferred_from_id: int | None = Field(default=None, foreign_key="risk.id")
    created_by_id: int | None = _person()
    created_at: datetime = _when()
    updated_at: datetime = _when()

    model_config = WITH_RULES

    @property
    def ref(self) -> str:
        return risk_ref(self.number)

    @hybrid_property
    def is_open(self) -> bool:
        """Open or escalated: still on the register's books (closed and transferred are not)."""
        return self.status in OPEN_RISK_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_in_sql(cls) -> ColumnElement[bool]:
        return col(cls.status).in_(sorted(OPEN_RISK_STATUSES))

    @hybrid_method
    def is_review_overdue(self, today: date) -> bool:
        """Its review date is before ``today``, whatever its status: the register shows a
        closed risk's last review date late too, and lists of work to do add ``is_open``."""
        return self.review_date is not None and self.review_date < today

    @is_review_overdue.expression
    @classmethod
    def _is_review_overdue_in_sql(cls, today: date) -> ColumnElement[bool]:
        return and_(col(cls.review_date).is_not(None), col(cls.review_date) < today)


class RiskAssessment(SQLModel, table=True):
    """One scoring of a risk: who scored it, when and why, kept for its score history."""

    __tablename__ = "risk_assessment"

    __table_args__ = (
        CheckConstraint("likelihood BETWEEN 1 AND 5", name="assessment_likelihood_range"),
        CheckConstraint("impact BETWEEN 1 AND 5", name="assessment_impact_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    likelihood: int
    impact: int
    reason: str = Field(sa_type=Text)
    assessed_by_id: int | None = _person()
    assessed_at: datetime = _when(index=True)


class Control(SQLModel, table=True):
    """A control on a risk, or an immediate control on an issue (manual checks, supervision)."""

    __table_args__ = (
        CheckConstraint("(risk_id IS NULL) <> (issue_id IS NULL)", name="control_belongs_to_one"),
    )

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int | None = Field(default=None, foreign_key="risk.id", index=True)
    issue_id: int | None = Field(default=None, foreign_key="issue.id", index=True)
    description: str = Field(sa_type=Text)
    owner_id: int | None = _person(index=True)
    due_date: date | None = Field(default=None, index=True)
    status: ControlStatus = Field(sa_type=EnumText(ControlStatus), index=True)
    priority: bool = False
    created_by_id: int | None = _person()
    created_at: datetime = _when()
    updated_at: datetime = _when()

    model_config = WITH_RULES

    @property
    def ref(self) -> str:
        return control_ref(self.id)

    @hybrid_property
    def is_open(self) -> bool:
        """Planned, in progress or delayed: work still to do (complete and ineffective are
        not)."""
        return self.status in OPEN_CONTROL_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_in_sql(cls) -> ColumnElement[bool]:
        return col(cls.status).in_(sorted(OPEN_CONTROL_STATUSES))

    @hybrid_method
    def is_overdue(self, today: date) -> bool:
        """Open, with its due date before ``today``."""
        return self.is_open and self.due_date is not None and self.due_date < today

    @is_overdue.expression
    @classmethod
    def _is_overdue_in_sql(cls, today: date) -> ColumnElement[bool]:
        return and_(cls.is_open, col(cls.due_date).is_not(None), col(cls.due_date) < today)


class ControlUpdate(SQLModel, table=True):
    """A change of a control's status, with the note and any new due date."""

    __tablename__ = "control_update"

    id: int | None = Field(default=None, primary_key=True)
    control_id: int = Field(foreign_key="control.id", index=True)
    old_status: ControlStatus = Field(sa_type=EnumText(ControlStatus))
    new_status: ControlStatus = Field(sa_type=EnumText(ControlStatus))
    note: str = Field(default="", sa_type=Text)
    old_due_date: date | None = None
    new_due_date: date | None = None
    checkpoint_id: int | None = Field(default=None, foreign_key="checkpoint.id", index=True)
    updated_by_id: int | None = _person()
    updated_at: datetime = _when(index=True)


class Decision(SQLModel, table=True):
    """A project board decision, on a risk or an issue."""

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int | None = Field(default=None, foreign_key="risk.id", index=True)
    issue_id: int | None = Field(default=None, foreign_key="issue.id", index=True)
    kind: DecisionKind = Field(sa_type=EnumText(DecisionKind))
    summary: str = Field(sa_type=Text)
    owner_id: int | None = _person()
    escalation_route: str | None = Field(default=None, max_length=300)
    follow_up_date: date | None = None
    decided_by_id: int | None = _person()
    decided_at: datetime = _when(index=True)


class Checkpoint(SQLModel, table=True):
    """An implementation checkpoint after which owners update their controls."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    opened_by_id: int | None = _person()
    opened_at: datetime = _when()
    closed_at: datetime | None = _when(nullable=True)


class PhaseChange(SQLModel, table=True):
    """The project entering a phase; the newest row is the current phase."""

    __tablename__ = "phase_change"

    id: int | None = Field(default=None, primary_key=True)
    phase: Phase = Field(sa_type=EnumText(Phase))
    note: str = Field(default="", sa_type=Text)
    set_by_id: int | None = _person()
    set_at: datetime = _when(index=True)


class ChannelRoute(SQLModel, table=True):
    """Which Slack channel gets triage posts, project digests and board reviews."""

    __tablename__ = "channel_route"

    purpose: ChannelPurpose = Field(sa_type=EnumText(ChannelPurpose), primary_key=True)
    channel_id: str = Field(max_length=40)

    @property
    def ref(self) -> str:
        return f"channel:{self.purpose}"


class AuditEvent(SQLModel, table=True):
    """One change to one field of one record; never updated or deleted (database triggers)."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    actor_id: int | None = _person()
    actor_name: str = Field(max_length=120)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    entity_ref: str = Field(max_length=40, index=True)
    action: str = Field(max_length=40)
    field: str | None = Field(default=None, max_length=60)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)


class OutboxMessage(SQLModel, table=True):
    """A message golive owes Slack, written in the same transaction as the change behind it.

    ``key`` is the idempotency key: a second attempt to owe the same message finds it and
    adds nothing. ``notice`` and ``subject`` say what to show, rendered at send time from the
    current records; ``payload`` holds content frozen at enqueue time (a digest).
    """

    __tablename__ = "outbox"

    __table_args__ = (UniqueConstraint("key", name="uq_outbox_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=240)
    method: str = Field(max_length=20)
    channel: str | None = Field(default=None, max_length=40)
    user: str | None = Field(default=None, max_length=40)
    notice: str = Field(max_length=60)
    subject: str | None = Field(default=None, max_length=60)
    payload: str | None = Field(default=None, sa_type=Text)
    thread_key: str | None = Field(default=None, max_length=240)
    target_key: str | None = Field(default=None, max_length=240)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = _when(index=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True)
    message_channel: str | None = Field(default=None, max_length=40)
    message_ts: str | None = Field(default=None, max_length=40)


class FaceDelivery(SQLModel, table=True):
    """One outbox row as delivered by a chat face other than Slack (the Teams face): the
    outbox row says what is owed and to whom; this says whether that face has delivered it,
    where its message is, and when to try again. Each face keeps its own, so two faces
    running against one database deliver each row once each."""

    __tablename__ = "face_delivery"

    __table_args__ = (UniqueConstraint("face", "outbox_id", name="uq_face_delivery"),)

    id: int | None = Field(default=None, primary_key=True)
    face: str = Field(max_length=20)
    outbox_id: int = Field(foreign_key="outbox.id")
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = _when(index=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    conversation: str | None = Field(default=None, max_length=300)
    message_id: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = _when(nullable=True)


class PostLane(SQLModel, table=True):
    """When the next post may go to one Slack conversation (a channel, or a person's direct
    messages): Slack takes about one post a second in each, and every sender of every process
    claims the lane here before posting, so the pace holds however many senders run."""

    __tablename__ = "post_lane"

    lane: str = Field(primary_key=True, max_length=60)
    next_post_at: datetime = _when()


class RollupLine(SQLModel, table=True):
    """One triage post a roll-up post covered: the roll-up (``rollup_id``) showed the issue
    while the channel's pace held its own post (``outbox_id``) back. A post is covered at most
    once (the key), so no issue is rolled up twice; ``wanted`` says a change to the issue is
    waiting on its own post, which then goes before the quieter ones."""

    __tablename__ = "rollup_line"

    outbox_id: int = Field(foreign_key="outbox.id", primary_key=True)
    rollup_id: int = Field(foreign_key="outbox.id", index=True)
    wanted: bool = False


class InboundKey(SQLModel, table=True):
    """A request already taken in (event id, view submission, trigger id), so retries and
    double clicks are answered from here rather than recorded twice."""

    __tablename__ = "inbound_key"

    key: str = Field(primary_key=True, max_length=200)
    received_at: datetime = _when()
    result: str | None = Field(default=None, max_length=200)


__all__ = [
    "AuditEvent",
    "ChannelRoute",
    "Checkpoint",
    "Control",
    "ControlUpdate",
    "Counter",
    "Decision",
    "FaceDelivery",
    "InboundKey",
    "Issue",
    "OutboxMessage",
    "Person",
    "PhaseChange",
    "PostLane",
    "Risk",
    "RiskAssessment",
    "RoleGrant",
    "RollupLine",
    "Service",
]


class JobRun(SQLModel, table=True):
    """A scheduled job done for one period; the unique (job, period) pair lets a retry, a
    restart or a second scheduler find the work done and do nothing."""

    __tablename__ = "job_run"

    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_run_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=60)
    period: str = Field(max_length=40)
    ran_at: datetime = _when(index=True)
    summary: str = Field(default="", max_length=500)


class Reminder(SQLModel, table=True):
    """One overdue item listed in one owner's reminder on one day; unacknowledged reminders
    are what the escalation ladder counts."""

    __table_args__ = (
        UniqueConstraint("person_id", "item_kind", "item_id", "day", name="uq_reminder_item_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    item_kind: str = Field(max_length=20)
    item_id: int
    item_ref: str = Field(max_length=40)
    due_date: date | None = None
    day: date = Field(index=True)
    sent_at: datetime = _when()
    acknowledged_at: datetime | None = _when(nullable=True)


class ReminderResponse(SQLModel, table=True):
    """An owner's answer to a reminder (acknowledged, completed, delayed, ineffective,
    snoozed), kept as evidence that overdue work was seen and acted on."""

    __tablename__ = "reminder_response"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    item_kind: str = Field(max_length=20)
    item_id: int
    item_ref: str = Field(max_length=40)
    response: str = Field(max_length=20)
    note: str = Field(default="", sa_type=Text)
    new_date: date | None = None
    snoozed_until: date | None = None
    at: datetime = _when(index=True)


class Escalation(SQLModel, table=True):
    """An item taken one level up the ladder (to a manager, or to the board); the unique key
    holds it to once per item, level and overdue episode, and ``fingerprint`` tells when the
    board post needs updating."""

    __table_args__ = (UniqueConstraint("key", name="uq_escalation_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    level: str = Field(max_length=20, index=True)
    item_kind: str = Field(max_length=20)
    item_id: int
    item_ref: str = Field(max_length=40)
    reason: str = Field(default="", sa_type=Text)
    recipient: str = Field(max_length=40)
    post_key: str = Field(max_length=240)
    fingerprint: str = Field(default="", max_length=64)
    escalated_at: datetime = _when(index=True)
    updated_at: datetime = _when()
    resolved_at: datetime | None = _when(nullable=True)


__all__ += ["Escalation", "JobRun", "Reminder", "ReminderResponse"]


# Post-implementation review (issue 6)


class Effectiveness(Labelled):
    """A registered manager's verdict on whether a risk's original controls worked."""

    YES = "yes", "Effective"
    PARTLY = "partly", "Partly effective"
    NO = "no", "Not effective"


class PostImplementationReview(SQLModel, table=True):
    """The quality lead's review after go-live; closing it closes the implementation."""

    __tablename__ = "review"

    id: int | None = Field(default=None, primary_key=True)
    data_quality: str = Field(sa_type=Text)
    staff_confidence: str = Field(sa_type=Text)
    record_completion: str = Field(sa_type=Text)
    workflow_stability: str = Field(sa_type=Text)
    started_by_id: int | None = _person()
    started_at: datetime = _when()
    closed_by_id: int | None = _person()
    closed_at: datetime | None = _when(nullable=True)
    closure_note: str | None = Field(default=None, sa_type=Text)

    @property
    def ref(self) -> str:
        return f"PIR-{self.id}"


class ControlVerdict(SQLModel, table=True):
    """Whether a pre-implementation risk's original controls were effective, with evidence."""

    __tablename__ = "control_verdict"

    __table_args__ = (UniqueConstraint("review_id", "risk_id", name="uq_verdict_review_risk"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    verdict: Effectiveness = Field(sa_type=EnumText(Effectiveness))
    evidence: str = Field(sa_type=Text)
    given_by_id: int | None = _person()
    given_at: datetime = _when()
    updated_at: datetime = _when()

    @property
    def ref(self) -> str:
        return f"V-{self.id}"


class LeadershipAction(SQLModel, table=True):
    """A longer-term action the senior leadership team agreed, with its owner."""

    __tablename__ = "leadership_action"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    description: str = Field(sa_type=Text)
    owner_id: int = Field(foreign_key="person.id", index=True)
    due_date: date | None = None
    recorded_by_id: int | None = _person()
    recorded_at: datetime = _when()

    @property
    def ref(self) -> str:
        return f"LA-{self.id}"


class FollowUpAudit(SQLModel, table=True):
    """A monthly follow-up audit and its result; the residual score is a snapshot of the open
    risks' total when the result was recorded, so later months can show whether it fell."""

    __tablename__ = "follow_up_audit"

    __table_args__ = (
        UniqueConstraint("review_id", "topic", "due_date", name="uq_follow_up_audit_due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    topic: str = Field(max_length=200)
    due_date: date = Field(index=True)
    scheduled_by_id: int | None = _person()
    scheduled_at: datetime = _when()
    result: str | None = Field(default=None, sa_type=Text)
    risks_reducing: bool | None = None
    residual_score: int | None = None
    high_risks: int | None = None
    recorded_by_id: int | None = _person()
    recorded_at: datetime | None = _when(nullable=True)
    updated_at: datetime = _when()

    @property
    def ref(self) -> str:
        return f"FA-{self.id}"


__all__ += [
    "ControlVerdict",
    "Effectiveness",
    "FollowUpAudit",
    "LeadershipAction",
    "PostImplementationReview",
]


# Care-specific safeguards (issue 8)


class Verification(SQLModel, table=True):
    """A second person's check, with their evidence, before a safe-care issue closes or a
    control on a high or extreme risk counts as complete; the request waits here meanwhile."""

    __table_args__ = (
        CheckConstraint("item_kind IN ('issue', 'control')", name="verification_item_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_kind: str = Field(max_length=20)
    item_id: int = Field(index=True)
    item_ref: str = Field(max_length=40, index=True)
    status: str = Field(default="pending", max_length=20, index=True)
    requested_by_id: int | None = _person()
    requested_at: datetime = _when()
    request_evidence: str = Field(default="", sa_type=Text)
    verified_by_id: int | None = _person()
    verified_at: datetime | None = _when(nullable=True)
    evidence: str | None = Field(default=None, sa_type=Text)

    @property
    def ref(self) -> str:
        return f"VER-{self.id}"


class QuietHours(SQLModel, table=True):
    """When a person on shift work does not want non-urgent direct messages (local times)."""

    __tablename__ = "quiet_hours"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    starts: str = Field(max_length=5)
    ends: str = Field(max_length=5)
    updated_at: datetime = _when()

    @property
    def ref(self) -> str:
        return f"quiet:{self.person_id}"


class ServiceHandover(SQLModel, table=True):
    """A service's own shift-change times for its handover summary, when not the default."""

    __tablename__ = "service_handover"

    service_id: int = Field(foreign_key="service.id", primary_key=True)
    times: str = Field(max_length=60)
    updated_at: datetime = _when()

    @property
    def ref(self) -> str:
        return f"handover:{self.service_id}"


class ServiceWave(SQLModel, table=True):
    """Where a service stands in the rollout, beside the project phase: its wave and status
    (its go-live date is on the service)."""

    __tablename__ = "service_wave"

    service_id: int = Field(foreign_key="service.id", primary_key=True)
    wave: int | None = None
    status: str = Field(default="not_started", max_length=30)
    updated_at: datetime = _when()

    @property
    def ref(self) -> str:
        return f"wave:{self.service_id}"


class TrainingNeed(SQLModel, table=True):
    """Training a service's staff in one role need, logged from a repeated theme of issues."""

    __tablename__ = "training_need"

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    role: Role = Field(sa_type=EnumText(Role))
    topic: IssueCategory = Field(sa_type=EnumText(IssueCategory))
    issue_refs: str = Field(default="", max_length=500)
    logged_by_id: int | None = _person()
    logged_at: datetime = _when(index=True)
    met_at: datetime | None = _when(nullable=True)

    @property
    def ref(self) -> str:
        return f"TN-{self.id}"


__all__ += ["QuietHours", "ServiceHandover", "ServiceWave", "TrainingNeed", "Verification"]
