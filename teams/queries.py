"""``mine`` and ``issue GL-0042`` typed to golive in Teams: the same words and the same
answers as ``/golive mine`` and ``/golive issue`` on Slack, as cards in the chat they were
typed in."""

from typing import Any

from sqlmodel import Session

from store.records import controls, issues
from store.records.models import Issue, Person
from store.records.permissions import Action, allowed
from teams import cards
from teams.face import Command, Face, sender_of
from teams.issue_cards import detail_blocks, owner_choices, triage_card

Json = dict[str, Any]
LIST_LIMIT = 15


def _lines(found: list[Issue], names: dict[int, str]) -> list[Json]:
    shown = [
        cards.typed(
            f"{issue.ref} · {issue.category.label} · {names.get(issue.service_id, '')} · "
            f"{issue.status.label}: {issue.description[:150]}"
        )
        for issue in found[:LIST_LIMIT]
    ]
    if len(found) > LIST_LIMIT:
        shown.append(cards.words(f"…and {len(found) - LIST_LIMIT} more", subtle=True))
    return shown or [cards.words("None.", subtle=True)]


def mine(face: Face, activity: Json) -> Json:
    def read(session: Session) -> Json:
        me: Person = sender_of(session, activity, face=face)
        owned = issues.list_issues(
            session, filters=issues.IssueFilter(owner_id=me.id, open_only=True), limit=50
        )
        reported = issues.list_issues(
            session, filters=issues.IssueFilter(reporter_id=me.id, open_only=True), limit=50
        )
        names = issues.service_names_of(session, [*owned, *reported])
        mine_controls = controls.controls_owned_by(session, me)
        body = [
            cards.heading("Your open go-live items"),
            cards.words("**Issues you own**"),
            *_lines(owned, names),
            cards.words("**Issues you reported that are still open**"),
            *_lines(reported, names),
        ]
        if mine_controls:
            body.append(cards.words("**Controls you own**"))
            for control in mine_controls[:10]:
                due = control.due_date.isoformat() if control.due_date else "no date"
                body.append(
                    cards.typed(
                        f"{control.ref} {control.description[:200]} "
                        f"({control.status.label.lower()}, due {due})"
                    )
                )
        total = len(owned) + len(reported) + len(mine_controls)
        return cards.message(f"You have {total} open go-live items", cards.card(body))

    return face.run(read)


def issue(face: Face, activity: Json, ref: str) -> Json:
    """One issue; with its triage actions for someone who may triage it."""
    if not ref:
        return cards.message(
            "Which issue?", cards.card([cards.words("Which issue? For example: issue GL-0042")])
        )

    def read(session: Session) -> Json:
        viewer = sender_of(session, activity, face=face)
        facts = issues.issue_view(session, ref)
        if allowed(session, viewer, Action.TRIAGE_ISSUE, service_id=facts.issue.service_id):
            content = triage_card(facts, owner_choices(session))
        else:
            content = cards.card(detail_blocks(facts))
        return cards.message(f"{facts.ref}: {facts.issue.description[:200]}", content)

    return face.run(read)


COMMANDS = {
    "mine": Command(
        lambda face, activity, rest: mine(face, activity), "mine", "your open issues and controls"
    ),
    "issue": Command(issue, "issue GL-0042", "one issue, with its actions"),
}


def issue_lines(found: list[Issue], names: dict[int, str]) -> list[Json]:
    """Issues one line each, capped as ``mine`` caps them, for any Teams list of issues."""
    return _lines(found, names)
