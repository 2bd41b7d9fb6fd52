"""Every callback, block and action id golive's Slack surfaces use, in one place.

Builders and listeners both import these, so a renamed id cannot leave a button without a
listener; tests/test_manifest.py checks the manifest's commands and shortcuts against them.
One class per feature; a feature appends its own class, the buttons the scheduled posts
carry (bot/views/digests.py) included.
"""

from enum import StrEnum

from store.records.reminders import Response
from store.records.report_form import ReportField


def reminder_answer(response: Response) -> str:
    """The button on a reminder that answers it with ``response`` (reminder_completed, ...)."""
    return f"reminder_{response.value}"


class Slash(StrEnum):
    COMMAND = "/golive"


class Common(StrEnum):
    """Ids shared by every feature's views."""

    NOTICE_MODAL = "golive_notice"


class Report(StrEnum):
    """Reporting an issue: the shortcut, the modal and its inputs (block id == store field)."""

    SHORTCUT = "report_golive_issue"
    MODAL = "report_issue"
    SERVICE = ReportField.SERVICE.value
    CATEGORY = ReportField.CATEGORY.value
    DESCRIPTION = ReportField.DESCRIPTION.value
    IMPACT = ReportField.IMPACT.value
    URGENCY = ReportField.URGENCY.value
    WORKAROUND = ReportField.WORKAROUND.value
    WORKAROUND_DETAIL = ReportField.WORKAROUND_DETAIL.value


class Triage(StrEnum):
    """Buttons on triage posts (value = issue reference) and the small modals they open."""

    ASSIGN = "triage_assign"
    URGENCY = "triage_urgency"
    CONTROL = "triage_control"
    CORRECTION = "triage_correction"
    SUPPLIER = "triage_supplier"
    RESOLVE = "triage_resolve"
    CLOSE = "triage_close"
    REOPEN = "triage_reopen"
    ACTIONS_BLOCK = "triage_actions"
    OWNER = "owner"
    NEW_URGENCY = "urgency"
    CONTROL_TEXT = "control"
    CONTROL_OWNER = "control_owner"
    CONTROL_DUE = "control_due"
    CORRECTION_TEXT = "correction_action"
    CORRECTION_DUE = "correction_due"
    NOTE = "note"
    EVIDENCE = "closure_evidence"
    REASON = "reason"


class Queries(StrEnum):
    """Buttons in /golive query replies."""

    ISSUE_DETAILS = "query_issue_details"


class Home(StrEnum):
    """The App Home tab."""

    REPORT = "home_report"
    REFRESH = "home_refresh"


class RiskIds(StrEnum):
    """The risk register: add, list, detail, edit and status (input block id == store field)."""

    ADD_VIEW = "risk_add"
    EDIT_VIEW = "risk_edit"
    STATUS_VIEW = "risk_status"
    SHOW = "risk_show"
    EDIT = "risk_edit_open"
    STATUS = "risk_status_open"
    TITLE = "title"
    DESCRIPTION = "description"
    CATEGORY = "category"
    SCOPE = "service"
    OWNER = "owner"
    ESCALATION_ROUTE = "escalation_route"
    CONTROLS = "controls"
    REVIEW_DATE = "review_date"
    NEW_STATUS = "status"
    NOTE = "note"


class ScoreIds(StrEnum):
    """Scoring on the NHS 5x5 matrix, with review date, target and priority controls.

    LIKELIHOOD and IMPACT dispatch an action on change, so the modal shows the score at once.
    """

    VIEW = "score_risk"
    OPEN = "score_open"
    LIKELIHOOD = "likelihood"
    IMPACT = "impact"
    RESULT = "score_result"
    REASON = "reason"
    REVIEW_DATE = "review_date"
    TARGET_LIKELIHOOD = "target_likelihood"
    TARGET_IMPACT = "target_impact"
    PRIORITY = "priority"


class ControlIds(StrEnum):
    """Controls: add, assign, and status updates from a DM, App Home or a command.

    Status button values are ``"<control id>"`` or ``"<control id>:<checkpoint id>"``;
    ADD's value is a risk ref (R-003).
    """

    ADD = "control_add_open"
    ADD_VIEW = "control_add"
    ASSIGN_VIEW = "control_assign"
    COMPLETE = "control_complete"
    DELAYED = "control_delayed"
    INEFFECTIVE = "control_ineffective"
    UPDATE_VIEW = "control_update"
    MENU = "control_menu"
    NEXT_STEP_VIEW = "control_next_step"
    DESCRIPTION = "description"
    OWNER = "owner"
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    STATUS = "status"
    NOTE = "note"


class DecisionIds(StrEnum):
    """Board decisions. OPEN's button value is a risk ref (R-003) or an issue ref (GL-0042)."""

    OPEN = "decision_open"
    VIEW = "decision_record"
    KIND = "kind"
    SUMMARY = "summary"
    OWNER = "owner"
    ESCALATION_ROUTE = "escalation_route"
    FOLLOW_UP = "follow_up_date"


class ReviewIds(StrEnum):
    """The post-implementation review and exports: modals, their inputs (block id == store
    field) and buttons. Verdict buttons carry a risk ref (R-003); RECORD_RESULT an audit ref."""

    START_VIEW = "review_start"
    VERDICT_VIEW = "review_verdict"
    TRANSFER_VIEW = "review_transfer"
    ACTION_VIEW = "review_leadership_action"
    AUDITS_VIEW = "review_audits"
    RESULT_VIEW = "review_audit_result"
    CLOSE_VIEW = "review_close"
    VERDICT_YES = "review_verdict_yes"
    VERDICT_PARTLY = "review_verdict_partly"
    VERDICT_NO = "review_verdict_no"
    OPEN_ACTION = "review_action_open"
    OPEN_AUDITS = "review_audits_open"
    RECORD_RESULT = "review_result_open"
    OPEN_CLOSE = "review_close_open"
    DATA_QUALITY = "data_quality"
    STAFF_CONFIDENCE = "staff_confidence"
    RECORD_COMPLETION = "record_completion"
    WORKFLOW_STABILITY = "workflow_stability"
    VERDICT = "verdict"
    EVIDENCE = "evidence"
    OWNER = "owner"
    REVIEW_DATE = "review_date"
    NOTE = "note"
    DESCRIPTION = "description"
    DUE_DATE = "due_date"
    TOPIC = "topic"
    FIRST_DUE = "first_due"
    MONTHS = "months"
    RESULT = "result"


class ReminderIds(StrEnum):
    """Answers on overdue reminder DMs (button value = kind:id:due, e.g. control:12:2026-11-20)
    and the small modal that asks for a date or a note."""

    ACKNOWLEDGE = reminder_answer(Response.ACKNOWLEDGED)
    COMPLETE = reminder_answer(Response.COMPLETED)
    DELAYED = reminder_answer(Response.DELAYED)
    INEFFECTIVE = reminder_answer(Response.INEFFECTIVE)
    SNOOZE = reminder_answer(Response.SNOOZED)
    ANSWER_VIEW = "reminder_answer"
    NEW_DATE = "new_date"
    NOTE = "note"


class ThemeIds(StrEnum):
    """The buttons under a repeated theme in the issue digest (value = the theme's issue refs,
    comma-separated)."""

    RAISE_RISK = "theme_raise_risk"
    TRAINING_NEED = "theme_training_need"


class QuietIds(StrEnum):
    """Quiet hours from App Home: the button, its modal and the modal's one field."""

    OPEN = "quiet_hours_open"
    VIEW = "quiet_hours"
    HOURS = "quiet_hours_value"
