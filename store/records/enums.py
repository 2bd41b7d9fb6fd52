"""The vocabulary of the go-live register, with the words people see beside the stored values."""

from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    """A stored value with the words a care worker reads."""

    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value.replace("_", " ").capitalize())

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
    LOGIN_ACCESS = "login_access"
    RECORDS = "records"
    WORKFLOW = "workflow"
    REPORTING = "reporting"
    DEVICES = "devices"
    MEDICATION = "medication"
    DATA_MIGRATION = "data_migration"
    TRAINING = "training"
    SUPPLIER = "supplier"
    OTHER = "other"


class Impact(Labelled):
    NONE = "none"
    SOME = "some"
    SAFE_CARE = "safe_care"


class Urgency(Labelled):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Workaround(Labelled):
    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


class IssueSource(Labelled):
    SLASH_COMMAND = "slash_command"
    MESSAGE_SHORTCUT = "message_shortcut"
    CLI = "cli"


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
    HIGH_RISK_INDIVIDUALS = "high_risk_individuals"
    MEDICATION_ROUTINES = "medication_routines"
    STAFFING_PRESSURES = "staffing_pressures"
    OTHER = "other"


class RiskScope(Labelled):
    ORGANISATION = "organisation"
    SERVICE = "service"


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
    PRE_GO_LIVE = "pre_go_live"
    GO_LIVE = "go_live"
    STABILISATION = "stabilisation"
    POST_IMPLEMENTATION = "post_implementation"


class ChannelPurpose(Labelled):
    TRIAGE = "triage"
    PROJECT = "project"
    BOARD = "board"


_LABELS: dict[StrEnum, str] = {
    Role.TEAM_LEADER: "Team leader",
    Role.REGISTERED_MANAGER: "Registered manager",
    Role.QUALITY_LEAD: "Quality lead",
    Role.PROJECT_LEAD: "Project lead",
    Role.BOARD_MEMBER: "Board member",
    IssueCategory.LOGIN_ACCESS: "Login or access",
    IssueCategory.RECORDS: "Missing or wrong records",
    IssueCategory.WORKFLOW: "Workflow confusion",
    IssueCategory.REPORTING: "Reporting gap",
    IssueCategory.DEVICES: "Device or equipment",
    IssueCategory.MEDICATION: "Medication or eMAR",
    IssueCategory.DATA_MIGRATION: "Data migration",
    IssueCategory.TRAINING: "Training need",
    IssueCategory.SUPPLIER: "Supplier or system fault",
    Impact.NONE: "No impact on care",
    Impact.SOME: "Some impact on care",
    Impact.SAFE_CARE: "Affects safe care",
    Workaround.NONE: "No workaround in place",
    Workaround.SAFE: "Safe workaround in place",
    Workaround.UNSAFE: "Unsafe workaround in place",
    IssueSource.MESSAGE_SHORTCUT: "Message shortcut",
    IssueSource.CLI: "Command line",
    IssueStatus.IN_PROGRESS: "In progress",
    IssueStatus.AWAITING_SUPPLIER: "Awaiting supplier",
    RiskCategory.DATA_MIGRATION: "Data migration",
    RiskCategory.SUPPLIER_SUPPORT: "Supplier support",
    RiskCategory.HIGH_RISK_INDIVIDUALS: "High-risk individuals",
    RiskCategory.MEDICATION_ROUTINES: "Medication routines",
    RiskCategory.STAFFING_PRESSURES: "Staffing pressures",
    RiskScope.ORGANISATION: "Whole organisation",
    RiskScope.SERVICE: "One service",
    Register.BUSINESS_AS_USUAL: "Business as usual",
    ControlStatus.IN_PROGRESS: "In progress",
    DecisionKind.ADD_CONTROL: "Add control",
    DecisionKind.DELAY_ROLLOUT: "Delay rollout",
    DecisionKind.ESCALATE_TO_SUPPLIER: "Escalate to supplier",
    Phase.PRE_GO_LIVE: "Pre-go-live",
    Phase.GO_LIVE: "Go-live",
    Phase.POST_IMPLEMENTATION: "Post-implementation",
}
