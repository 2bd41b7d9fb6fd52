"""The project at a glance in Teams: ``phase`` (see it, or the project lead sets it),
``status`` (issue counts) and ``list`` (issues, filtered), typed to the bot with the words of
Slack's ``/golive phase``, ``/golive status`` and ``/golive list``, each the same store call
and answered as a card."""

from typing import Any

from sqlmodel import Session

from store.infra.errors import NotFound, ValidationError
from store.records import issues, people, phases
from store.records.enums import IssueCategory, IssueStatus, Phase
from store.records.issue_filters import FILTER_WORDS, FilterNotUnderstood, parse_issue_filters
from teams import cards
from teams.face import Command, Face, sender_of
from teams.issue_cards import when
from teams.ops_commands import comparison_blocks
from teams.queries import LIST_LIMIT, issue_lines

Json = dict[str, Any]
PHASE_WORDS = ", ".join(p.value.replace("_", "-") for p in Phase)
PHASE_USAGE = "phase [pre-go-live | go-live | stabilisation | post-implementation]"
LIST_USAGE = f"list {FILTER_WORDS}"
HISTORY_SHOWN = 10


def set_phase(face: Face, activity: Json, words: list[str]) -> Json:
    """The project lead moves the project on; the store checks the role, records who and
    when, and owes the board channel its announcement."""
    try:
        phase = Phase.parse(words[0])
    except ValueError as error:
        raise ValidationError(str(error)) from None
    note = " ".join(words[1:]) or None
    face.run(
        lambda session: phases.set_phase(
            session,
            actor=sender_of(session, activity, face=face),
            phase=phase,
            note=note,
            now=face.clock.now(),
        )
    )
    text = f"The project is now in **{phase.label.lower()}**; the board channel is told."
    return cards.message(text.replace("**", ""), cards.card([cards.words(text)]))


def show_phase(face: Face, activity: Json) -> Json:
    def read(session: Session) -> Json:
        sender_of(session, activity, face=face)
        history = phases.history(session)
        if not history:
            text = (
                f"The project is in **{phases.DEFAULT_PHASE.label.lower()}** (not set yet). "
                f"Set it with phase PHASE: {PHASE_WORDS}."
            )
            return cards.message(text.replace("**", ""), cards.card([cards.words(text)]))
        names = people.by_ids(session, ids={c.set_by_id for c in history})
        headline = f"The project is in **{history[-1].phase.label.lower()}**."
        body = [cards.words(headline)]
        for change in history[-HISTORY_SHOWN:]:
            who = names[change.set_by_id].name if change.set_by_id in names else "golive"
            body.append(cards.typed(f"• {change.phase.label}, set by {who}"))
            body.append(cards.words(when(change.set_at), subtle=True))
        return cards.message(headline.replace("**", ""), cards.card(body))

    return face.run(read)


def phase(face: Face, activity: Json, rest: str) -> Json:
    words = rest.split()
    return set_phase(face, activity, words) if words else show_phase(face, activity)


def status(face: Face, activity: Json, rest: str) -> Json:
    """Issue counts by status, the open ones by category and by service, and the services
    side by side, as Slack's ``/golive status`` shows them."""

    def read(session: Session) -> Json:
        sender_of(session, activity, face=face)
        by_status = issues.count_by(session, "status")
        by_category = issues.count_by(session, "category", open_only=True)
        by_service = issues.count_by(session, "service_id", open_only=True)
        names = {s.id: s.name for s in people.list_services(session) if s.id is not None}
        services = [
            (names.get(int(key), key), str(count))
            for key, count in sorted(by_service.items(), key=lambda kv: -kv[1])
            if key.isdigit()
        ]
        categories = [
            (c.label, str(by_category[c.value])) for c in IssueCategory if c.value in by_category
        ]
        body = [
            cards.heading("Go-live issues"),
            cards.words(f"{sum(by_status.values())} reported in all. **By status**"),
            cards.facts([(s.label, str(by_status.get(s.value, 0))) for s in IssueStatus]),
            cards.words("**Open, by category**"),
            cards.facts(categories) if categories else cards.words("None open.", subtle=True),
            cards.words("**Open, by service**"),
            cards.facts(services[:40]) if services else cards.words("None open.", subtle=True),
            cards.words("**Services side by side**"),
            *comparison_blocks(session, face),
        ]
        return cards.message("Go-live issue counts", cards.card(body))

    return face.run(read)


def filters_of(session: Session, words: list[str], me_id: int | None) -> issues.IssueFilter:
    """The store's reading of the filters, its refusal with Teams' usage line."""
    try:
        return parse_issue_filters(session, words, me_id=me_id)
    except FilterNotUnderstood as error:
        if error.word is not None:
            raise NotFound(f"I don't understand '{error.word[:60]}'. Try: {LIST_USAGE}") from None
        raise NotFound(
            f"There is no '{(error.name or '')[:40]}' filter. Try: {LIST_USAGE}"
        ) from None


def list_issues(face: Face, activity: Json, rest: str) -> Json:
    def read(session: Session) -> Json:
        me = sender_of(session, activity, face=face)
        filters = filters_of(session, rest.split(), me.id)
        found = issues.list_issues(session, filters=filters, limit=LIST_LIMIT + 1)
        if not found:
            return cards.message(
                "No issues match.", cards.card([cards.words("No issues match those filters.")])
            )
        count = f"{min(len(found), LIST_LIMIT)}{'+' if len(found) > LIST_LIMIT else ''}"
        body = [
            cards.words(f"**{count} issues**, newest first"),
            *issue_lines(found, issues.service_names_of(session, found)),
            cards.words("See one with issue GL-0042.", subtle=True),
        ]
        return cards.message(f"{count} issues", cards.card(body))

    return face.run(read)


COMMANDS = {
    "phase": Command(phase, PHASE_USAGE, "see or set the project phase (the project lead)"),
    "status": Command(status, "status", "issue counts by status, category and service"),
    "list": Command(list_issues, LIST_USAGE, "issues, filtered"),
}
