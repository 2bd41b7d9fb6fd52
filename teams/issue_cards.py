"""Go-live issues in Teams: the report dialog, the welcome card, the triage card and the
messages around an issue, as Adaptive Cards. The renderers (``RENDERERS``) read the issue as
it is *now*, as Slack's do, so a delayed or retried message never shows stale facts."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from store.records import issues as store_issues
from store.records import people
from store.records.enums import (
    OPEN_ISSUE_STATUSES,
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Urgency,
    Workaround,
)
from store.records.issues import IssueView
from store.records.models import OutboxMessage
from store.records.outbox import Notice, payload_of
from store.records.report_form import ReportField
from teams import cards
from teams.cards import Json

REPORT = "report"
"""What a report dialog's data and the welcome card's button carry, so golive knows them."""
REPORT_TITLE = "Report a go-live issue"
PEOPLE_SHOWN = 100
"""Most people an owner picker lists (the card must stay under Teams' 28 KB)."""


class Verb:
    """The triage card's Universal Actions (the verbs of ``Action.Execute``)."""

    ASSIGN = "triage_assign"
    URGENCY = "triage_urgency"
    CONTROL = "triage_control"
    CORRECTION = "triage_correction"
    SUPPLIER = "triage_supplier"
    RESOLVE = "triage_resolve"
    CLOSE = "triage_close"
    REOPEN = "triage_reopen"


def when(moment: datetime | None) -> str:
    """A time each reader sees in their own zone and language (Adaptive Cards' functions)."""
    if moment is None:
        return "-"
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} at {{{{TIME({stamp})}}}}"


def _labels(kind: type[Any]) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in kind]


# ---------------------------------------------------------------------- reporting


def welcome_card() -> Json:
    return cards.card(
        [
            cards.heading("golive keeps your go-live safe"),
            cards.words(
                "Tell golive about anything going wrong with the new care system: it goes to "
                "the triage team at once, and you'll hear what happens next. Type **report** "
                "here at any time, or use *Report go-live issue* on any message."
            ),
        ],
        [cards.dialog_button(REPORT_TITLE, {"golive": REPORT})],
    )


def report_card(
    services: list[tuple[int, str]],
    *,
    default_service_id: int | None,
    description: str = "",
    source: IssueSource = IssueSource.SLASH_COMMAND,
    permalink: str | None = None,
    nonce: str,
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    """The report dialog: the Slack modal's six questions, the usual answers pre-chosen, and
    the answers given so far kept when it comes back with errors."""
    if not services:
        return cards.card(
            [
                cards.words(
                    "No services are set up in golive yet, so there is nowhere to file the "
                    "report. Ask your golive admin to add your service, then try again."
                )
            ]
        )
    given = answers or {}
    F = ReportField

    def answer(field: str, default: str | None) -> str | None:
        value = given.get(field)
        return str(value) if isinstance(value, str | int) and str(value) != "" else default

    head: list[Json] = []
    if permalink:
        head.append(cards.words(f"From [this message]({permalink})", subtle=True))
    elif source == IssueSource.MESSAGE_SHORTCUT:
        head.append(cards.words("From a message (Teams could not give its link).", subtle=True))
    default_service = str(default_service_id) if default_service_id is not None else None
    inputs = [
        cards.choice_input(
            F.SERVICE,
            "Service",
            [(str(sid), name) for sid, name in services],
            value=answer(F.SERVICE, default_service),
        ),
        cards.choice_input(
            F.CATEGORY,
            "What kind of problem?",
            _labels(IssueCategory),
            value=answer(F.CATEGORY, None),
        ),
        cards.text_input(
            F.DESCRIPTION,
            "What happened?",
            value=answer(F.DESCRIPTION, description) or "",
            placeholder="What you were doing, what went wrong, who or what it affects",
            required=True,
        ),
        cards.words(
            "Leave out names of the people you support; use initials or a room number.",
            subtle=True,
        ),
        cards.choice_input(
            F.IMPACT,
            "Impact on care",
            _labels(Impact),
            value=answer(F.IMPACT, Impact.NONE),
            expanded=True,
        ),
        cards.choice_input(
            F.URGENCY,
            "How urgent?",
            _labels(Urgency),
            value=answer(F.URGENCY, Urgency.MEDIUM),
            expanded=True,
        ),
        cards.choice_input(
            F.WORKAROUND,
            "Is there a workaround?",
            _labels(Workaround),
            value=answer(F.WORKAROUND, Workaround.NONE),
            expanded=True,
        ),
        cards.text_input(
            F.WORKAROUND_DETAIL,
            "The workaround (needed if it is unsafe)",
            value=answer(F.WORKAROUND_DETAIL, "") or "",
            placeholder="What staff are doing instead",
        ),
    ]
    data = {"golive": REPORT, "nonce": nonce, "source": source.value, "permalink": permalink}
    return cards.card(
        head + cards.with_errors(inputs, errors or {}), [cards.submit("Send report", data)]
    )


# ---------------------------------------------------------------------- the issue, shown


def headline(facts: IssueView) -> str:
    issue = facts.issue
    service = facts.service.name if facts.service else "unknown service"
    return f"{issue.ref} · {issue.category.label} · {service} · {issue.status.label}"


def source_words(source: IssueSource) -> str:
    """How the report came in, in Teams' words."""
    return {
        IssueSource.SLASH_COMMAND: "golive",
        IssueSource.MESSAGE_SHORTCUT: "a message",
    }.get(source, source.label.lower())


def detail_blocks(facts: IssueView) -> list[Json]:
    issue = facts.issue
    owner = facts.owner.name if facts.owner else "nobody yet"
    body: list[Json] = [
        {
            "type": "TextBlock",
            "text": headline(facts),
            "weight": "Bolder",
            "wrap": True,
            "color": "Attention" if store_issues.needs_alert(issue) else "Default",
        },
        cards.typed(issue.description),
        cards.facts(
            [
                ("Urgency", issue.urgency.label),
                ("Impact", issue.impact.label),
                ("Workaround", issue.workaround.label),
                ("Owner", owner),
            ]
        ),
    ]
    if issue.workaround_detail:
        body.append(cards.typed(issue.workaround_detail, label="Workaround"))
    for control in facts.controls[:5]:
        who = facts.control_owners.get(control.owner_id) if control.owner_id else None
        status = control.status.label.lower() + (f", {who.name}" if who else "")
        body.append(cards.typed(f"{control.description} ({status})", label="Immediate control"))
    if len(facts.controls) > 5:
        body.append(cards.words(f"…and {len(facts.controls) - 5} more controls", subtle=True))
    if issue.correction_action:
        due = f" (target {issue.correction_due:%a %d %b %Y})" if issue.correction_due else ""
        body.append(cards.typed(issue.correction_action, label=f"Correction action{due}"))
    if issue.closure_evidence:
        body.append(cards.typed(issue.closure_evidence, label="Closure evidence"))
    reporter = facts.reporter.name if facts.reporter else "someone"
    origin = f"Reported by {reporter} {when(issue.reported_at)} via {source_words(issue.source)}"
    if issue.source_permalink:
        origin += f" · [original message]({issue.source_permalink})"
    body.append(cards.words(origin, subtle=True))
    return body


def triage_actions(facts: IssueView, people_shown: list[tuple[int, str]]) -> list[Json]:
    """The actions that make sense for the issue's status (the store checks every one)."""
    issue = facts.issue
    data = {"ref": issue.ref}
    actions: list[Json] = []
    if issue.status in OPEN_ISSUE_STATUSES:
        owners = [(str(pid), name) for pid, name in people_shown]
        actions += [
            cards.show_card(
                "Assign owner",
                [cards.choice_input("owner", "Owner", owners)],
                [cards.execute("Assign", Verb.ASSIGN, data)],
            ),
            cards.show_card(
                "Set urgency",
                [cards.choice_input("urgency", "Urgency", _labels(Urgency), value=issue.urgency)],
                [cards.execute("Set urgency", Verb.URGENCY, data)],
            ),
            cards.show_card(
                "Immediate control",
                [
                    cards.text_input(
                        "control",
                        "What is in place now to keep care safe?",
                        placeholder="Manual checks, paper MAR, extra supervision",
                        required=True,
                        limit=1000,
                    ),
                    cards.choice_input(
                        "control_owner", "Who owns it (optional)", owners, required=False
                    ),
                    cards.date_input("control_due", "Review by (optional)"),
                ],
                [cards.execute("Save control", Verb.CONTROL, data)],
            ),
            cards.show_card(
                "Correction action",
                [
                    cards.text_input(
                        "correction_action",
                        "What will put it right?",
                        value=issue.correction_action or "",
                        required=True,
                    ),
                    cards.date_input("correction_due", "Target date (optional)"),
                ],
                [cards.execute("Save correction", Verb.CORRECTION, data)],
            ),
        ]
        if IssueStatus.AWAITING_SUPPLIER in store_issues.TRANSITIONS[issue.status]:
            actions.append(
                cards.show_card(
                    "Awaiting supplier",
                    [cards.text_input("note", "Note for the team (optional)")],
                    [cards.execute("Mark awaiting supplier", Verb.SUPPLIER, data)],
                )
            )
        actions.append(cards.execute("Resolve", Verb.RESOLVE, data, style="positive"))
    if issue.status == IssueStatus.RESOLVED:
        actions.append(
            cards.show_card(
                "Close with evidence",
                [
                    cards.text_input(
                        "closure_evidence",
                        "What shows the fix worked in practice?",
                        required=True,
                    )
                ],
                [cards.execute("Close", Verb.CLOSE, data, style="positive")],
            )
        )
    if issue.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
        actions.append(
            cards.show_card(
                "Reopen",
                [cards.text_input("reason", "Why reopen it?", required=True, limit=1000)],
                [cards.execute("Reopen", Verb.REOPEN, data, style="destructive")],
            )
        )
    return actions


def triage_card(
    facts: IssueView, people_shown: list[tuple[int, str]], *, problem: str | None = None
) -> Json:
    """The issue as the triage channel sees it, with the actions its status allows; a
    refusal or error from the last action goes on top, for the person who clicked."""
    body = detail_blocks(facts)
    if problem:
        body.insert(0, cards.words(problem, attention=True))
    return cards.card(body, triage_actions(facts, people_shown))


def owner_choices(session: Session) -> list[tuple[int, str]]:
    """The people an issue can be given to, by name (golive's people, as on Slack)."""
    return [
        (person.id, person.name)
        for person in people.list_people(session)[:PEOPLE_SHOWN]
        if person.id is not None
    ]


# ---------------------------------------------------------------------- notice renderers


def render_triage(session: Session, message: OutboxMessage) -> Json:
    facts = store_issues.issue_view(session, message.subject or "")
    text = f"{headline(facts)}: {facts.issue.description[:300]}"
    return cards.message(text, triage_card(facts, owner_choices(session)))


def render_confirmation(session: Session, message: OutboxMessage) -> Json:
    facts = store_issues.issue_view(session, message.subject or "")
    alerted = store_issues.why_alert(facts.issue)
    next_steps = (
        "A team leader or registered manager will look at it in the triage channel, give it an "
        "owner and agree what happens next. You'll get a message here if you're asked to do "
        "anything."
    )
    if alerted:
        next_steps = (
            f"Because {' and '.join(alerted)}, the registered manager and the project lead "
            "have been messaged straight away. " + next_steps
        )
    text = f"Thanks, your report is in: {facts.ref}."
    body = [cards.heading(text), cards.words(next_steps), cards.typed(facts.issue.description)]
    return cards.message(text, cards.card(body))


def render_alert(session: Session, message: OutboxMessage) -> Json:
    facts = store_issues.issue_view(session, message.subject or "")
    reasons = store_issues.why_alert(facts.issue) or ["its urgency was raised"]
    intro = (
        f"{facts.ref} needs your attention now: {' and '.join(reasons)}. "
        "Check care is safe and record an immediate control."
    )
    body = [cards.heading(intro), *detail_blocks(facts)]
    return cards.message(f"Go-live issue {facts.ref} needs your attention now", cards.card(body))


def render_change(session: Session, message: OutboxMessage) -> Json:
    data = payload_of(message)
    line = f"{data.get('actor', 'Someone')} {data.get('summary', 'changed it')}"
    return cards.message(line, cards.card([cards.typed(line)]))


def render_assigned(session: Session, message: OutboxMessage) -> Json:
    facts = store_issues.issue_view(session, message.subject or "")
    actor = payload_of(message).get("actor", "Someone")
    intro = f"{actor} made you the owner of {facts.ref}."
    body = [cards.heading(intro), *detail_blocks(facts)]
    return cards.message(f"You are now the owner of {facts.ref}", cards.card(body))


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Json]] = {
    Notice.ISSUE_TRIAGE: render_triage,
    Notice.ISSUE_CONFIRMATION: render_confirmation,
    Notice.ISSUE_ALERT: render_alert,
    Notice.ISSUE_CHANGE: render_change,
    Notice.ISSUE_ASSIGNED: render_assigned,
}
