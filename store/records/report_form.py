"""The report form's questions and their checks, said once for every chat face.

Each face draws the form its own way (a Slack modal, a Teams Adaptive Card dialog) with these
field names as its input ids, and reads the answers through ``read_report``, so a report is
refused for the same reasons, in the same words, wherever it is typed.
"""

from enum import StrEnum

from store.records.enums import Impact, IssueCategory, IssueSource, Urgency, Workaround
from store.records.fields import FieldReader, FormResult
from store.records.issues import IssueReport


class ReportField(StrEnum):
    """The report form's inputs; each is the store field its answer fills."""

    SERVICE = "service"
    CATEGORY = "category"
    DESCRIPTION = "description"
    IMPACT = "impact"
    URGENCY = "urgency"
    WORKAROUND = "workaround"
    WORKAROUND_DETAIL = "workaround_detail"


UNSAFE_WORKAROUND_NEEDS_DETAIL = (
    "Say what the unsafe workaround is, so a manager can put a control in place"
)


def read_report(
    form: FieldReader, *, source: IssueSource, permalink: str | None = None
) -> FormResult[IssueReport]:
    """The report the answers give, or every field to put right."""
    F = ReportField
    service = form.integer(F.SERVICE, label="The service")
    category = form.choice(F.CATEGORY, IssueCategory, label="What kind of problem")
    description = form.text(F.DESCRIPTION, label="What happened", required=True)
    impact = form.choice(F.IMPACT, Impact, label="The impact on care")
    urgency = form.choice(F.URGENCY, Urgency, label="How urgent it is")
    workaround = form.choice(F.WORKAROUND, Workaround, label="Whether there is a workaround")
    detail = form.text(F.WORKAROUND_DETAIL, label="The workaround")
    if workaround == Workaround.UNSAFE and detail is None:
        form.errors[F.WORKAROUND_DETAIL] = UNSAFE_WORKAROUND_NEEDS_DETAIL
    if (
        service is None
        or category is None
        or description is None
        or impact is None
        or urgency is None
        or workaround is None
    ):
        return form.invalid()
    report = IssueReport(
        service_id=service,
        category=category,
        description=description,
        impact=impact,
        urgency=urgency,
        workaround=workaround,
        workaround_detail=detail,
        source=source,
        source_permalink=permalink,
    )
    return form.result(report)
