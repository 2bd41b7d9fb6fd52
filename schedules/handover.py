"""Handover summaries at shift change: each service's channel hears, at 07:30 and 19:30 local
time by default (or the service's own times), which urgent items are open and which immediate
controls the incoming shift must keep up.

Run from the escalation tick (every few minutes, every phase). Each summary's outbox key is
(service, local date, local time), so however many ticks, restarts or schedulers see a shift
change, the channel gets it once; times are local wall-clock times, so the March and October
clock changes move the UTC instant, never the shift. A summary more than ``GRACE`` late (golive
was down) is skipped rather than posted to a shift that has long started.
"""

from datetime import datetime, time, timedelta

from sqlmodel import Session

from schedules.cadence import ScheduleSettings, zone_of
from schedules.digests import Window
from schedules.posts import JSON, ScheduledNotice, frozen
from schedules.recurrence import Every, Schedule, local_date
from store.records import care, outbox
from store.records.models import Service
from store.records.outbox import Method
from store.records.people import list_services

GRACE = timedelta(hours=2)
LIMIT = 15


def handover_key(service: Service, day: str, at: time) -> str:
    return f"handover:{service.key}:{day}:{at.strftime('%H:%M')}"


def handover_facts(
    facts: care.HandoverFacts, *, service: Service, shift: str, occurrence: datetime
) -> JSON:
    return {
        "service": service.name,
        "shift": shift,
        "at": occurrence.isoformat(),
        "facts": frozen(facts),
        "limit": LIMIT,
    }


def run_handover(session: Session, window: Window, settings: ScheduleSettings) -> int:
    """Owe each service with a channel the summary for any shift change in the last GRACE;
    the number newly owed."""
    zone = zone_of(settings)
    owed = 0
    for service in list_services(session):
        if not service.channel_id or service.id is None:
            continue
        for at in care.handover_times(session, service=service, default=settings.handover_times):
            occurrence = Schedule(Every.DAY, zone, at=at).last_at(window.now)
            if window.now - occurrence > GRACE:
                continue
            day = local_date(occurrence, zone)
            key = handover_key(service, day.isoformat(), at)
            if outbox.by_key(session, key) is not None:
                continue
            facts = care.handover_facts(session, service_id=service.id, today=day)
            shift = "day shift" if time(6) <= at < time(18) else "night shift"
            created = outbox.enqueue(
                session,
                key=key,
                method=Method.POST,
                notice=ScheduledNotice.HANDOVER,
                channel=service.channel_id,
                subject=f"handover:{service.key}",
                payload=handover_facts(facts, service=service, shift=shift, occurrence=occurrence),
                now=window.now,
            )
            owed += int(created)
    return owed
