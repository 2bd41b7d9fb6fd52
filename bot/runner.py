"""``golive scheduler``: the scheduled jobs as their own process, beside several bot replicas.

It runs an outbox sender too, so a digest goes out as soon as it is owed; the senders in the
replicas claim rows the same way, so none is sent twice.
"""

from sqlalchemy import Engine

from bot.app import make_client
from bot.sender import OutboxSender
from bot.settings import Settings
from bot.views.care import use_fallback_dir
from store.infra.clock import Clock


def run_scheduler_process(settings: Settings, *, engine: Engine, clock: Clock) -> None:
    from schedules.scheduler import run_scheduler_forever

    use_fallback_dir(settings.fallback_dir)
    sender = OutboxSender(engine, make_client(settings), clock)
    sender.start()
    try:
        run_scheduler_forever(
            engine=engine, settings=settings, clock=clock, on_enqueued=sender.nudge
        )
    finally:
        sender.stop()
