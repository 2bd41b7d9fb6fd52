"""The vocabulary of the go-live register, with the words people see beside the stored values."""

from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    """A stored value with the words a care worker reads.

    A member is declared ``NAME = "value"``, read as the value capitalised, or
    ``NAME = "value", "Words"``. The words belong to the member, not to its value: enums share
    values ("none" is both an impact and a workaround, "closed" both an issue's and a risk's
    status), and a StrEnum member equals and hashes as its value, so one table of words keyed
    by member would give each shared value the words of whichever enum came last.
    """

    _words: str

    def __new__(cls, value: str, words: str | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._words = words or value.replace("_", " ").capitalize()
        return member

    @property
    def label(self) -> str:
        return self._words

    @classmethod
    def parse(cls, text: str) -> Self:
        """Accept the value, the label, or the value with dashes or spaces, case-insensitively."""
        wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            label = member.label.lower().replace("-", "_").replace(" ", "_")
            if wanted in (member.value, label):
                return member
        choices = ", ".join(m.value.replace("_", "-") for m in cls)
        raise ValueError(f"'{text.strip()}' is not one of: {choices}")


class Role(Labelled):
    STAFF = "staff"
    TEAM_LEADER = "team_leader"
    REGISTERED_MANAGER = "registered_manager"
    QUALITY_LEAD = "quality_lead"
    PROJECT_LEAD = "project_lead"
    BOARD_MEMBER = "board_member"
    ADMIN = "admin"


class IssueCategory(Labelled):
    LOGIN_ACCESS = "login_access", "Login or access"
    RECORDS = "records", "Missing or wrong records"
    WORKFLOW = "workflow", "Workflow confusion"
    REPORTING = "reporting", "Reporting gap"
    DEVICES = "devices", "Device or equipment"
    MEDICATION = "medication", "Medication or eMAR"
    DATA_MIGRATION = "data_migration"
    TRAINING = "training", "Training need"
    SUPPLIER = "supplier", "Supplier or system fault"
    OTHER = "other"


class Impact(Labelled):
    NONE = "none", "No impact on care"
    SOME = "some", "Some impact on care"
    SAFE_CARE = "safe_care", "Affects safe care"


class Urgency(Labelled):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Workaround(Labelled):
    NONE = "none", "No workaround in place"
    SAFE = "safe", "Safe workaround in place"
    UNSAFE = "unsafe", "Unsafe workaround in place"


class IssueSource(Labelled):
    SLASH_COMMAND = "slash_command", "Slash command"
    MESSAGE_SHORTCUT = "message_shortcut"
    CLI = "cli", "Command line"


class IssueStatus(Labelled):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLIER = "awaiting_supplier"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


OPEN_ISSUE_STATUSES = frozenset(
    {
        IssueStatus.NEW,
        IssueStatus.TRIAGED,
        IssueStatus.IN_PROGRESS,
        IssueStatus.AWAITING_SUPPLIER,
        IssueStatus.REOPENED,
    }
)


class RiskCategory(Labelled):
    DATA_MIGRATION = "data_migration"
    TRAINING = "training"
    WORKFLOWS = "workflows"
    ACCESS = "access"
    EQUIPMENT = "equipment"
    SUPPLIER_SUPPORT = "supplier_support"
    HIGH_RISK_INDIVIDUALS = "high_risk_individuals", "High-risk individuals"
    MEDICATION_ROUTINES = "medication_routines"
    STAFFING_PRESSURES = "staffing_pressures"
    OTHER = "other"


class RiskScope(Labelled):
    ORGANISATION = "organisation", "Whole organisation"
    SERVICE = "service", "One service"


class Band(Labelled):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    EXTREME = "extreme"


class Register(Labelled):
    IMPLEMENTATION = "implementation"
    BUSINESS_AS_USUAL = "business_as_usual"


class RiskStatus(Labelled):
    OPEN = "open"
    ESCALATED = "escalated"
    CLOSED = "closed"
    TRANSFERRED = "transferred"


OPEN_RISK_STATUSES = frozenset({RiskStatus.OPEN, RiskStatus.ESCALATED})


class ControlStatus(Labelled):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    DELAYED = "delayed"
    INEFFECTIVE = "ineffective"


OPEN_CONTROL_STATUSES = frozenset(
    {ControlStatus.PLANNED, ControlStatus.IN_PROGRESS, ControlStatus.DELAYED}
)


class DecisionKind(Labelled):
    ACCEPT = "accept"
    ADD_CONTROL = "add_control"
    DELAY_ROLLOUT = "delay_rollout"
    ESCALATE_TO_SUPPLIER = "escalate_to_supplier"
    CLOSE = "close"


class Phase(Labelled):
    PRE_GO_LIVE = "pre_go_live", "Pre-go-live"
    GO_LIVE = "go_live", "Go-live"
    STABILISATION = "stabilisation"
    POST_IMPLEMENTATION = "post_implementation", "Post-implementation"


class ChannelPurpose(Labelled):
    TRIAGE = "triage"
    PROJECT = "project"
    BOARD = "board"
