"""Quiet hours for people on shifts: a night carer asleep at noon should not be woken by a
reminder. Non-urgent direct messages owed during someone's quiet hours wait (the outbox
row's ``next_attempt_at``) until the hours end; alerts about safe care never wait, because
they are not routed through here.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from store.infra.errors import ValidationError
from store.records import audit
from store.records.actors import Actor
from store.records.models import Person, QuietHours

EXAMPLE = "22:00-07:00"
OFF_WORDS = ("off", "none", "clear")
"""What people type to clear their quiet hours, in either face."""


def turns_off(text: str) -> bool:
    return text.strip().lower() in OFF_WORDS


def parse_clock(text: str, *, field: str) -> time:
    hours, sep, minutes = text.strip().partition(":")
    if (
        sep
        and hours.isdigit()
        and minutes.isdigit()
        and len(minutes) == 2
        and 0 <= int(hours) < 24
        and 0 <= int(minutes) < 60
    ):
        return time(int(hours), int(minutes))
    raise ValidationError(f"'{text.strip()}' is not a time like 07:30 (24-hour clock)", field=field)


def parse_hours(text: str) -> tuple[time, time]:
    """``22:00-07:00``: from when to when, crossing midnight if the end is earlier."""
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise ValidationError(
            f"Give your quiet hours as start-end, like {EXAMPLE}", field="quiet_hours"
        )
    starts = parse_clock(start, field="quiet_hours")
    ends = parse_clock(end, field="quiet_hours")
    if starts == ends:
        raise ValidationError(
            "Quiet hours need a different start and end time", field="quiet_hours"
        )
    return starts, ends


def quiet_hours_of(session: Session, person: Person) -> QuietHours | None:
    return session.get(QuietHours, person.id)


def set_quiet_hours(
    session: Session, *, actor: Actor, person: Person, text: str, now: datetime
) -> QuietHours:
    """Each person sets their own; the store is given the person the Slack user is."""
    starts, ends = parse_hours(text)
    assert person.id is not None
    row = quiet_hours_of(session, person)
    values = (starts.strftime("%H:%M"), ends.strftime("%H:%M"))
    if row is None:
        row = QuietHours(person_id=person.id, starts=values[0], ends=values[1], updated_at=now)
        session.add(row)
        audit.record_created(session, row, actor=actor, now=now)
        return row
    with audit.audited(session, row, actor=actor, action="quiet hours set", now=now):
        row.starts, row.ends = values
    return row


def clear_quiet_hours(session: Session, *, actor: Actor, person: Person, now: datetime) -> bool:
    row = quiet_hours_of(session, person)
    if row is None:
        return False
    audit.record_action(
        session, row, actor=actor, action="quiet hours off", now=now, note=describe(row)
    )
    session.delete(row)
    return True


def describe(row: QuietHours) -> str:
    return f"{row.starts}-{row.ends}"


def _local(day: date, when: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, when, tzinfo=zone).astimezone(UTC)


def quiet_hours_by_person(session: Session, person_ids: list[int]) -> dict[int, QuietHours]:
    """Everyone's quiet hours in one query, for a sweep that owes many people a message."""
    if not person_ids:
        return {}
    query = select(QuietHours).where(col(QuietHours.person_id).in_(person_ids))
    return {row.person_id: row for row in session.exec(query)}


def release_at(session: Session, *, person: Person, now: datetime, zone: ZoneInfo) -> datetime:
    """When a non-urgent message owed ``now`` may be sent: now, or the end of the quiet
    hours ``now`` falls in (local wall-clock times, so a clock change moves nothing)."""
    return release_after(quiet_hours_of(session, person), now=now, zone=zone)


def release_after(row: QuietHours | None, *, now: datetime, zone: ZoneInfo) -> datetime:
    """``release_at`` for quiet hours already read (``quiet_hours_by_person``)."""
    if row is None:
        return now
    starts = parse_clock(row.starts, field="quiet_hours")
    ends = parse_clock(row.ends, field="quiet_hours")
    today = now.astimezone(zone).date()
    for day in (today - timedelta(days=1), today):
        begin = _local(day, starts, zone)
        end_day = day if ends > starts else day + timedelta(days=1)
        end = _local(end_day, ends, zone)
        if begin <= now < end:
            return end
    return now
