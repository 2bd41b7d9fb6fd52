"""The scheduled posts in Teams' words: each notice a job owes (schedules/posts.py) worded as
an Adaptive Card from the facts frozen when it was owed, saying what Slack's post says
(bot/views/digests.py words the same facts there).

A renderer reads only its row's facts, never the current records, so a card delivered late
says what its period said; its buttons (show an issue or a risk in place) read the records as
they are when clicked. Lists stop at the job's limit and say how many more there are.
"""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from schedules.cadence import Job
from schedules.posts import JSON, ScheduledNotice
from store.records.enums import Band, IssueStatus, Phase
from store.records.models import OutboxMessage
from store.records.outbox import payload_of
from store.records.reminders import ItemKind
from teams import cards
from teams.wording import (
    KIND_LABELS,
    Json,
    buttons,
    clip,
    date_of,
    day,
    hidden,
    line,
    listed,
    plural,
    show_button,
    theme_buttons,
    title,
    when,
)

BANDS = (Band.EXTREME, Band.HIGH, Band.MODERATE, Band.LOW)
Words = Callable[[JSON, str | None], Json]


def period_text(job: str, value: str) -> str:
    """How a digest's period reads in its title: a day, a week, or a month."""
    local_day = date_of(value)
    if job == Job.MONTHLY_REVIEW:
        return local_day.strftime("%B %Y")
    if job in (Job.WEEKLY_DIGEST, Job.BOARD_REVIEW):
        return f"week of {local_day.strftime('%a %d %b %Y')}"
    return local_day.strftime("%a %d %b %Y")


def _refs(shown: JSON) -> str:
    refs = ", ".join(str(item["ref"]) for item in shown["lines"])
    extra = shown["total"] - len(shown["lines"])
    return refs + (f" and {extra} more" if extra > 0 else "")


# ---------------------------------------------------------------------- issue digest


def _issue_lines(facts: JSON, limit: int) -> list[Json]:
    body: list[Json] = []
    rows = facts["new_by_category_service"]
    body += listed(
        f"New issues: {facts['new_total']}",
        [line(f"{row['label']}: {row['count']}") for row in rows[:limit]],
        more=len(rows) - limit,
        empty="None reported",
    )
    return body


def _urgent(facts: JSON, row: str | None) -> list[Json]:
    urgent = facts["urgent_open"]
    lines: list[Json] = []
    for item in urgent["lines"]:
        flags = f" ({item['flags']})" if item["flags"] else ""
        lines.append(
            line(
                ("bold", item["ref"]),
                f" {item['service']} · {item['category']}: {clip(item['description'], 110)}{flags}",
            )
        )
        for control in item["controls"]:
            lines.append(
                line(
                    f"Immediate control: {clip(control['description'], 100)} "
                    f"({str(control['status']).lower()})",
                    indent=True,
                )
            )
        if not item["controls"]:
            lines.append(line(("warn", "No immediate control recorded"), indent=True))
    return [
        *listed(
            f"Urgent or affecting safe care, still open ({urgent['total']})",
            lines,
            more=urgent["total"] - len(urgent["lines"]),
        ),
        *buttons([show_button(item["ref"], row) for item in urgent["lines"]]),
    ]


def _services(services: list[JSON], limit: int) -> list[Json]:
    if not services:
        return []
    lines = []
    for each in services[:limit]:
        parts = [
            f"Wave {each['wave']} " if each["wave"] else "",
            each["service"],
            " · ",
            each["status"],
        ]
        if each["golive_date"]:
            if each["days_live"]:
                parts.append(
                    f" · live {day(each['golive_date'])} (day {each['days_live']}) · "
                    f"{each['issues_since_golive']} issues, {each['per_day']}/day"
                )
            else:
                parts.append(f" · goes live {day(each['golive_date'])}")
        parts.append(f" · {each['open_urgent']} urgent open")
        if each["theme"]:
            parts.append(f" · theme: {each['theme']}")
        lines.append(line(("bold", "".join(parts[:2])), "".join(parts[2:])))
    return listed("Services side by side", lines, more=len(services) - limit)


def _themes(themes: list[JSON], heading: str, limit: int) -> list[Json]:
    return listed(
        heading,
        [
            line(
                f"{theme['category']} at {theme['service']}: {theme['count']} "
                f"({', '.join(theme['refs'])})"
            )
            for theme in themes[:limit]
        ],
        more=len(themes) - limit,
    )


def _oldest(lines: list[JSON], *, status: bool) -> list[Json]:
    shown = []
    for item in lines:
        state = f" · {IssueStatus(item['status']).label.lower()}" if status else ""
        shown.append(
            line(
                ("bold", item["ref"]),
                f" reported {day(item['reported_at'])}{state} · {item['owner'] or 'no owner'}: "
                f"{clip(item['description'], 90)}",
            )
        )
    return listed("Oldest unresolved", shown, empty="Nothing unresolved")


def issue_digest(payload: JSON, row: str | None) -> Json:
    facts, limit = payload["facts"], payload["limit"]
    name = "Go-live daily digest" if payload["job"] == Job.DAILY_DIGEST else "Weekly issue digest"
    period = period_text(payload["job"], payload["day"])
    text = (
        f"{name} for {period}: {plural(facts['new_total'], 'new issue')}, "
        f"{facts['urgent_open']['total']} urgent or safe-care open"
    )
    body: list[Json] = [
        cards.heading(f"{name} · {period}"),
        cards.words(
            f"Reported from {when(facts['start'])} to {when(facts['end'])} · "
            f"{plural(facts['open_total'], 'issue')} open now",
            subtle=True,
        ),
        *_issue_lines(facts, limit),
        *_urgent(facts, row),
    ]
    overdue = facts["overdue_corrections"]
    body += listed(
        f"Overdue correction actions ({overdue['total']})",
        [
            line(
                ("bold", item["ref"]),
                f" {clip(item['correction_action'], 100)}, due {day(item['correction_due'])} · "
                f"{item['owner'] or 'no owner'}",
            )
            for item in overdue["lines"]
        ],
        more=overdue["total"] - len(overdue["lines"]),
    )
    body += _themes(
        facts["themes"],
        f"Repeated themes ({payload['theme_min']}+ of one kind at one service in "
        f"{payload['theme_days']} days)",
        limit,
    )
    body += theme_buttons(facts["themes"], row)
    unsafe = facts["unsafe_workarounds"]
    body += listed(
        f"Open unsafe workarounds ({unsafe['total']})",
        [
            line(
                ("bold", item["ref"]),
                f" {item['service']}: "
                f"{clip(item['workaround_detail'] or item['description'], 110)}",
            )
            for item in unsafe["lines"]
        ],
        more=unsafe["total"] - len(unsafe["lines"]),
    )
    closed = facts["closed"]
    body.append(
        title(f"Closed: {closed['total']}" + (f" ({_refs(closed)})" if closed["total"] else ""))
    )
    for key, heading, warn in (
        ("closed_without_evidence", "Closed without evidence", True),
        ("awaiting_evidence", "Resolved, awaiting closure evidence", False),
    ):
        shown = facts[key]
        if not shown["total"]:
            continue
        body.append(cards.words(f"{heading}: {shown['total']}", attention=warn))
        body += [
            line(
                ("bold", item["ref"]),
                f" {clip(item['description'], 100)}"
                + ("" if warn else f" · {item['owner'] or 'no owner'}"),
            )
            for item in shown["lines"]
        ]
        body += hidden(shown["total"], len(shown["lines"]))
    body += _oldest(facts["oldest_open"], status=True)
    body += _services(payload["services"], limit)
    return cards.message(text, cards.card(body))


# ---------------------------------------------------------------------- the register


def _register(register: JSON, limit: int, row: str | None) -> list[Json]:
    counts = plural(register["open_total"], "open risk") + (
        f", {register['unscored']} not yet scored" if register["unscored"] else ""
    )
    heat = [
        {
            "type": "TextBlock",
            "text": f"{'Likelihood':<14}Impact",
            "fontType": "Monospace",
            "spacing": "None",
        },
        {
            "type": "TextBlock",
            "text": " " * 14 + "".join(f"{n:>3}" for n in range(1, 6)),
            "fontType": "Monospace",
            "spacing": "None",
        },
    ]
    for each in register["heat"]:
        label = f"{each['likelihood']} {each['label']}"[:13]
        cells = "".join(f"{count or '·':>3}" for count in each["cells"])
        heat.append(
            {
                "type": "TextBlock",
                "text": f"{label:<14}{cells}",
                "fontType": "Monospace",
                "spacing": "None",
            }
        )
    bands = []
    for band in BANDS:
        now, before = register["bands"][band.value], register["bands_before"][band.value]
        bands.append(f"{band.label} **{now}**" + (f" (was {before})" if now != before else ""))
    body: list[Json] = [
        title(f"Register at a glance ({counts})"),
        {"type": "Container", "items": heat},
        cards.words(" · ".join(bands)),
    ]
    high = register["high_risks"]
    lines: list[Json] = []
    for risk in high["lines"]:
        where = f" ({risk['service']})" if risk["service"] else ""
        overdue: list[Any] = [("warn", " (overdue)")] if risk["review_overdue"] else []
        lines.append(
            line(
                ("bold", f"{Band(risk['band']).label} {risk['ref']}"),
                f" {clip(risk['title'], 80)}{where} · score {risk['score']} · "
                f"{risk['owner'] or 'no owner'} · review {day(risk['review_date'])}",
                *overdue,
            )
        )
        for control in risk["controls"][:3]:
            due = f", due {day(control['due'])}" if control["due"] else ""
            late: list[Any] = [("warn", " (overdue)")] if control["overdue"] else []
            lines.append(
                line(
                    f"{clip(control['description'], 80)}: {str(control['status']).lower()}{due}",
                    *late,
                    indent=True,
                )
            )
        if len(risk["controls"]) > 3:
            lines.append(line(f"and {len(risk['controls']) - 3} more controls", indent=True))
        if not risk["controls"]:
            lines.append(line(("warn", "No controls recorded"), indent=True))
    body += listed(
        f"High and extreme risks ({high['total']})", lines, more=high["total"] - len(high["lines"])
    )
    body += buttons([show_button(risk["ref"], row) for risk in high["lines"]])
    tallies = " · ".join(
        f"{label} **{count}**" for label, count in register["control_counts"].items()
    )
    body += [
        title("Controls on open risks"),
        cards.words(f"{tallies} · Overdue **{register['overdue_controls']}**"),
    ]
    reviews = register["overdue_reviews"]
    if reviews["total"]:
        body.append(
            cards.words(
                f"Risk reviews overdue: {reviews['total']} ({_refs(reviews)})",
                attention=True,
            )
        )
    return body


def _rescores(rescores: list[JSON], limit: int) -> list[Json]:
    lines = []
    for due in rescores[:limit]:
        late: list[Any] = [("warn", " (overdue)")] if due["overdue"] else []
        lines.append(
            line(
                ("bold", due["risk_ref"]),
                f" {clip(due['risk_title'], 80)} ({due['band']}): {due['control_ref']} "
                f"{clip(due['control'], 60)} not working since {day(due['marked_at'])}; "
                f"rescore by {day(due['review_by'])}",
                *late,
            )
        )
    return listed(
        f"Controls found ineffective: risks to rescore ({len(rescores)})",
        lines,
        more=len(rescores) - limit,
    )


def _training(training: list[JSON], limit: int) -> list[Json]:
    return listed(
        "Training needs by service",
        [line(f"{each['service']}: {', '.join(each['needs'])}") for each in training[:limit]],
        more=len(training) - limit,
        empty="None logged",
    )


def _asks(register: JSON, limit: int, row: str | None) -> list[Json]:
    asks = register["asks"]
    body = listed(
        f"Decisions the board is asked to take ({asks['total']})",
        [
            line(
                ("bold", ask["ref"]), f" {clip(ask['reason'], 140)} · escalated {day(ask['since'])}"
            )
            for ask in asks["lines"]
        ],
        more=asks["total"] - len(asks["lines"]),
        empty="None waiting",
    )
    body += buttons([show_button(ask["ref"], row) for ask in asks["lines"]])
    decisions = register["decisions"]
    body += listed(
        f"Decisions taken ({len(decisions)})",
        [
            line(
                ("bold", each["ref"]),
                f" {each['kind']}: {clip(each['summary'], 110)} · {each['decided_by'] or 'board'}",
            )
            for each in decisions[:limit]
        ],
        more=len(decisions) - limit,
        empty="None recorded",
    )
    return body


def _changes(register: JSON, limit: int, since: str) -> list[Json]:
    def joined(shown: JSON) -> str:
        if not shown["total"]:
            return "none"
        extra = shown["total"] - limit
        return "; ".join(clip(each, 60) for each in shown["lines"]) + (
            f" and {extra} more" if extra > 0 else ""
        )

    rescored = register["rescored"]
    moved = "; ".join(
        f"{each['ref']} {each['old'] if each['old'] is not None else 'unscored'} → {each['new']} "
        f"({each['direction']})"
        for each in rescored[:limit]
    )
    if len(rescored) > limit:
        moved += f" and {len(rescored) - limit} more"
    return [
        title(f"Change since {since}"),
        line(("bold", "New risks: "), joined(register["new_risks"])),
        line(("bold", "Rescored: "), moved or "none"),
        line(("bold", "Closed or transferred: "), joined(register["closed_risks"])),
    ]


def _outcomes(outcomes: JSON) -> list[Json]:
    start, end = outcomes["unresolved_at_start"], outcomes["unresolved_at_end"]
    trend = " (falling)" if end < start else " (rising)" if end > start else ""
    evidence = outcomes["evidence"]
    shown = (
        "nothing put right yet"
        if evidence["percent"] is None
        else f"{evidence['percent']}% ({evidence['closed_with_evidence']} of "
        f"{evidence['put_right']})"
    )
    median = outcomes["median_resolve_hours"]
    lines = [
        f"Unresolved issues: {start} at the start of the month, {end} now{trend}",
        f"Closed with evidence: {shown}",
        "Median time to resolve: "
        + ("no issue resolved yet" if median is None else f"{round(median, 1)} hours"),
    ]
    for tally in outcomes["controls"]:
        lines.append(
            f"{tally['kind']}: {tally['complete']} complete · {tally['delayed']} delayed · "
            f"{tally['ineffective']} ineffective · "
            f"{tally['in_progress'] + tally['planned']} still open"
        )
    lines.append(f"Repeat themes: {outcomes['theme_count']}")
    audits = outcomes["audits"]
    falling = outcomes["residual_falling"]
    if falling is None:
        lines.append("Residual risk from follow-up audits: needs two audit results to show a trend")
    else:
        lines.append(
            "Residual risk from follow-up audits: "
            f"{'falling' if falling else 'not falling'} "
            f"({audits[-2]['residual']} → {audits[-1]['residual']})"
        )
    return [title("Outcomes"), *(line(each) for each in lines)]


def register_review(payload: JSON, row: str | None) -> Json:
    """The weekly board review, or the monthly post-implementation review."""
    monthly = payload["job"] == Job.MONTHLY_REVIEW
    register, issues, limit = payload["facts"], payload["issues"], payload["limit"]
    period = period_text(payload["job"], payload["day"])
    provider = f"{payload['provider']} · " if payload.get("provider") else ""
    if monthly:
        text = (
            f"Post-implementation review for {period}: "
            f"{plural(register['open_total'], 'open risk')}, {issues['open_total']} open issues"
        )
        head = [
            cards.heading(f"Post-implementation review · {period}"),
            cards.words(
                f"Monthly review after go-live, at {when(payload['now'])}: is the system "
                "improving care, and what still needs oversight?",
                subtle=True,
            ),
        ]
    else:
        text = (
            f"{provider}Weekly board review for {period}: "
            f"{plural(register['open_total'], 'open risk')}, {register['bands']['extreme']} "
            f"extreme, {register['bands']['high']} high"
        )
        head = [
            {**line(("bold", f"{provider}Weekly board review · {period}")), "spacing": "None"},
            cards.words(
                f"{Phase(payload['phase']).label} · the implementation risk register at "
                f"{when(payload['now'])}",
                subtle=True,
            ),
        ]
    body = head + _register(register, limit, row)
    if monthly:
        body += _outcomes(payload["outcomes"])
        body += listed(
            "Residual risks by register",
            [line(f"{label}: {count}") for label, count in register["by_register"].items()],
            empty="No open risks",
        )
        ineffective = register["ineffective"]
        body += listed(
            f"Controls found ineffective ({ineffective['total']})",
            [
                line(
                    ("bold", each["ref"]),
                    f" {clip(each['description'], 100)} · {each['owner'] or 'no owner'}",
                )
                for each in ineffective["lines"]
            ],
            more=ineffective["total"] - len(ineffective["lines"]),
        )
        rows = issues["new_by_category_service"]
        body += listed(
            f"Issues this month: {issues['new_total']} new · {issues['closed']['total']} closed · "
            f"{issues['open_total']} still open",
            [line(f"{each['label']}: {each['count']}") for each in rows[:limit]],
            more=len(rows) - limit,
            empty="No new issues",
        )
        for key, heading in (
            ("closed_without_evidence", "Closed without evidence"),
            ("awaiting_evidence", "Resolved, awaiting closure evidence"),
        ):
            if issues[key]["total"]:
                body.append(
                    cards.words(
                        f"{heading}: {_refs(issues[key])}",
                        attention=key == "closed_without_evidence",
                    )
                )
        body += _oldest(issues["oldest_open"], status=False)
    else:
        body += _rescores(payload["rescores"], limit)
        body += _services(payload["services"], limit)
        body += _training(payload["training"], limit)
        body += _themes(
            issues["themes"],
            f"Issue themes ({payload['theme_min']}+ of one kind at one service in "
            f"{payload['theme_days']} days)",
            limit,
        )
        body.append(
            cards.words(
                f"Issues this week: **{issues['new_total']}** new · "
                f"**{issues['closed']['total']}** closed · **{issues['open_total']}** open · "
                f"**{issues['urgent_open']['total']}** urgent or safe-care open"
            )
        )
    body += _asks(register, limit, row)
    body += _changes(register, limit, "last month" if monthly else "last week")
    return cards.message(text, cards.card(body))


# ---------------------------------------------------------------------- escalations


def escalation_manager(payload: JSON, row: str | None) -> Json:
    items = payload["items"]
    before = payload["before_escalation"]
    text = f"{plural(len(items), 'overdue item')} not acknowledged by their owners"
    lines = [
        line(
            ("bold", item["ref"]),
            f" {KIND_LABELS[ItemKind(item['kind'])]}: {clip(item['text'], 140)} · owner "
            f"{item['owner']} · due {day(item['due'])} · "
            f"{plural(item['count'], 'reminder')} unanswered",
        )
        for item in items
    ]
    body = [
        cards.heading(f"Escalated to you: {len(items)}"),
        cards.words(
            f"Their owners have had {plural(before, 'reminder')} or more and not answered. "
            "Please follow up.",
            subtle=True,
        ),
        *lines,
        *buttons([show_button(item["ref"], row) for item in items if item["kind"] != "control"]),
    ]
    return cards.message(text, cards.card(body))


def escalation_board(payload: JSON, row: str | None) -> Json:
    item = payload["item"]
    resolved = item["resolved"]
    text = ("Resolved: " if resolved else "Escalated to the board: ") + (
        f"{item['ref']} {clip(item['title'], 120)}"
    )
    where = f" · {item['service']}" if item["service"] else ""
    body: list[Json] = [
        cards.heading(f"{'Resolved' if resolved else 'Board escalation'} · {item['ref']}"),
        line(("bold", item["ref"]), f" {clip(item['title'], 200)}"),
        line(f"{item['state']} · owner {item['owner'] or 'no owner'}{where}"),
    ]
    if resolved:
        body.append(cards.words(f"Now {item['status']}; no board decision is waiting."))
    else:
        body.append(line(("bold", "Why the board sees this: "), item["reason"]))
    for control in item["controls"][:5]:
        late: list[Any] = [("warn", " (overdue)")] if control["overdue"] else []
        body.append(
            line(
                f"{clip(control['description'], 100)}: {str(control['status']).lower()}",
                *late,
                indent=True,
            )
        )
    if len(item["controls"]) > 5:
        body.append(line(f"and {len(item['controls']) - 5} more controls", indent=True))
    if not item["controls"] and not resolved:
        body.append(line(("warn", "No controls recorded"), indent=True))
    decided = (
        f" · {plural(item['decisions'], 'board decision')} recorded" if item["decisions"] else ""
    )
    body.append(
        cards.words(
            f"Escalated {when(item['escalated_at'])}{decided} · this post is updated as the "
            "item changes",
            subtle=True,
        )
    )
    actions = [] if resolved else [show_button(item["ref"], row)]
    return cards.message(text, cards.card(body, actions))


def escalation_control(payload: JSON, row: str | None) -> Json:
    control = payload["control"]
    text = f"Escalated to the board: {control['ref']} has slipped {control['days']} days"
    where = f" · {control['service']}" if control["service"] else ""
    risk = f" · on risk {control['risk_ref']}" if control["risk_ref"] else ""
    body = [
        cards.heading(f"Board escalation · {control['ref']}"),
        line(("bold", control["ref"]), f" {clip(control['description'], 200)}"),
        line(f"Delayed · owner {control['owner'] or 'no owner'}{where}{risk}"),
        line(
            ("bold", "Why the board sees this: "),
            f"first due {day(control['first_due'])}, now due {day(control['due'])}: "
            f"{control['days']} days later, past the {payload['threshold']}-day limit for a "
            "delayed control.",
        ),
        cards.words(
            f"Escalated {when(payload['now'])} · a control that keeps slipping leaves its risk "
            "uncontrolled",
            subtle=True,
        ),
    ]
    actions = [show_button(control["risk_ref"], row)] if control["risk_ref"] else []
    return cards.message(text, cards.card(body, actions))


# ---------------------------------------------------------------------- handover, commissioner


def handover(payload: JSON, row: str | None) -> Json:
    facts, limit = payload["facts"], payload["limit"]
    urgent, controls = facts["urgent"], facts["controls"]
    text = (
        f"Handover for {payload['service']} ({payload['shift']}): "
        f"{plural(len(urgent), 'urgent item')} open, "
        f"{plural(len(controls), 'immediate control')} in force"
    )
    body = [
        {**line(("bold", f"Shift handover · {payload['service']}")), "spacing": "None"},
        cards.words(f"Start of the {payload['shift']} · {when(payload['at'])}", subtle=True),
        *listed(
            f"Urgent items open ({len(urgent)})",
            [
                line(
                    ("bold", item["ref"]),
                    f" {item['category']}: {clip(item['description'], 140)} · {item['why']} · "
                    f"{IssueStatus(item['status']).label.lower()} · "
                    f"{item['owner'] or 'no owner yet'}",
                )
                for item in urgent[:limit]
            ],
            more=len(urgent) - limit,
        ),
        *buttons([show_button(item["ref"], row) for item in urgent[:limit]]),
    ]
    lines = []
    for control in controls[:limit]:
        review = f" · review {day(control['review'])}" if control["review"] else ""
        late: list[Any] = [("warn", " (overdue)")] if control["overdue"] else []
        lines.append(
            line(
                f"{clip(control['description'], 160)} · for ",
                ("bold", control["issue_ref"]),
                f" · {control['owner'] or 'no owner'}{review}",
                *late,
            )
        )
    body += listed(
        f"Immediate controls to keep up this shift ({len(controls)})",
        lines,
        more=len(controls) - limit,
        empty="None in force",
    )
    return cards.message(text, cards.card(body))


def commissioner(payload: JSON, row: str | None) -> Json:
    """Counts and references only, as the facts are: no names, no free text."""
    facts, limit = payload["facts"], payload["limit"]
    period = date_of(payload["month"]).strftime("%B %Y")
    text = (
        f"Go-live summary for commissioners, {period} ({facts['period_text']}): "
        f"{plural(facts['reported'], 'issue')} reported, {len(facts['high_risks'])} high or "
        "extreme risks open at the month's end"
    )
    median = facts["median_resolve_hours"]
    body: list[Json] = [
        cards.heading(f"Go-live summary for commissioners · {period}"),
        cards.words(
            f"Counts and references only: no names, no free text · {facts['period_text']} · "
            "open counts are as at the end of the month",
            subtle=True,
        ),
        title(
            f"Issues reported: {facts['reported']} · resolved in the month, whenever reported: "
            f"{facts['resolved']} · open at the month's end: {facts['open_issues']}"
        ),
        cards.words(
            "Median time to resolve: "
            + ("none resolved this month" if median is None else f"{median} hours")
        ),
        *listed(
            "By category",
            [line(f"{label}: {count}") for label, count in facts["by_category"]],
            empty="None reported",
        ),
        *listed(
            "By service",
            [line(f"{name}: {count}") for name, count in facts["by_service"][:limit]],
            more=len(facts["by_service"]) - limit,
            empty="None reported",
        ),
    ]
    risks = facts["high_risks"]
    body += listed(
        f"High and extreme risks open at the month's end ({len(risks)})",
        [
            line(
                ("bold", risk["ref"]),
                f" {risk['band']} ({risk['score']}) · {risk['category']} · {risk['service']}",
            )
            for risk in risks[:limit]
        ],
        more=len(risks) - limit,
    )
    care = facts["care_issues"]
    states = "".join(
        f" · {status} at the month's end {count}" for status, count in facts["care_by_status"]
    )
    body += listed(
        f"Issues affecting care in the month ({len(care)}){states}",
        [
            line(
                ("bold", issue["ref"]),
                f" {issue['impact']} · {issue['status']} · {issue['category']} · "
                f"{issue['service']}",
            )
            for issue in care[:limit]
        ],
        more=len(care) - limit,
    )
    return cards.message(text, cards.card(body))


WORDS: dict[str, Words] = {
    ScheduledNotice.ISSUE_DIGEST: issue_digest,
    ScheduledNotice.BOARD_REVIEW: register_review,
    ScheduledNotice.MONTHLY_REVIEW: register_review,
    ScheduledNotice.ESCALATION_MANAGER: escalation_manager,
    ScheduledNotice.ESCALATION_BOARD: escalation_board,
    ScheduledNotice.ESCALATION_CONTROL: escalation_control,
    ScheduledNotice.HANDOVER: handover,
    ScheduledNotice.COMMISSIONER: commissioner,
}
"""Every scheduled notice but the reminder, whose card carries its answers
(teams/reminders.py)."""


def _renderer(words: Words) -> Callable[[Session, OutboxMessage], Json]:
    def render_row(session: Session, message: OutboxMessage) -> Json:
        return words(payload_of(message), message.key)

    return render_row


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Json]] = {
    notice: _renderer(words) for notice, words in WORDS.items()
}
