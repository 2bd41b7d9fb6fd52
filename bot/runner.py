"""``golive scheduler``: the scheduled jobs as their own process, beside several bot replicas.

It runs an outbox sender too, so a digest goes out as soon as it is owed; the senders in the
replicas claim rows the same way, so none is sent twice.
"""

from typing import Protocol

from sqlalchemy import Engine

from bot.app import make_client
from bot.sender import LANES_AT_ONCE, OutboxSender
from bot.settings import Settings
from bot.views.care import use_fallback_dir
from store.infra.clock import Clock


class Sender(Protocol):
    """An outbox sender of either face (bot/sender.py, teams/sender.py)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def nudge(self) -> None: ...


def run_scheduler_process(
    settings: Settings, *, engine: Engine, clock: Clock, sender: Sender | None = None
) -> None:
    """The jobs, with ``sender`` delivering what they owe (Slack's unless another is given:
    ``golive scheduler --face teams`` hands it the Teams sender)."""
    from schedules.scheduler import run_scheduler_forever

    use_fallback_dir(settings.fallback_dir)
    if sender is None:
        sender = OutboxSender(engine, make_client(settings), clock, parallel=LANES_AT_ONCE)
    sender.start()
    try:
        run_scheduler_forever(
            engine=engine, settings=settings, clock=clock, on_enqueued=sender.nudge
        )
    finally:
        sender.stop()
