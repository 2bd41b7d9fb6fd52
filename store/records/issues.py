"""Go-live issues: reporting, triage, resolution and closure, with the rules that govern them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from store.infra.errors import DomainError, NotFound, ValidationError
from store.infra.inserts import insert_many_if_absent
from store.records import audit, continuity, inbound, outbox, people, verification
from store.records.actors import Actor
from store.records.enums import (
    ChannelPurpose,
    ControlStatus,
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Role,
    Urgency,
    Workaround,
)
from store.records.models import (
    ISSUE_PREFIX,
    ChannelRoute,
    Control,
    Issue,
    OutboxMessage,
    Person,
    Service,
    ident,
)
from store.records.outbox import Method, Notice
from store.records.people import holders
from store.records.permissions import Action, require
from store.records.refs import ISSUE_COUNTER, next_number
from store.records.text import clean_text, required_text

S = IssueStatus
TRANSITIONS: dict[IssueStatus, frozenset[IssueStatus]] = {
    S.NEW: frozenset({S.TRIAGED, S.IN_PROGRESS, S.AWAITING_SUPPLIER, S.RESOLVED}),
    S.TRIAGED: frozenset({S.IN_PROGRESS, S.AWAITING_SUPPLIER, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.AWAITING_SUPPLIER, S.RESOLVED}),
    S.AWAITING_SUPPLIER: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.TRIAGED, S.IN_PROGRESS, S.AWAITING_SUPPLIER, S.RESOLVED}),
}


@dataclass(frozen=True)
class IssueReport:
    """What a member of staff tells golive about a go-live problem."""

    service_id: int
    category: IssueCategory
    description: str
    impact: Impact
    urgency: Urgency
    workaround: Workaround = Workaround.NONE
    workaround_detail: str | None = None
    source: IssueSource = IssueSource.SLASH_COMMAND
    source_permalink: str | None = None


def needs_alert(issue: Issue) -> bool:
    """Urgent, affecting safe care, or relying on an unsafe workaround: managers hear at once."""
    return (
        issue.urgency == Urgency.URGENT
        or issue.impact == Impact.SAFE_CARE
        or issue.workaround == Workaround.UNSAFE
    )


def why_alert(issue: Issue) -> list[str]:
    """Why managers hear of the issue at once (``needs_alert``), in plain words for each face
    to show: "it is urgent", "it affects safe care", ..."""
    reasons = []
    if issue.urgency == Urgency.URGENT:
        reasons.append("it is urgent")
    if issue.impact == Impact.SAFE_CARE:
        reasons.append("it affects safe care")
    if issue.workaround == Workaround.UNSAFE:
        reasons.append("staff are relying on an unsafe workaround")
    return reasons


def parse_ref(ref: str) -> int:
    text = ref.strip().upper()
    digits = text.removeprefix(ISSUE_PREFIX).removeprefix("GL")
    if not digits.isdigit():
        raise NotFound(f"'{ref.strip()}' is not an issue reference; they look like GL-0042")
    return int(digits)


def get_issue(session: Session, ref: str) -> Issue:
    number = parse_ref(ref)
    issue = session.exec(select(Issue).where(Issue.number == number)).first()
    if issue is None:
        raise NotFound(f"There is no issue {ISSUE_PREFIX}{number:04d}")
    return issue


def triage_post_key(issue: Issue) -> str:
    return f"issue:{issue.ref}:triage"


def report_issue(
    session: Session,
    *,
    reporter: Person,
    report: IssueReport,
    now: datetime,
    submission_key: str | None = None,
) -> tuple[Issue, bool]:
    """Record a report with its audit trail and the posts it owes, all in this transaction.

    Returns the issue and whether this call created it: a retried or doubled submission with
    the same key gets the issue the first one created.
    """
    if submission_key is not None and not inbound.claim(session, key=submission_key, now=now):
        existing = session.exec(select(Issue).where(Issue.submission_key == submission_key)).first()
        if existing is None:
            raise DomainError("That report is still being saved; look for its confirmation")
        return existing, False
    triage = _triage_channel_of_service(session, report.service_id)
    description = required_text(report.description, field="description", label="What happened")
    detail = clean_text(
        report.workaround_detail, field="workaround_detail", label="The workaround", required=False
    )
    if report.workaround == Workaround.UNSAFE and detail is None:
        raise ValidationError(
            "Say what the unsafe workaround is, so a manager can put a control in place",
            field="workaround_detail",
        )
    issue = Issue(
        number=next_number(session, ISSUE_COUNTER),
        category=report.category,
        service_id=report.service_id,
        description=description,
        impact=report.impact,
        urgency=report.urgency,
        workaround=report.workaround,
        workaround_detail=detail,
        reporter_id=ident(reporter),
        reported_at=now,
        source=report.source,
        source_permalink=report.source_permalink,
        submission_key=submission_key,
        status=IssueStatus.NEW,
        updated_at=now,
    )
    session.add(issue)
    audit.record_created(session, issue, actor=reporter, now=now)
    if submission_key is not None:
        inbound.remember_result(session, key=submission_key, result=issue.ref)
    _owe_report_messages(session, issue, reporter=reporter, triage=triage, now=now)
    return issue, True


def _triage_channel_of_service(session: Session, service_id: int) -> str | None:
    """Check the service exists and read the triage channel, in one query on the ack path."""
    triage = (
        select(ChannelRoute.channel_id)
        .where(ChannelRoute.purpose == ChannelPurpose.TRIAGE)
        .scalar_subquery()
    )
    found = session.exec(select(Service.id, triage).where(Service.id == service_id)).first()
    if found is None:
        raise ValidationError("Choose the service where this happened", field="service")
    channel: str | None = found[1]
    return channel


def _owe_report_messages(
    session: Session, issue: Issue, *, reporter: Person, triage: str | None, now: datetime
) -> None:
    """The triage post (and the fallback procedure in its thread), the confirmation and any
    alerts, in one insert. Their keys carry the issue's new reference, so none can be owed
    already and the triage post need not be looked up before replying to it; the unique key
    would still keep a message from being owed twice."""
    rows: list[dict[str, Any]] = []
    if triage:
        rows.append(
            outbox.message_row(
                key=triage_post_key(issue),
                method=Method.POST,
                notice=Notice.ISSUE_TRIAGE,
                channel=triage,
                subject=issue.ref,
                now=now,
            )
        )
        fallback = continuity.fallback_row(issue, thread_key=triage_post_key(issue), now=now)
        if fallback is not None:
            rows.append(fallback)
    rows.append(
        outbox.message_row(
            key=f"issue:{issue.ref}:confirmation",
            method=Method.DM,
            notice=Notice.ISSUE_CONFIRMATION,
            user=reporter.slack_user_id,
            subject=issue.ref,
            now=now,
        )
    )
    if needs_alert(issue):
        rows += _alert_rows(session, issue, now=now)
    insert_many_if_absent(session, OutboxMessage, rows)


def _owe_alerts(session: Session, issue: Issue, *, now: datetime) -> None:
    """One direct message per manager or project lead; keyed, so never twice per issue."""
    insert_many_if_absent(session, OutboxMessage, _alert_rows(session, issue, now=now))


def _alert_rows(session: Session, issue: Issue, *, now: datetime) -> list[dict[str, Any]]:
    return [
        outbox.message_row(
            key=f"issue:{issue.ref}:alert:{person.slack_user_id}",
            method=Method.DM,
            notice=Notice.ISSUE_ALERT,
            user=person.slack_user_id,
            subject=issue.ref,
            now=now,
        )
        for person in alert_recipients(session, issue)
    ]


def alert_recipients(session: Session, issue: Issue) -> list[Person]:
    """The registered manager(s) of the issue's service and the project lead(s)."""
    people = holders(session, Role.REGISTERED_MANAGER, service_id=issue.service_id)
    people += holders(session, Role.PROJECT_LEAD)
    unique = {person.id: person for person in people}
    return list(unique.values())


def _change(session: Session, issue: Issue, *, actor: Actor, summary: str, now: datetime) -> None:
    """After a triage change: refresh the triage post and add a line to its thread."""
    session.flush()
    marker = f"{issue.ref}:{uuid4().hex}"
    key = triage_post_key(issue)
    if outbox.by_key(session, key) is None:
        return
    outbox.enqueue(
        session,
        key=f"issue:{marker}:update",
        method=Method.UPDATE,
        notice=Notice.ISSUE_TRIAGE,
        target_key=key,
        subject=issue.ref,
        now=now,
    )
    outbox.enqueue(
        session,
        key=f"issue:{marker}:thread",
        method=Method.POST,
        notice=Notice.ISSUE_CHANGE,
        thread_key=key,
        subject=issue.ref,
        payload={"actor": actor.name, "summary": summary},
        now=now,
    )


def _triage(session: Session, actor: Actor, issue: Issue) -> None:
    require(session, actor, Action.TRIAGE_ISSUE, service_id=issue.service_id)


def _move(issue: Issue, to: IssueStatus, now: datetime) -> None:
    if to not in TRANSITIONS[issue.status]:
        allowed = ", ".join(sorted(s.label.lower() for s in TRANSITIONS[issue.status]))
        raise DomainError(
            f"{issue.ref} is {issue.status.label.lower()}; it can move to {allowed}, "
            f"not {to.label.lower()}"
        )
    issue.status = to
    if to == S.TRIAGED:
        issue.triaged_at = issue.triaged_at or now
    elif to == S.RESOLVED:
        issue.resolved_at = now
    elif to == S.CLOSED:
        issue.closed_at = now
    elif to == S.REOPENED:
        issue.resolved_at = None
        issue.closed_at = None


def assign_owner(
    session: Session, *, actor: Actor, ref: str, owner: Person, now: datetime
) -> Issue:
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    if not issue.is_open:
        raise DomainError(f"{issue.ref} is {issue.status.label.lower()}; reopen it first")
    with audit.audited(session, issue, actor=actor, action="owner assigned", now=now):
        issue.owner_id = owner.id
        if issue.status in (S.NEW, S.REOPENED):
            _move(issue, S.TRIAGED, now)
    _change(session, issue, actor=actor, summary=f"assigned the issue to {owner.name}", now=now)
    outbox.enqueue(
        session,
        key=f"issue:{issue.ref}:assigned:{owner.slack_user_id}:{now.isoformat()}",
        method=Method.DM,
        notice=Notice.ISSUE_ASSIGNED,
        user=owner.slack_user_id,
        subject=issue.ref,
        payload={"actor": actor.name},
        now=now,
    )
    return issue


def set_urgency(
    session: Session, *, actor: Actor, ref: str, urgency: Urgency, now: datetime
) -> Issue:
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    if issue.urgency == urgency:
        raise DomainError(f"{issue.ref} is already {urgency.label.lower()} urgency")
    was_alerting = needs_alert(issue)
    with audit.audited(session, issue, actor=actor, action="urgency set", now=now):
        issue.urgency = urgency
    _change(session, issue, actor=actor, summary=f"set urgency to {urgency.label.lower()}", now=now)
    if needs_alert(issue) and not was_alerting:
        _owe_alerts(session, issue, now=now)
    return issue


def add_immediate_control(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    description: str,
    owner: Person | None = None,
    due_date: date | None = None,
    now: datetime,
) -> Control:
    """A control put in place at once to keep care safe: manual checks, extra supervision."""
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    text = required_text(description, field="control", label="The immediate control", limit=1000)
    if due_date is not None and due_date < now.date():
        raise ValidationError(
            "The review date is in the past; choose today or later", field="control_due"
        )
    control = Control(
        issue_id=issue.id,
        description=text,
        owner_id=owner.id if owner else None,
        due_date=due_date,
        status=ControlStatus.IN_PROGRESS,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
    )
    session.add(control)
    audit.record_created(session, control, actor=actor, now=now)
    _change(
        session, issue, actor=actor, summary=f"put an immediate control in place: {text}", now=now
    )
    return control


def set_correction(
    session: Session, *, actor: Actor, ref: str, action: str, due: date | None, now: datetime
) -> Issue:
    """The correction action (what will fix it) and its target date."""
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    text = required_text(action, field="correction_action", label="The correction action")
    if due is not None and due < now.date():
        raise ValidationError(
            "The target date is in the past; choose today or later", field="correction_due"
        )
    with audit.audited(session, issue, actor=actor, action="correction set", now=now):
        issue.correction_action = text
        issue.correction_due = due
        if issue.status in (S.NEW, S.TRIAGED, S.REOPENED):
            _move(issue, S.IN_PROGRESS, now)
    when = f" by {due.isoformat()}" if due else ""
    _change(
        session, issue, actor=actor, summary=f"set the correction action{when}: {text}", now=now
    )
    return issue


def mark_awaiting_supplier(
    session: Session, *, actor: Actor, ref: str, note: str | None, now: datetime
) -> Issue:
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    text = clean_text(note, field="note", label="The note", required=False)
    with audit.audited(session, issue, actor=actor, action="awaiting supplier", now=now):
        _move(issue, S.AWAITING_SUPPLIER, now)
    summary = "marked the issue awaiting the supplier" + (f": {text}" if text else "")
    _change(session, issue, actor=actor, summary=summary, now=now)
    return issue


def resolve(session: Session, *, actor: Actor, ref: str, now: datetime) -> Issue:
    """Resolving needs a correction action: what was done to put it right."""
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    if not issue.correction_action:
        raise ValidationError(
            f"Record the correction action for {issue.ref} before resolving it",
            field="correction_action",
        )
    with audit.audited(session, issue, actor=actor, action="resolved", now=now):
        _move(issue, S.RESOLVED, now)
    _change(session, issue, actor=actor, summary="resolved the issue", now=now)
    continuity.on_resolved(session, issue, actor=actor, thread_key=triage_post_key(issue), now=now)
    return issue


def close(session: Session, *, actor: Actor, ref: str, evidence: str, now: datetime) -> Issue:
    """Closing needs closure evidence: what shows the fix worked in practice."""
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    text = clean_text(evidence, field="closure_evidence", label="Closure evidence", required=False)
    if text is None:
        raise ValidationError(
            f"Closing {issue.ref} needs closure evidence: what shows the fix worked",
            field="closure_evidence",
        )
    if verification.issue_needs_verification(issue):
        return _ask_verification(session, issue, actor=actor, evidence=text, now=now)
    with audit.audited(session, issue, actor=actor, action="closed", now=now):
        _move(issue, S.CLOSED, now)
        issue.closure_evidence = text
    _change(session, issue, actor=actor, summary=f"closed the issue. Evidence: {text}", now=now)
    return issue


def _ask_verification(
    session: Session, issue: Issue, *, actor: Actor, evidence: str, now: datetime
) -> Issue:
    """An issue that affected safe care stays resolved until a second person verifies it."""
    if issue.status != S.RESOLVED:
        raise DomainError(f"{issue.ref} is {issue.status.label.lower()}; resolve it before closing")
    verification.request(
        session,
        item=verification.issue_checked(issue),
        actor=actor,
        evidence=evidence,
        now=now,
    )
    summary = f"asked for closure to be verified by a second person. Evidence: {evidence}"
    _change(session, issue, actor=actor, summary=summary, now=now)
    return issue


def verify_closure(
    session: Session, *, actor: Actor, ref: str, evidence: str, now: datetime
) -> Issue:
    """The second person's check closes the issue, with both people's evidence kept."""
    issue = get_issue(session, ref)
    row = verification.verify(
        session,
        item=verification.issue_checked(issue),
        actor=actor,
        evidence=evidence,
        now=now,
    )
    with audit.audited(session, issue, actor=actor, action="closed", now=now):
        _move(issue, S.CLOSED, now)
        issue.closure_evidence = f"{row.request_evidence}\nVerified: {row.evidence}"
    summary = f"verified and closed the issue: {row.evidence}"
    _change(session, issue, actor=actor, summary=summary, now=now)
    return issue


def reopen(session: Session, *, actor: Actor, ref: str, reason: str, now: datetime) -> Issue:
    issue = get_issue(session, ref)
    _triage(session, actor, issue)
    text = required_text(reason, field="reason", label="The reason for reopening", limit=1000)
    with audit.audited(session, issue, actor=actor, action="reopened", now=now):
        _move(issue, S.REOPENED, now)
    assert issue.id is not None
    verification.withdraw(session, kind=verification.ISSUE, item_id=issue.id, actor=actor, now=now)
    _change(session, issue, actor=actor, summary=f"reopened the issue: {text}", now=now)
    return issue


@dataclass(frozen=True)
class IssueView:
    """An issue with the names around it (its service, reporter, owner, controls and their
    owners), read in one place for every face's builders."""

    issue: Issue
    service: Service | None
    reporter: Person | None
    owner: Person | None
    controls: list[Control]
    control_owners: dict[int, Person]

    @property
    def ref(self) -> str:
        return self.issue.ref


def issue_view(session: Session, ref: str) -> IssueView:
    issue = get_issue(session, ref)
    controls = immediate_controls(session, issue)
    owner_ids = {c.owner_id for c in controls if c.owner_id is not None}
    named = people.by_ids(session, ids={issue.reporter_id, issue.owner_id, *owner_ids})
    return IssueView(
        issue=issue,
        service=people.service_by_id(session, service_id=issue.service_id),
        reporter=named.get(issue.reporter_id),
        owner=named.get(issue.owner_id) if issue.owner_id else None,
        controls=controls,
        control_owners={pid: named[pid] for pid in owner_ids if pid in named},
    )


def immediate_controls(session: Session, issue: Issue) -> list[Control]:
    return list(
        session.exec(select(Control).where(Control.issue_id == issue.id).order_by(col(Control.id)))
    )


@dataclass(frozen=True)
class IssueFilter:
    status: IssueStatus | None = None
    open_only: bool = False
    category: IssueCategory | None = None
    service_id: int | None = None
    owner_id: int | None = None
    reporter_id: int | None = None
    urgency: Urgency | None = None


def _filtered(query: SelectOfScalar[Any], filters: IssueFilter) -> SelectOfScalar[Any]:
    if filters.status is not None:
        query = query.where(Issue.status == filters.status)
    if filters.open_only:
        query = query.where(Issue.is_open)
    if filters.category is not None:
        query = query.where(Issue.category == filters.category)
    if filters.service_id is not None:
        query = query.where(Issue.service_id == filters.service_id)
    if filters.owner_id is not None:
        query = query.where(Issue.owner_id == filters.owner_id)
    if filters.reporter_id is not None:
        query = query.where(Issue.reporter_id == filters.reporter_id)
    if filters.urgency is not None:
        query = query.where(Issue.urgency == filters.urgency)
    return query


def list_issues(
    session: Session, *, filters: IssueFilter = IssueFilter(), limit: int = 50, offset: int = 0
) -> list[Issue]:
    query = _filtered(select(Issue), filters)
    query = query.order_by(col(Issue.number).desc()).offset(offset).limit(limit)
    return list(session.exec(query))


def count_issues(session: Session, *, filters: IssueFilter = IssueFilter()) -> int:
    """How many issues match, in one count, for a view that shows only the first few."""
    return session.exec(
        select(func.count()).select_from(_filtered(select(Issue.id), filters).subquery())
    ).one()


def count_by(session: Session, column: str, *, open_only: bool = False) -> dict[str, int]:
    """Issue counts grouped by status, category, urgency or service_id."""
    field = getattr(Issue, column)
    query = select(field, func.count()).group_by(field)
    if open_only:
        query = query.where(Issue.is_open)
    return {str(key): count for key, count in session.exec(query)}


def overdue_corrections(
    session: Session, *, today: date, owner_id: int | None = None, limit: int | None = None
) -> list[Issue]:
    """Open issues whose correction action is past its target date, longest overdue first;
    only one owner's when ``owner_id`` is given."""
    query = select(Issue).where(Issue.is_correction_overdue(today))
    if owner_id is not None:
        query = query.where(Issue.owner_id == owner_id)
    query = query.order_by(col(Issue.correction_due), col(Issue.number)).limit(limit)
    return list(session.exec(query))


def service_names_of(session: Session, shown: Iterable[Issue]) -> dict[int, str]:
    """The names of the services these issues were reported for, to show beside them."""
    ids = {issue.service_id for issue in shown}
    query = select(Service.id, Service.name).where(col(Service.id).in_(ids))
    return {service_id: name for service_id, name in session.exec(query) if service_id}
