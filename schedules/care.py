"""Care safeguards in the schedules: a control that keeps slipping goes to the board (once),
and the board review lists the risks whose controls were found ineffective until they are
rescored."""

from sqlmodel import Session

from schedules.cadence import Job, ScheduleSettings, channel_for_job
from schedules.digests import Window
from schedules.posts import JSON, ScheduledNotice, frozen
from store.records import care, escalations, outbox
from store.records.escalations import BOARD
from store.records.outbox import Method

CONTROL_KIND = "control"


def slipped_facts(control: care.SlippedControl, window: Window, settings: ScheduleSettings) -> JSON:
    return {
        "control": frozen(control),
        "threshold": settings.control_delay_escalation_days,
        "now": window.now.isoformat(),
    }


def escalate_slipped_controls(session: Session, window: Window, settings: ScheduleSettings) -> int:
    """Post each control delayed past the threshold to the board channel; the escalation key
    holds it to one post per control. The keys already escalated are read once, so a steady
    sweep over long-slipped controls writes nothing."""
    channel = channel_for_job(session, Job.ESCALATION, settings)
    if not channel:
        return 0
    slipped = {
        f"escalation:{BOARD}:{control.ref}": control
        for control in care.slipped_controls(
            session, threshold_days=settings.control_delay_escalation_days
        )
    }
    done = escalations.recorded_keys(session, list(slipped))
    new = {key: control for key, control in slipped.items() if key not in done}
    escalations.record_many(
        session,
        [
            escalations.escalation_row(
                key=key,
                level=BOARD,
                kind=CONTROL_KIND,
                item_id=control.id,
                ref=control.ref,
                reason=f"Delayed {control.days} days past its first due date",
                recipient=channel,
                post_key=key,
                fingerprint="",
                now=window.now,
            )
            for key, control in new.items()
        ],
    )
    posted = outbox.enqueue_many(
        session,
        [
            outbox.message_row(
                key=key,
                method=Method.POST,
                notice=ScheduledNotice.ESCALATION_CONTROL,
                channel=channel,
                subject=control.ref,
                payload=slipped_facts(control, window, settings),
                now=window.now,
            )
            for key, control in new.items()
        ],
    )
    return len(posted)
