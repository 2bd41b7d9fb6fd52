"""The monthly summary for commissioners: posted once a month to GOLIVE_COMMISSIONER_CHANNEL
(for the month just ended, on the monthly review day and time, in every phase) and exportable
on demand as a message or CSV rows (``summary_for_month``, ``csv_for_month``).

Run from the escalation tick like the handover summaries: the outbox key (month, channel)
makes it once per month however often the tick runs; a summary owed while golive was down is
still posted within ``GRACE`` of its time, since a late monthly return beats none.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from schedules.cadence import ScheduleSettings, zone_of
from schedules.digests import Window
from schedules.posts import JSON, ScheduledNotice, frozen
from schedules.recurrence import Every, Schedule, parse_time
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import outbox
from store.records.outbox import Method
from store.reports.commissioner import CommissionerFacts, month_csv, month_facts

GRACE = timedelta(days=7)
LIMIT = 20


def summary_facts(facts: CommissionerFacts, month: date) -> JSON:
    """What the summary owes a face: the month, its facts as at the month's end, the cap on
    each list."""
    return {"month": month.isoformat(), "facts": frozen(facts), "limit": LIMIT}


def summary_for_month(
    engine: Engine, settings: ScheduleSettings, month: str, *, now: datetime
) -> JSON:
    """The facts of the summary for ``month`` (2026-11) as it would be owed, as at the month's
    end; a month not yet ended or before the first record is refused. Nothing is recorded."""
    with session_scope(engine) as session:
        facts = month_facts(session, month=month, zone=zone_of(settings), now=now)
        return summary_facts(facts, facts.start.astimezone(zone_of(settings)).date())


def csv_for_month(engine: Engine, settings: ScheduleSettings, month: str, *, now: datetime) -> str:
    """The same summary as CSV text, for ``golive commissioner --csv``."""
    with session_scope(engine) as session:
        return month_csv(session, month=month, zone=zone_of(settings), now=now)


def summary_schedule(settings: ScheduleSettings) -> Schedule:
    """The summary goes out on the monthly review's day and time, the board's own rhythm."""
    return Schedule(
        Every.MONTH,
        zone_of(settings),
        at=parse_time(settings.monthly_review_time),
        month_day=settings.monthly_review_day,
    )


def owe_commissioner_summary(session: Session, window: Window, settings: ScheduleSettings) -> int:
    """Owe last month's summary once, from its time until GRACE after; 1 if newly owed."""
    channel = settings.commissioner_channel
    if not channel:
        return 0
    occurrence = summary_schedule(settings).last_at(window.now)
    if window.now - occurrence > GRACE:
        return 0
    local = occurrence.astimezone(zone_of(settings)).date()
    month = (local.replace(day=1) - timedelta(days=1)).replace(day=1)
    key = f"commissioner:{month:%Y-%m}:{channel}"
    if outbox.by_key(session, key) is not None:
        return 0
    try:
        facts = month_facts(session, month=f"{month:%Y-%m}", zone=zone_of(settings), now=window.now)
    except ValidationError:
        return 0  # a month that ended before golive held any record owes no summary
    created = outbox.enqueue(
        session,
        key=key,
        method=Method.POST,
        notice=ScheduledNotice.COMMISSIONER,
        channel=channel,
        subject=f"commissioner:{month:%Y-%m}",
        payload=summary_facts(facts, month),
        now=window.now,
    )
    return int(created)
