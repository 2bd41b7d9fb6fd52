"""The scheduled posts in Slack's words: each notice a job owes (schedules/posts.py) worded from
the facts frozen when it was owed, through its jinja2 template (bot/templates/digests/).

The jobs decide what is owed to whom and carry the facts; everything Slack reads here is the
face's own: titles, emoji, the heat map's rows, the buttons and their action ids. A renderer
reads only its row's facts, never the current records, so a post delivered late says what
its period said.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from bot.ids import DecisionIds, ThemeIds, reminder_answer
from bot.views.common import RenderedMessage
from bot.views.templated import Mrkdwn, Rendered, date_of, render
from schedules.cadence import Job
from schedules.posts import JSON, ScheduledNotice
from store.records.enums import Band, Phase
from store.records.models import OutboxMessage
from store.records.outbox import payload_of
from store.records.reminders import RESPONSES_FOR, ItemKind, Response

BAND_EMOJI = {
    Band.EXTREME: ":red_square:",
    Band.HIGH: ":large_orange_square:",
    Band.MODERATE: ":large_yellow_square:",
    Band.LOW: ":large_green_square:",
}
THEME_BUTTONS = 3

KIND_LABELS = {
    ItemKind.CONTROL: "Control",
    ItemKind.CORRECTION: "Correction action",
    ItemKind.REVIEW: "Risk review",
}

ANSWERS: dict[Response, tuple[str, str]] = {
    Response.ACKNOWLEDGED: ("Acknowledge", ""),
    Response.COMPLETED: ("Complete", "primary"),
    Response.DELAYED: ("Delayed (new date)", ""),
    Response.INEFFECTIVE: ("Ineffective", "danger"),
    Response.SNOOZED: ("Snooze 1 day", ""),
}


def period_text(job: str, day: date | str) -> str:
    """How a digest's period reads in its title: a day, a week, or a month."""
    local_day = date_of(day)
    if job == Job.MONTHLY_REVIEW:
        return local_day.strftime("%B %Y")
    if job in (Job.WEEKLY_DIGEST, Job.BOARD_REVIEW):
        return f"week of {local_day.strftime('%a %d %b %Y')}"
    return local_day.strftime("%a %d %b %Y")


def issue_digest(facts: JSON) -> Rendered:
    title = "Go-live daily digest" if facts["job"] == Job.DAILY_DIGEST else "Weekly issue digest"
    return render(
        "issue_digest.j2",
        title=title,
        period_text=period_text(facts["job"], facts["day"]),
        facts=facts["facts"],
        limit=facts["limit"],
        theme_min=facts["theme_min"],
        theme_days=facts["theme_days"],
        services=facts["services"],
        theme_risk_action=ThemeIds.RAISE_RISK.value,
        theme_training_action=ThemeIds.TRAINING_NEED.value,
        theme_buttons=THEME_BUTTONS,
    )


def heat_lines(heat: list[JSON]) -> list[Mrkdwn]:
    """The 5x5 matrix as monospaced rows (likelihood down, impact across), narrow enough to
    read on a phone without scrolling; a dot is an empty cell."""
    lines = [
        Mrkdwn(f"{'Likelihood':<14}Impact"),
        Mrkdwn(" " * 14 + "".join(f"{n:>3}" for n in range(1, 6))),
    ]
    for row in heat:
        label = f"{row['likelihood']} {row['label']}"[:13]
        cells = "".join(f"{count or '·':>3}" for count in row["cells"])
        lines.append(Mrkdwn(f"{label:<14}{cells}"))
    return lines


def _bands(register: JSON) -> list[dict[str, Any]]:
    return [
        {
            "emoji": BAND_EMOJI[band],
            "label": band.label,
            "now": register["bands"][band.value],
            "before": register["bands_before"][band.value],
        }
        for band in (Band.EXTREME, Band.HIGH, Band.MODERATE, Band.LOW)
    ]


def register_review(facts: JSON) -> Rendered:
    """The weekly board review, or the monthly post-implementation review."""
    monthly = facts["job"] == Job.MONTHLY_REVIEW
    register = facts["facts"]
    return render(
        "monthly_review.j2" if monthly else "board_review.j2",
        provider=facts.get("provider", ""),
        outcomes=facts["outcomes"],
        period_text=period_text(facts["job"], facts["day"]),
        phase_label=Phase(facts["phase"]).label,
        now=facts["now"],
        facts=register,
        issues=facts["issues"],
        bands=_bands(register),
        heat_lines=heat_lines(register["heat"]),
        band_emoji=BAND_EMOJI,
        limit=facts["limit"],
        theme_min=facts["theme_min"],
        theme_days=facts["theme_days"],
        decision_action=DecisionIds.OPEN.value,
        since_text="last month" if monthly else "last week",
        rescores=facts["rescores"],
        services=facts["services"],
        training=facts["training"],
    )


def _reminder_item(item: JSON) -> dict[str, Any]:
    """What the template shows of an item. Refs, kind labels, action ids, button labels and
    values are golive's own words, not typed by a person, so they are marked safe (``Mrkdwn``)
    and skip the masking every printed value otherwise gets: printed for every button, they
    were most of a render's time."""
    kind = ItemKind(item["kind"])
    buttons = []
    for response in RESPONSES_FOR[kind]:
        label, style = ANSWERS[response]
        if kind == ItemKind.REVIEW and response == Response.COMPLETED:
            label = "Reviewed (next date)"
        buttons.append(
            {
                "action": Mrkdwn(reminder_answer(response)),
                "label": Mrkdwn(label),
                "style": Mrkdwn(style),
            }
        )
    return {
        "ref": Mrkdwn(item["ref"]),
        "kind_label": Mrkdwn(KIND_LABELS[kind]),
        "parent": None if item["parent"] is None else Mrkdwn(item["parent"]),
        "text": item["text"],
        "due": item["due"],
        "days_overdue": item["days_overdue"],
        "value": Mrkdwn(item["value"]),
        "buttons": buttons,
    }


def reminder(facts: JSON) -> Rendered:
    return render(
        "reminder.j2",
        items=[_reminder_item(item) for item in facts["items"]],
        max_items=facts["max_items"],
        before_escalation=facts["before_escalation"],
    )


def escalation_manager(facts: JSON) -> Rendered:
    items = [{**item, "kind_label": KIND_LABELS[ItemKind(item["kind"])]} for item in facts["items"]]
    return render(
        "escalation_manager.j2", items=items, before_escalation=facts["before_escalation"]
    )


def escalation_board(facts: JSON) -> Rendered:
    return render("escalation_board.j2", **facts, decision_action=DecisionIds.OPEN.value)


def escalation_control(facts: JSON) -> Rendered:
    return render("escalation_control.j2", **facts, decision_action=DecisionIds.OPEN.value)


def handover(facts: JSON) -> Rendered:
    """The facts are the template's context as they are: service, shift, at, facts, limit."""
    return render("handover.j2", **facts)


def commissioner(facts: JSON) -> Rendered:
    return render(
        "commissioner.j2",
        facts=facts["facts"],
        period_text=date_of(facts["month"]).strftime("%B %Y"),
        limit=facts["limit"],
    )


WORDS: dict[str, Callable[[JSON], Rendered]] = {
    ScheduledNotice.ISSUE_DIGEST: issue_digest,
    ScheduledNotice.BOARD_REVIEW: register_review,
    ScheduledNotice.MONTHLY_REVIEW: register_review,
    ScheduledNotice.REMINDER: reminder,
    ScheduledNotice.ESCALATION_MANAGER: escalation_manager,
    ScheduledNotice.ESCALATION_BOARD: escalation_board,
    ScheduledNotice.ESCALATION_CONTROL: escalation_control,
    ScheduledNotice.HANDOVER: handover,
    ScheduledNotice.COMMISSIONER: commissioner,
}


def word(notice: str, facts: JSON) -> Rendered:
    """A scheduled post in Slack's words, from its notice kind and facts (``golive job
    --preview`` and ``golive demo`` show it so, without a row to send)."""
    return WORDS[notice](facts)


def _renderer(notice: str) -> Callable[[Session, OutboxMessage], RenderedMessage]:
    def render_row(session: Session, message: OutboxMessage) -> RenderedMessage:
        rendered = word(notice, payload_of(message))
        return RenderedMessage(rendered.text, rendered.blocks)

    return render_row


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    notice: _renderer(notice) for notice in WORDS
}
