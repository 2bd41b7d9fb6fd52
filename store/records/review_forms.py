"""The post-implementation review's forms: their fields, their checks and their words, said
once for every chat face.

Each face draws a form its own way (a Slack modal, a Teams dialog) with these field names as
its input ids and reads the answers here, so an answer is refused for the same reason, in the
same words, wherever it is typed. Who owns a risk or an action is picked from each face's own
list of people (a Slack user, a golive person in Teams): the face reads that answer and hands
it in.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

from store.records.fields import FieldReader, FormResult
from store.records.models import Effectiveness
from store.records.review import FINDING_LABELS, Findings

Owner = TypeVar("Owner")


class ReviewField(StrEnum):
    """The review forms' inputs; each is the store field its answer fills."""

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


FINDING_HINTS = {
    "data_quality": "What audits of migrated and new records found: accuracy, gaps, duplicates",
    "staff_confidence": "How confident staff are with the system, by role and shift",
    "record_completion": "How completely care records are kept, with figures if you have them",
    "workflow_stability": "Which workflows are settled and which still cause workarounds",
}
"""What to write under each finding, shown beside its input."""


OWNER_LABEL = "An owner"
"""How a missing owner is named in its error ("Choose an owner"), on either face."""


@dataclass(frozen=True)
class Verdict:
    verdict: Effectiveness
    evidence: str


@dataclass(frozen=True)
class Transfer(Generic[Owner]):
    owner: Owner
    review_date: date
    note: str | None


@dataclass(frozen=True)
class LeadershipAction(Generic[Owner]):
    description: str
    owner: Owner
    due_date: date | None


@dataclass(frozen=True)
class AuditPlan:
    topic: str
    first_due: date
    months: int


def read_findings(form: FieldReader) -> FormResult[Findings]:
    """The four findings (each field named as the finding it holds), every one required."""
    texts = {
        name: form.text(name, label=label, required=True) for name, label in FINDING_LABELS.items()
    }
    return form.result(Findings(**{k: v or "" for k, v in texts.items()}))


def read_verdict(form: FieldReader) -> FormResult[Verdict]:
    kind = form.choice(ReviewField.VERDICT, Effectiveness, label="Whether the controls worked")
    evidence = form.text(ReviewField.EVIDENCE, label="The evidence", required=True)
    if kind is None or evidence is None:
        return form.invalid()
    return form.result(Verdict(kind, evidence))


def read_transfer(form: FieldReader, *, owner: Owner | None) -> FormResult[Transfer[Owner]]:
    """``owner`` is the face's reading of the owner field (its error already recorded)."""
    review_date = form.day(ReviewField.REVIEW_DATE, label="A review date", required=True)
    note = form.text(ReviewField.NOTE, label="The note")
    if owner is None or review_date is None:
        return form.invalid()
    return form.result(Transfer(owner, review_date, note))


def read_action(form: FieldReader, *, owner: Owner | None) -> FormResult[LeadershipAction[Owner]]:
    """The leadership action, read after the face has read its owner field."""
    description = form.text(ReviewField.DESCRIPTION, label="The action", required=True)
    due = form.day(ReviewField.DUE_DATE, label="The due date")
    if description is None or owner is None:
        return form.invalid()
    return form.result(LeadershipAction(description, owner, due))


def read_audits(form: FieldReader) -> FormResult[AuditPlan]:
    topic = form.text(ReviewField.TOPIC, label="What the audit checks", required=True)
    first_due = form.day(ReviewField.FIRST_DUE, label="The first audit date", required=True)
    months = form.integer(ReviewField.MONTHS, label="How many months")
    if topic is None or first_due is None or months is None:
        return form.invalid()
    return form.result(AuditPlan(topic, first_due, months))


def read_result(form: FieldReader) -> FormResult[str]:
    result = form.text(ReviewField.RESULT, label="What the audit found", required=True)
    if result is None:
        return form.invalid()
    return form.result(result)


def read_closing_note(form: FieldReader) -> str | None:
    return form.text(ReviewField.NOTE, label="The closing note")
