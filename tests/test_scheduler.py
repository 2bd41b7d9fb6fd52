"""The scheduler keeps the provider's local time through the clock changes, and sends what it
missed while down exactly once when it starts again."""

import itertools
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import select

from schedules.cadence import Job, schedule_for
from schedules.jobs import describe_jobs, run_job
from schedules.scheduler import CATCH_UP_ID, add_jobs, catch_up, start_scheduler
from store.infra.clock import FixedClock
from store.infra.db import session_scope
from store.records.models import JobRun, OutboxMessage
from tests.conftest import START
from tests.schedules_world import seed, settings
from tests.world import BOARD_CHANNEL, PROJECT_CHANNEL, build_world

LONDON = ZoneInfo("Europe/London")


def fire_times(job: Job, first: datetime, count: int, **overrides) -> list[datetime]:
    """When APScheduler itself would fire the job, from the trigger golive registers."""
    config = settings(**overrides)
    scheduler = BackgroundScheduler(timezone=LONDON)
    add_jobs(scheduler, engine=None, settings=config, clock=FixedClock(first), on_enqueued=None)
    trigger = scheduler.get_job(str(job)).trigger
    times, previous, now = [], None, first
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        times.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    return times


@pytest.mark.parametrize(
    ("first", "utc_hours"),
    [
        # Clocks go forward at 01:00 UTC on Sunday 28 March 2027.
        (datetime(2027, 3, 26, 12, 0, tzinfo=UTC), [8, 7, 7, 7]),
        # Clocks go back at 01:00 UTC on Sunday 25 October 2026.
        (datetime(2026, 10, 23, 12, 0, tzinfo=UTC), [7, 8, 8, 8]),
    ],
    ids=["march", "october"],
)
def test_daily_digest_fires_at_0830_london_time_on_both_sides_of_the_clock_change(first, utc_hours):
    times = fire_times(Job.DAILY_DIGEST, first, 4)
    assert [t.astimezone(LONDON).strftime("%H:%M") for t in times] == ["08:30"] * 4
    assert [t.astimezone(UTC).hour for t in times] == utc_hours
    days = [t.astimezone(LONDON).date() for t in times]
    assert [(b - a).days for a, b in itertools.pairwise(days)] == [1, 1, 1]
    schedule = schedule_for(Job.DAILY_DIGEST, settings())
    for fire in times:
        assert schedule.last_at(fire + timedelta(minutes=5)) == fire
        assert schedule.period(fire) == fire.astimezone(LONDON).date().isoformat()
        assert schedule.next_after(fire - timedelta(minutes=1)) == fire


@pytest.mark.parametrize(
    "first",
    [datetime(2027, 3, 26, 12, 0, tzinfo=UTC), datetime(2026, 10, 23, 12, 0, tzinfo=UTC)],
    ids=["march", "october"],
)
def test_a_digest_is_posted_once_a_day_through_the_clock_change(engine, first):
    world = build_world(engine, now=first - timedelta(days=30))
    seed(engine, world, start=first)
    for fire in fire_times(Job.DAILY_DIGEST, first, 4):
        for late in (timedelta(0), timedelta(minutes=59)):
            run_job("daily_digest", engine=engine, settings=settings(), at=fire + late)
    with session_scope(engine) as session:
        keys = sorted(m.key for m in session.exec(select(OutboxMessage)) if "daily" in m.key)
    dates = [(first + timedelta(days=n)).date().isoformat() for n in range(1, 5)]
    assert keys == [f"daily_digest:{day}:{PROJECT_CHANNEL}" for day in dates]


def test_weekly_and_monthly_reviews_keep_local_time_too():
    board = fire_times(Job.BOARD_REVIEW, datetime(2027, 3, 20, tzinfo=UTC), 2)
    assert [t.astimezone(LONDON).strftime("%a %H:%M") for t in board] == ["Mon 09:00"] * 2
    monthly = fire_times(Job.MONTHLY_REVIEW, datetime(2027, 2, 15, tzinfo=UTC), 3)
    assert [t.astimezone(LONDON).strftime("%d %b %H:%M") for t in monthly] == [
        "01 Mar 09:00",
        "01 Apr 09:00",
        "01 May 09:00",
    ]
    reminders = fire_times(Job.REMINDERS, datetime(2027, 3, 27, 12, tzinfo=UTC), 2)
    assert [t.astimezone(LONDON).strftime("%H:%M") for t in reminders] == ["09:00", "09:00"]


def test_every_job_is_registered_once_with_a_stable_id_and_replaced_on_restart():
    scheduler = BackgroundScheduler(timezone=LONDON)
    for _ in range(2):
        add_jobs(
            scheduler, engine=None, settings=settings(), clock=FixedClock(START), on_enqueued=None
        )
    scheduler.start(paused=True)  # pending jobs go into the job store, replacing by id
    try:
        ids = sorted(job.id for job in scheduler.get_jobs())
        job = scheduler.get_job("daily_digest")
    finally:
        scheduler.shutdown(wait=False)
    assert ids == sorted([*(str(job) for job in Job), CATCH_UP_ID])
    assert (job.coalesce, job.max_instances) == (True, 1)


def test_jobs_list_their_next_runs_in_local_time(engine):
    summer = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    rows = {
        name: (when, what)
        for name, when, what in describe_jobs(engine=engine, settings=settings(), now=summer)
    }
    assert rows["daily_digest"] == (
        "",
        "Daily issue digest to the project channel, daily at 08:30, in go-live",
    )
    assert rows["board_review"][0] == "2027-06-07T09:00+01:00"
    assert rows["reminders"][0] == "2027-06-02T09:00+01:00"


def test_digest_missed_while_down_is_sent_once_when_the_scheduler_starts(engine):
    world = build_world(engine, now=START - timedelta(days=30))
    seed(engine, world, start=START)
    clock = FixedClock(START + timedelta(hours=3))  # down at 08:30 and 09:00, back at noon
    for _ in range(2):
        enqueued = threading.Event()
        scheduler = start_scheduler(
            engine=engine, settings=settings(), clock=clock, on_enqueued=enqueued.set
        )
        try:
            assert enqueued.wait(timeout=20)
        finally:
            scheduler.shutdown(wait=True)
    with session_scope(engine) as session:
        digests = sorted(m.key for m in session.exec(select(OutboxMessage)) if "_" in m.key)
        runs = sorted((r.job, r.period) for r in session.exec(select(JobRun)))
    assert f"daily_digest:2026-11-23:{PROJECT_CHANNEL}" in digests
    assert f"board_review:2026-W48:{BOARD_CHANNEL}" in digests
    assert len(digests) == len(set(digests))
    assert ("daily_digest", "2026-11-23") in runs and ("board_review", "2026-W48") in runs
    assert len(runs) == len(set(runs))


def test_start_up_does_not_resend_a_digest_that_went_out_on_time(engine):
    world = build_world(engine, now=START - timedelta(days=30))
    seed(engine, world, start=START)
    first = run_job("daily_digest", engine=engine, settings=settings(), at=START)
    assert "owed to" in first
    later = FixedClock(START + timedelta(hours=5))
    summaries = catch_up(engine=engine, settings=settings(), clock=later)
    assert "daily_digest 2026-11-23: already done" in summaries
