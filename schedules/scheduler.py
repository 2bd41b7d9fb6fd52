"""APScheduler wiring: every job on a cron trigger in the provider's time zone.

Job ids are the job names and are replaced on start, so a restart never stacks duplicates;
coalesce, one instance at a time and no misfire limit mean a late or backed-up scheduler
runs a job once, late, rather than once per missed tick or not at all. Exactly-once posting
does not rest on any of that: it is the database's (job, period) claim and the outbox key,
which is why two scheduler processes on one PostgreSQL database still post each digest
once. On start-up, each digest's latest period is run again: a digest missed while golive
was down goes out once, late; one already sent is found and left alone.
"""

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from schedules.cadence import DIGESTS, Job, ScheduleSettings, schedule_for, zone_of
from schedules.jobs import JOBS, run_job
from store.infra.clock import Clock

log = logging.getLogger(__name__)

CATCH_UP_ID = "catch_up"
CATCH_UP_JOBS = (*DIGESTS, Job.ESCALATION)


def _fire(
    name: str,
    *,
    engine: Engine,
    settings: ScheduleSettings,
    clock: Clock,
    on_enqueued: Callable[[], None] | None,
) -> str:
    summary = run_job(name, engine=engine, settings=settings, at=clock.now())
    log.info("job %s", summary)
    if on_enqueued is not None:
        on_enqueued()
    return summary


def catch_up(
    *,
    engine: Engine,
    settings: ScheduleSettings,
    clock: Clock,
    on_enqueued: Callable[[], None] | None = None,
) -> list[str]:
    """Run each digest (and the ladder) for its latest period; only what was missed is owed."""
    summaries = [
        run_job(str(job), engine=engine, settings=settings, at=clock.now()) for job in CATCH_UP_JOBS
    ]
    for summary in summaries:
        log.info("start-up %s", summary)
    if on_enqueued is not None:
        on_enqueued()
    return summaries


def add_jobs(
    scheduler: BaseScheduler,
    *,
    engine: Engine,
    settings: ScheduleSettings,
    clock: Clock,
    on_enqueued: Callable[[], None] | None,
) -> None:
    """Register every job (stable ids, replaced on restart) and a one-off start-up catch-up."""
    zone = zone_of(settings)
    shared: dict[str, Any] = {
        "engine": engine,
        "settings": settings,
        "clock": clock,
        "on_enqueued": on_enqueued,
    }
    for job, (_, description) in JOBS.items():
        scheduler.add_job(
            _fire,
            trigger=CronTrigger(timezone=zone, **schedule_for(job, settings).cron()),
            id=str(job),
            name=description,
            args=[str(job)],
            kwargs=shared,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        catch_up,
        id=CATCH_UP_ID,
        name="Send what was missed while golive was down",
        kwargs=shared,
        replace_existing=True,
        max_instances=1,
        misfire_grace_time=None,
    )


def start_scheduler(
    *,
    engine: Engine,
    settings: ScheduleSettings,
    clock: Clock,
    on_enqueued: Callable[[], None],
) -> BackgroundScheduler:
    """The scheduler inside ``golive serve`` / ``golive socket``: runs in its own thread."""
    scheduler = BackgroundScheduler(timezone=zone_of(settings))
    add_jobs(scheduler, engine=engine, settings=settings, clock=clock, on_enqueued=on_enqueued)
    scheduler.start()
    return scheduler


def run_scheduler_forever(
    *,
    engine: Engine,
    settings: ScheduleSettings,
    clock: Clock,
    on_enqueued: Callable[[], None] | None = None,
) -> None:
    """``golive scheduler``: the scheduler as its own process, for several bot replicas."""
    scheduler = BlockingScheduler(timezone=zone_of(settings))
    add_jobs(scheduler, engine=engine, settings=settings, clock=clock, on_enqueued=on_enqueued)
    scheduler.start()
