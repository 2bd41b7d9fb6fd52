"""Every scheduled post goes out once: retried runs, Slack failures, restarts and a second
scheduler on the same PostgreSQL database cannot double or lose a digest."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from schedules.cadence import Job
from schedules.jobs import run_job, window_for
from schedules.reminders import run_reminders
from schedules.scheduler import catch_up
from store.infra.clock import FixedClock
from store.infra.db import make_engine, session_scope
from store.records.models import JobRun, OutboxMessage, Reminder
from tests.conftest import START
from tests.schedules_world import seed, settings
from tests.world import BOARD_CHANNEL, PROJECT_CHANNEL, build_world

DAILY_KEY = f"daily_digest:2026-11-23:{PROJECT_CHANNEL}"


def digests_in(fake, channel):
    return [m for m in fake.messages(channel) if "digest" in m.get("text", "").lower()]


def test_running_a_job_twice_for_the_same_period_owes_one_post(engine):
    world = build_world(engine, now=START - timedelta(days=30))
    seed(engine, world, start=START)
    first = run_job("daily_digest", engine=engine, settings=settings(), at=START)
    again = run_job(
        "daily_digest", engine=engine, settings=settings(), at=START + timedelta(hours=6)
    )
    assert "owed to" in first
    assert again == "daily_digest 2026-11-23: already done"
    with session_scope(engine) as session:
        keys = [m.key for m in session.exec(select(OutboxMessage)) if m.key.startswith("daily")]
        runs = list(session.exec(select(JobRun).where(JobRun.job == "daily_digest")))
    assert keys == [DAILY_KEY]
    assert len(runs) == 1 and runs[0].summary.startswith("owed to")


def test_unknown_job_names_the_jobs_there_are(engine):
    with pytest.raises(ValueError, match=r"There is no job 'dialy'\. Jobs: daily_digest"):
        run_job("dialy", engine=engine, settings=settings(), at=START)


@pytest.mark.parametrize(
    "failure",
    [
        lambda fake: fake.fail_http("chat.postMessage", status=503, times=2),
        lambda fake: fake.rate_limit("chat.postMessage", retry_after=30, times=1),
        lambda fake: fake.drop("chat.postMessage", times=1, after_accept=True),
        lambda fake: fake.drop("chat.postMessage", times=1, after_accept=False),
    ],
    ids=["5xx", "429", "dropped-after-accept", "dropped-before-accept"],
)
def test_slack_failing_then_recovering_delivers_the_digest_once(slack, failure):
    seed(slack.engine, slack.world, start=START)
    slack.clock.set(START)
    run_job("daily_digest", engine=slack.engine, settings=slack.settings, at=START)
    failure(slack.fake)
    for _ in range(4):
        slack.deliver()
        slack.clock.advance(timedelta(minutes=10))
    posted = digests_in(slack.fake, PROJECT_CHANNEL)
    assert len(posted) == 1
    assert posted[0]["text"].startswith("Go-live daily digest for Mon 23 Nov 2026")
    assert posted[0]["blocks"][0]["text"]["text"] == "Go-live daily digest · Mon 23 Nov 2026"
    run_job("daily_digest", engine=slack.engine, settings=slack.settings, at=slack.clock.now())
    slack.deliver()
    assert len(digests_in(slack.fake, PROJECT_CHANNEL)) == 1


def test_a_restart_resumes_what_was_owed_and_sends_nothing_twice(slack):
    seed(slack.engine, slack.world, start=START)
    slack.clock.set(START)
    catch_up(engine=slack.engine, settings=slack.settings, clock=slack.clock)
    # The process dies before the sender runs; a new one starts an hour later.
    slack.clock.advance(timedelta(hours=1))
    catch_up(engine=slack.engine, settings=slack.settings, clock=slack.clock)
    slack.deliver()
    assert len(digests_in(slack.fake, PROJECT_CHANNEL)) == 1
    reviews = [m for m in slack.fake.messages(BOARD_CHANNEL) if "board review" in m["text"]]
    assert len(reviews) == 1


@pytest.mark.skipif(
    not __import__("os").environ.get("GOLIVE_TEST_DATABASE_URL"),
    reason="needs PostgreSQL (GOLIVE_TEST_DATABASE_URL)",
)
def test_two_schedulers_on_one_postgresql_database_post_each_digest_once(database):
    url, engine = database
    if engine.dialect.name != "postgresql":
        pytest.skip("two processes sharing one database is the PostgreSQL deployment")
    world = build_world(engine, now=START - timedelta(days=30))
    seed(engine, world, start=START)
    engines = [make_engine(url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def scheduler_process(own_engine):
        try:
            barrier.wait()
            clock = FixedClock(START + timedelta(minutes=1))
            results.append(catch_up(engine=own_engine, settings=settings(), clock=clock))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=scheduler_process, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for each in engines:
        each.dispose()
    assert not errors
    with session_scope(engine) as session:
        keys = [m.key for m in session.exec(select(OutboxMessage))]
        runs = [(r.job, r.period) for r in session.exec(select(JobRun))]
    for key in (DAILY_KEY, f"board_review:2026-W48:{BOARD_CHANNEL}"):
        assert keys.count(key) == 1
    assert len(runs) == len(set(runs))
    owed = [line for result in results for line in result if "owed to" in line]
    assert sorted(line.split(":")[0] for line in owed) == [
        "board_review 2026-W48",
        "daily_digest 2026-11-23",
    ]


@pytest.mark.skipif(
    not __import__("os").environ.get("GOLIVE_TEST_DATABASE_URL"),
    reason="needs PostgreSQL (GOLIVE_TEST_DATABASE_URL)",
)
def test_reminder_sweeps_racing_without_the_job_claim_owe_and_remember_each_once(database):
    """The job claim keeps two schedulers from running one period's sweep; should two sweeps
    run at once anyway, the unique keys still leave one reminder per owner and one record
    per item and day."""
    url, engine = database
    if engine.dialect.name != "postgresql":
        pytest.skip("two processes sharing one database is the PostgreSQL deployment")
    world = build_world(engine, now=START - timedelta(days=30))
    seed(engine, world, start=START)
    engines = [make_engine(url) for _ in range(3)]
    barrier = threading.Barrier(len(engines))
    summaries: list[str] = []
    errors: list[BaseException] = []

    def sweep(own_engine):
        try:
            with session_scope(own_engine) as session:
                window = window_for(Job.REMINDERS, settings(), at=START, phase_of=session)
                barrier.wait()
                summaries.append(run_reminders(session, window, settings()))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for each in engines:
        each.dispose()
    assert not errors and len(summaries) == len(engines)
    with session_scope(engine) as session:
        keys = [m.key for m in session.exec(select(OutboxMessage)) if m.key.startswith("rem")]
        remembered = [
            (r.person_id, r.item_kind, r.item_id, r.day) for r in session.exec(select(Reminder))
        ]
    assert sorted(keys) == ["reminders:2026-11-23:UMANAGER1", "reminders:2026-11-23:UMANAGER2"]
    assert len(remembered) == 3 == len(set(remembered))
