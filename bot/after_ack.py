"""The threads that do a worker's work after the ack (open a modal, publish a Home tab), with
a bound on how much of it may wait.

Bolt hands every lazy listener to its executor and returns the ack; with an unbounded queue a
surge is acked faster than the work behind it can be done, so the queue grows without limit:
every queued task holds a copy of its request (the worker's memory grows with the backlog)
and a modal queued for more than 3 seconds can no longer be opened, because Slack's trigger
id has expired by the time its turn comes. Here a request waits for a free place before it is
acked, so the acks keep pace with the work and what is queued starts in time. A place that
does not come within ``wait_s`` (the Web API is stalled) lets the task in beyond the bound:
Slack must still have its ack within 3 seconds.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger("golive.after_ack")

T = TypeVar("T")


class AfterAckPool(ThreadPoolExecutor):
    """``threads`` workers, and at most ``limit`` tasks queued or running at once."""

    def __init__(self, *, threads: int, limit: int, wait_s: float) -> None:
        if limit < threads:
            raise ValueError("the bound must leave every thread a task")
        super().__init__(max_workers=threads, thread_name_prefix="after-ack")
        self._places = threading.Semaphore(limit)
        self._wait_s = wait_s
        self.limit = limit
        self.over_bound = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        placed = self._places.acquire(timeout=self._wait_s)
        if not placed:
            self.over_bound += 1
            log.warning("work after the ack queued beyond its bound of %s", self.limit)
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            if placed:
                self._places.release()
            raise
        if placed:
            future.add_done_callback(self._free)
        return future

    def _free(self, _future: Future[Any]) -> None:
        self._places.release()
