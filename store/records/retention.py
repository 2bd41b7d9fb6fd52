"""Data retention: closed records' free text is removed after the retention period.

What people typed about a problem (what happened, the workaround, the correction, the closure
evidence, the immediate controls and their notes) can name residents; the governance skeleton
(which issue, when, who, which status, which category and impact) is evidence and stays.

The audit trail is append-only, enforced by database triggers: the one change they allow
(migration 0005) is replacing an event's old or new value with the purge marker. A purge
writes one ``purged`` event per record naming the fields removed, then, in the same
transaction, replaces those fields' values in the records' earlier events, so the text is gone
from the trail while who, when and which status stay. The thread lines golive posted about
the issue (held in the outbox) lose their text too, and so do owners' notes on the reminders
about it. Every reader of the trail (exports,
views) also shows purged fields' values as removed.

Other records that quote the text keep everything but the quote. A board decision is evidence
and stays, its summary with each quoted passage replaced by the marker; a stored message (a
digest, handover summary, reminder, escalation or direct message in the outbox) keeps its
JSON with the passage replaced in every string. Both are audited: a decision gets a
``purged`` event carrying its new summary, and its earlier events that held the quote are set
to the marker; a message gets a ``purged`` event naming its payload. A passage counts as
quoted when at least QUOTE_MIN characters of it appear verbatim, as typed or as golive
renders it for Slack (on one line, masked, escaped for mrkdwn, or clipped with "…"), unless a
kept record holds the same value word for word: then the copy may be that record's, and the
text has not left the register.

What Slack already shows is out of reach: a message posted before the purge stays in the
channel as posted. The outbox row keeps its channel and ts, but retention deliberately does
not rewrite posted messages with chat.update; removing them from Slack is the workspace's
own retention setting.

The period is GOLIVE_RETENTION_DAYS, counted from closure; 0 keeps everything.
"""

import json
from bisect import bisect_left
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from store.records import audit
from store.records.actors import SystemActor
from store.records.enums import IssueStatus
from store.records.models import (
    AuditEvent,
    Control,
    ControlUpdate,
    Decision,
    Issue,
    OutboxMessage,
    ReminderResponse,
    Verification,
    ident,
)
from store.records.outbox import Notice
from store.records.privacy import mask
from store.records.reminders import ItemKind

PURGED_TEXT = "[removed under the retention policy]"
PURGED = "purged"
ISSUE_FIELDS = ("description", "workaround_detail", "correction_action", "closure_evidence")
CONTROL_FIELDS = ("description",)
VERIFICATION_FIELDS = ("request_evidence", "evidence")
REMINDER_ACTION = "reminder "  # how store/records/reminders.py names an answer's event
RETENTION = SystemActor(name="golive retention policy")
QUOTE_MIN = 12  # shorter values ("Done", "Fixed by IT") are too common to count as a quote
CLIPPED = "\u2026"  # how bot/views/templated.py clip() ends a shortened value
IDS_PER_STATEMENT = 1000  # IN lists stay well inside both databases' parameter limits
QUOTES_PER_SCAN = 50  # LIKE terms per scanning statement
SCANS_MAX = 4  # past this many LIKE statements, reading every row once is cheaper

T = TypeVar("T")


@dataclass(frozen=True)
class Purged:
    """What one purge did: issues whose text went, and records that quoted it."""

    issues: int
    decisions: int
    messages: int


def forms(value: str) -> set[str]:
    """The ways golive may have copied a value: as typed, on one line, masked as channels
    see it, and escaped for mrkdwn (bot/escape.py ``escape``)."""
    flat = " ".join(value.split())
    masked = mask(flat)
    shown = masked.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {f for f in (value, flat, masked, shown) if len(f) >= QUOTE_MIN and f != PURGED_TEXT}


class Quotes:
    """Every form of every removed value, found where a text holds one of their first
    QUOTE_MIN characters, whole or clipped (its start, then "…").

    Many removed values may share a start ("Unable to log in to…"), so a match is never
    found by trying each value: a whole one by looking up the text's next N characters for
    each length N the values of that start have, a clipped one by a binary search of the
    sorted values for the clipped passage."""

    def __init__(self, values: Collection[str]) -> None:
        found = {form for value in values for form in forms(value)}
        self.forms = frozenset(found)
        self.ordered = sorted(found)
        lengths: dict[str, set[int]] = {}
        for form in found:
            lengths.setdefault(form[:QUOTE_MIN], set()).add(len(form))
        self.lengths = {head: sorted(sizes, reverse=True) for head, sizes in lengths.items()}

    def __bool__(self) -> bool:
        return bool(self.forms)

    def heads(self) -> set[str]:
        return set(self.lengths)

    def unquote(self, text: str) -> str:
        """``text`` with every quoted passage replaced by the marker, the longest first where
        two start at the same place."""
        windows = {text[i : i + QUOTE_MIN] for i in range(len(text) - QUOTE_MIN + 1)}
        starts = windows & self.lengths.keys()
        if not starts:
            return text
        positions = sorted(position for head in starts for position in _occurrences(text, head))
        parts: list[str] = []
        done = 0
        for position in positions:
            if position < done:
                continue
            end = self._match_end(text, position)
            if end is not None:
                parts += [text[done:position], PURGED_TEXT]
                done = end
        return "".join([*parts, text[done:]])

    def _match_end(self, text: str, start: int) -> int | None:
        """Where the quote starting at ``start`` ends, if one does."""
        end = None
        for size in self.lengths[text[start : start + QUOTE_MIN]]:
            if text[start : start + size] in self.forms:
                end = start + size
                break
        clip = text.find(CLIPPED, start + QUOTE_MIN)
        if clip != -1 and (end is None or clip + len(CLIPPED) > end):
            passage = text[start:clip]
            at = bisect_left(self.ordered, passage)
            if at < len(self.ordered) and self.ordered[at] == passage:
                at += 1  # clipped means cut short: a value longer than the passage
            if at < len(self.ordered) and self.ordered[at].startswith(passage):
                end = clip + len(CLIPPED)
        return end


def _occurrences(text: str, part: str) -> Iterator[int]:
    at = text.find(part)
    while at != -1:
        yield at
        at = text.find(part, at + 1)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _event(
    *, entity: str, entity_id: int, ref: str, now: datetime, field: str | None, new_value: str
) -> AuditEvent:
    return AuditEvent(
        at=now,
        actor_id=None,
        actor_name=RETENTION.name,
        entity=entity,
        entity_id=entity_id,
        entity_ref=ref,
        action=PURGED,
        field=field,
        new_value=new_value,
    )


def _purged_event(record: SQLModel, removed: str, *, now: datetime) -> AuditEvent:
    """The event that names the fields a record lost (``purged_fields`` reads it)."""
    return _event(
        entity=str(record.__tablename__),
        entity_id=ident(record),
        ref=audit.entity_ref(record),
        now=now,
        field=None,
        new_value=removed,
    )


def _texts(record: SQLModel, fields: tuple[str, ...]) -> list[str]:
    return [text for name in fields if isinstance(text := getattr(record, name), str) and text]


def _blank(record: Issue | Control | ControlUpdate, fields: tuple[str, ...]) -> list[str]:
    """Replace each field that holds text; the names of those replaced."""
    removed = []
    for name in fields:
        if getattr(record, name):
            setattr(record, name, PURGED_TEXT)
            removed.append(name)
    return removed


def due_issues(session: Session, *, now: datetime, days: int) -> list[Issue]:
    """Closed issues past the period whose text is still there."""
    if days <= 0:
        return []
    cutoff = now - timedelta(days=days)
    query = select(Issue).where(
        Issue.status == IssueStatus.CLOSED,
        col(Issue.closed_at).is_not(None),
        col(Issue.closed_at) <= cutoff,
        Issue.description != PURGED_TEXT,
    )
    return list(session.exec(query.order_by(col(Issue.id))))


def purge(session: Session, *, now: datetime, days: int) -> Purged:
    """Remove the free text of every closed issue past the period, and the passages of it
    that decisions and stored messages quote.

    Written directly rather than through ``audit.audited``: that would copy the text being
    removed into new audit events. A few statements per kind of record, whatever the count."""
    issues = due_issues(session, now=now, days=days)
    if not issues:
        return Purged(issues=0, decisions=0, messages=0)
    removed_text: list[str] = []
    events: list[AuditEvent] = []
    for issue in issues:
        removed_text += _texts(issue, ISSUE_FIELDS)
        removed = _blank(issue, ISSUE_FIELDS)
        issue.updated_at = now
        session.add(issue)
        events.append(_purged_event(issue, ", ".join(removed), now=now))
    issue_ids = [ident(issue) for issue in issues]
    controls = _records_of(session, Control, col(Control.issue_id), issue_ids)
    for control in controls:
        removed_text += _texts(control, CONTROL_FIELDS)
        if _blank(control, CONTROL_FIELDS):
            control.updated_at = now
            session.add(control)
            events.append(_purged_event(control, "description", now=now))
    control_ids = [ident(control) for control in controls]
    for update in _records_of(session, ControlUpdate, col(ControlUpdate.control_id), control_ids):
        removed_text += _texts(update, ("note",))
        if _blank(update, ("note",)):
            session.add(update)
    for answer in _reminder_notes(session, issue_ids, control_ids):
        removed_text.append(answer.note)
        answer.note = PURGED_TEXT
        session.add(answer)
    session.add_all(events)
    session.flush()
    removed_text += _redact(session, issue_ids, control_ids)
    _clear_thread_lines(session, [issue.ref for issue in issues])
    quotes = Quotes(set(removed_text) - _still_held(session, set(removed_text)))
    return Purged(
        issues=len(issues),
        decisions=_unquote_decisions(session, quotes, now=now),
        messages=_unquote_messages(session, quotes, now=now),
    )


HELD_BY = (
    col(Issue.description),
    col(Issue.workaround_detail),
    col(Issue.correction_action),
    col(Issue.closure_evidence),
    col(Control.description),
    col(ControlUpdate.note),
    col(ReminderResponse.note),
)


def _still_held(session: Session, values: set[str]) -> set[str]:
    """The removed values a kept record holds word for word (two issues reported alike, a
    standard correction): a copy of one may be a quote of the kept record, and the text has
    not left the register, so its copies stay. Run after the purged records are blanked."""
    held: set[str | None] = set()
    ordered = sorted(values)
    for column in HELD_BY:
        for chunk in _chunks(ordered, IDS_PER_STATEMENT):
            held.update(session.exec(select(column).where(column.in_(chunk))))
    return {value for value in held if value is not None}


def _reminder_notes(
    session: Session, issue_ids: Sequence[int], control_ids: Sequence[int]
) -> list[ReminderResponse]:
    """Owners' notes on the reminders about these issues' corrections and their controls:
    free text about the issue too, kept with the answer (store/records/reminders.py)."""
    found: list[ReminderResponse] = []
    for kind, ids in ((ItemKind.CORRECTION, issue_ids), (ItemKind.CONTROL, control_ids)):
        for chunk in _chunks(ids, IDS_PER_STATEMENT):
            query = select(ReminderResponse).where(
                ReminderResponse.item_kind == str(kind),
                col(ReminderResponse.item_id).in_(chunk),
                ReminderResponse.note != "",
                ReminderResponse.note != PURGED_TEXT,
            )
            found += session.exec(query)
    return found


def _records_of(
    session: Session, model: type[SQLModel], owner: Any, owner_ids: Sequence[int]
) -> list[Any]:
    """The records belonging to these owners, in id order, a statement per thousand owners."""
    found: list[Any] = []
    for chunk in _chunks(owner_ids, IDS_PER_STATEMENT):
        found += session.exec(select(model).where(owner.in_(chunk)))
    return sorted(found, key=ident)


def _redact(session: Session, issue_ids: list[int], control_ids: list[int]) -> list[str]:
    """Replace the purged free text wherever the trail or a verification still holds it; the
    verifications' text, for finding quotes of it.

    One statement per kind of record; structural events (status, dates, owner) are untouched."""
    verification_ids: list[int] = []
    removed_text: list[str] = []
    for kind, ids in ("issue", issue_ids), ("control", control_ids):
        for chunk in _chunks(ids, IDS_PER_STATEMENT):
            checked = select(
                Verification.id, Verification.request_evidence, Verification.evidence
            ).where(col(Verification.item_kind) == kind, col(Verification.item_id).in_(chunk))
            for verification_id, request_evidence, evidence in session.exec(checked):
                assert verification_id is not None
                verification_ids.append(verification_id)
                removed_text += [text for text in (request_evidence, evidence) if text]
    for chunk in _chunks(verification_ids, IDS_PER_STATEMENT):
        session.execute(
            sa.update(Verification)
            .where(col(Verification.id).in_(chunk))
            .values(
                request_evidence=PURGED_TEXT,
                evidence=sa.case((col(Verification.evidence).is_(None), None), else_=PURGED_TEXT),
            )
        )
    _redact_events(session, "issue", issue_ids, ISSUE_FIELDS)
    _redact_events(session, "control", control_ids, CONTROL_FIELDS)
    _redact_events(session, "verification", verification_ids, VERIFICATION_FIELDS)
    _redact_reminder_notes(session, "issue", issue_ids)
    _redact_reminder_notes(session, "control", control_ids)
    return removed_text


def _redact_events(
    session: Session, entity: str, ids: Sequence[int], fields: tuple[str, ...]
) -> None:
    """Set these records' events on these fields to the marker (the only update the trail's
    triggers accept); empty values stay empty."""
    for chunk in _chunks(ids, IDS_PER_STATEMENT):
        session.execute(
            sa.update(AuditEvent)
            .where(
                col(AuditEvent.entity) == entity,
                col(AuditEvent.entity_id).in_(chunk),
                col(AuditEvent.field).in_(fields),
            )
            .values(
                old_value=sa.case((col(AuditEvent.old_value).is_(None), None), else_=PURGED_TEXT),
                new_value=sa.case((col(AuditEvent.new_value).is_(None), None), else_=PURGED_TEXT),
            )
            .execution_options(synchronize_session=False)
        )


def _redact_reminder_notes(session: Session, entity: str, ids: Sequence[int]) -> None:
    """An owner's answer to a reminder is recorded on the item as an event carrying their
    note (store/records/reminders.py ``respond``); the note goes, the answer stays."""
    for chunk in _chunks(ids, IDS_PER_STATEMENT):
        session.execute(
            sa.update(AuditEvent)
            .where(
                col(AuditEvent.entity) == entity,
                col(AuditEvent.entity_id).in_(chunk),
                col(AuditEvent.field).is_(None),
                col(AuditEvent.action).startswith(REMINDER_ACTION),
                col(AuditEvent.new_value).is_not(None),
                col(AuditEvent.new_value) != "",
            )
            .values(new_value=PURGED_TEXT)
            .execution_options(synchronize_session=False)
        )


def _clear_thread_lines(session: Session, refs: list[str]) -> None:
    """The lines posted in the issue's thread quoted the text; the outbox keeps no copy."""
    for chunk in _chunks(refs, IDS_PER_STATEMENT):
        session.execute(
            sa.update(OutboxMessage)
            .where(
                col(OutboxMessage.notice) == str(Notice.ISSUE_CHANGE),
                col(OutboxMessage.subject).in_(chunk),
            )
            .values(payload=json.dumps({"actor": RETENTION.name, "summary": PURGED_TEXT}))
            .execution_options(synchronize_session=False)
        )


def _quoting(session: Session, column: Any, starts: Collection[str]) -> dict[int, str]:
    """The rows (id, text) of ``column``'s table whose text may quote a removed value.

    ``starts`` are the values' first characters as stored in this column. A nightly purge has
    a few: the database finds the rows, QUOTES_PER_SCAN LIKE terms per statement. A backlog
    (the first run, or a shorter period) has thousands, where LIKE costs terms times text; then
    every row is read once and ``Quotes.unquote`` finds the starts in one pass per text."""
    table = column.class_
    holding = select(table.id, column).where(column.is_not(None))
    if len(starts) > QUOTES_PER_SCAN * SCANS_MAX:
        return {row_id: text for row_id, text in session.exec(holding) if text}
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(starts), QUOTES_PER_SCAN):
        terms = [column.contains(start, autoescape=True) for start in chunk]
        found.update((row_id, text) for row_id, text in session.exec(holding.where(sa.or_(*terms))))
    return found


def _unquote_decisions(session: Session, quotes: Quotes, *, now: datetime) -> int:
    """Replace the quoted passages in board decisions' summaries, keeping the decisions; how
    many changed. Each gets a ``purged`` event carrying its new summary (so the trail can still
    rebuild it), and its earlier events that held a quoted passage are set to the marker."""
    if not quotes:
        return 0
    found = _quoting(session, col(Decision.summary), quotes.heads())
    changed = {i: quotes.unquote(text) for i, text in found.items()}
    changed = {i: text for i, text in changed.items() if text != found[i]}
    if not changed:
        return 0
    ids = sorted(changed)
    session.execute(sa.update(Decision), [{"id": i, "summary": changed[i]} for i in ids])
    held = select(AuditEvent.id, AuditEvent.old_value, AuditEvent.new_value).where(
        col(AuditEvent.entity) == Decision.__tablename__,
        col(AuditEvent.field) == "summary",
    )
    old_ids: list[int] = []
    new_ids: list[int] = []
    for chunk in _chunks(ids, IDS_PER_STATEMENT):
        for event_id, old, new in session.exec(held.where(col(AuditEvent.entity_id).in_(chunk))):
            assert event_id is not None
            if old and quotes.unquote(old) != old:
                old_ids.append(event_id)
            if new and quotes.unquote(new) != new:
                new_ids.append(event_id)
    for value, event_ids in (("old_value", old_ids), ("new_value", new_ids)):
        for chunk in _chunks(event_ids, IDS_PER_STATEMENT):
            session.execute(
                sa.update(AuditEvent)
                .where(col(AuditEvent.id).in_(chunk))
                .values({value: PURGED_TEXT})
                .execution_options(synchronize_session=False)
            )
    session.add_all(
        _event(
            entity=str(Decision.__tablename__),
            entity_id=i,
            ref=f"{Decision.__tablename__}#{i}",
            now=now,
            field="summary",
            new_value=changed[i],
        )
        for i in ids
    )
    session.flush()
    return len(changed)


def _json_text(value: str) -> str:
    """How a string reads inside a stored payload (store/records/outbox.py writes it with
    json.dumps)."""
    return json.dumps(value)[1:-1]


def _unquote_payload(value: Any, quotes: Quotes) -> Any:
    if isinstance(value, str):
        return quotes.unquote(value)
    if isinstance(value, list):
        return [_unquote_payload(item, quotes) for item in value]
    if isinstance(value, dict):
        return {key: _unquote_payload(item, quotes) for key, item in value.items()}
    return value


def _unquote_messages(session: Session, quotes: Quotes, *, now: datetime) -> int:
    """Replace the quoted passages in every string of stored messages' payloads, which stay
    valid JSON; how many changed, each with a ``purged`` event naming its payload.

    Sent messages are changed too: the outbox row is golive's copy. The posted message in
    Slack is left as posted (see the module docstring)."""
    if not quotes:
        return 0
    starts = {_json_text(head) for head in quotes.heads()}
    found = _quoting(session, col(OutboxMessage.payload), starts)
    changed: dict[int, str] = {}
    for message_id, text in found.items():
        payload = json.loads(text)
        unquoted = _unquote_payload(payload, quotes)
        if unquoted != payload:
            changed[message_id] = json.dumps(unquoted)
    if not changed:
        return 0
    ids = sorted(changed)
    session.execute(sa.update(OutboxMessage), [{"id": i, "payload": changed[i]} for i in ids])
    session.add_all(
        _event(
            entity=str(OutboxMessage.__tablename__),
            entity_id=i,
            ref=f"{OutboxMessage.__tablename__}#{i}",
            now=now,
            field=None,
            new_value="payload",
        )
        for i in ids
    )
    session.flush()
    return len(changed)


def purged_fields(session: Session) -> dict[str, frozenset[str]]:
    """For each record that was purged, the fields whose text the audit trail must hide.

    Read from the events that name fields (no field of their own); a decision's ``purged``
    event is a field change carrying the summary that remains, and hides nothing."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == PURGED, col(AuditEvent.field).is_(None))
    )
    found: dict[str, set[str]] = {}
    for event in events:
        names = {name.strip() for name in (event.new_value or "").split(",") if name.strip()}
        found.setdefault(event.entity_ref, set()).update(names)
    return {ref: frozenset(names) for ref, names in found.items()}
