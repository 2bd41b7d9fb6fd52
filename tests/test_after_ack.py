"""In a surge the acks wait for the work after them, rather than queueing modals whose
trigger ids expire before their turn comes, and a stalled Web API never holds an ack."""

import threading
import time

import pytest

from bot.after_ack import AfterAckPool


def _blocked(pool: AfterAckPool, release: threading.Event, count: int) -> None:
    for _ in range(count):
        pool.submit(release.wait, 10)


def test_an_ack_waits_for_a_place_when_the_work_after_acks_is_full() -> None:
    pool = AfterAckPool(threads=1, limit=2, wait_s=10)
    release = threading.Event()
    _blocked(pool, release, 2)
    submitted = threading.Event()

    def third() -> None:
        pool.submit(lambda: None)
        submitted.set()

    waiter = threading.Thread(target=third)
    waiter.start()
    assert not submitted.wait(0.3), "the third task was taken in beyond the bound"
    release.set()
    assert submitted.wait(5), "the third task never got the place the first two freed"
    waiter.join()
    pool.shutdown(wait=True)
    assert pool.over_bound == 0


def test_a_stalled_web_api_never_holds_an_ack_past_its_wait() -> None:
    pool = AfterAckPool(threads=1, limit=1, wait_s=0.05)
    release = threading.Event()
    _blocked(pool, release, 1)
    started = time.perf_counter()
    future = pool.submit(lambda: "ran")
    waited = time.perf_counter() - started
    release.set()
    assert future.result(timeout=5) == "ran"
    assert waited < 1.0
    assert pool.over_bound == 1
    pool.shutdown(wait=True)


def test_a_task_that_fails_gives_its_place_back() -> None:
    pool = AfterAckPool(threads=1, limit=1, wait_s=0.5)

    def fail() -> None:
        raise RuntimeError("Slack said no")

    with pytest.raises(RuntimeError):
        pool.submit(fail).result(timeout=5)
    assert pool.submit(lambda: "next").result(timeout=5) == "next"
    assert pool.over_bound == 0
    pool.shutdown(wait=True)


def test_the_bound_leaves_every_thread_a_task() -> None:
    with pytest.raises(ValueError):
        AfterAckPool(threads=4, limit=2, wait_s=1)
