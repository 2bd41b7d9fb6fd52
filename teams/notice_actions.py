"""The buttons on the notice cards (digests, reviews, escalations, handovers): *Show GL-0042*
answers with the issue's card in place (with its triage actions for someone allowed to triage
it, as ``issue GL-0042`` does), *Show R-001* with the risk's card for someone who may read the
register; *Back* draws the notice the button was on again, from its row's frozen facts. A
digest's repeated theme can be raised as a risk or logged as a training need, as on Slack."""

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from store.infra.errors import DomainError, NotFound
from store.records import inbound, issues, outbox, risks, training
from store.records.models import Person, Risk, TrainingNeed
from store.records.permissions import Action as Permission
from store.records.permissions import allowed
from teams import cards
from teams.face import Action, Face, sender_of
from teams.issue_cards import detail_blocks, owner_choices, triage_card
from teams.notices import RENDERERS
from teams.risk_cards import risk_blocks
from teams.wording import Json, Verb, action_data

R = TypeVar("R", Risk, TrainingNeed)


def _row(data: Json) -> str | None:
    row = data.get("row")
    return row if isinstance(row, str) and row else None


def _back(row: str | None) -> list[Json]:
    return [] if row is None else [cards.execute("Back", Verb.BACK, {"row": row})]


def _issue_card(session: Session, viewer: Person, ref: str, row: str | None) -> Json:
    facts = issues.issue_view(session, ref)
    if allowed(session, viewer, Permission.TRIAGE_ISSUE, service_id=facts.issue.service_id):
        card = triage_card(facts, owner_choices(session))
        card["actions"] = [*card.get("actions", []), *_back(row)]
        return card
    return cards.card(detail_blocks(facts), _back(row))


def _risk_card(session: Session, viewer: Person, ref: str, row: str | None, face: Face) -> Json:
    risks.require_reader(session, actor=viewer)
    risk = risks.get_risk(session, ref)
    today = face.clock.now().astimezone(face.settings.zone).date()
    return cards.card(risk_blocks(session, risk, today=today), _back(row))


def show(face: Face, activity: Json) -> Json:
    """The issue or risk a notice names, as it is now, in place of the notice."""
    data = action_data(activity)
    ref = str(data.get("ref") or "").strip().upper()
    row = _row(data)

    def read(session: Session) -> Json:
        viewer = sender_of(session, activity, face=face)
        if ref.startswith("GL-"):
            return _issue_card(session, viewer, ref, row)
        if ref.startswith("R-"):
            return _risk_card(session, viewer, ref, row, face)
        raise NotFound(f"golive cannot show '{ref}' here")

    try:
        return cards.refreshed(face.run(read))
    except DomainError as error:
        return cards.refreshed(cards.card([cards.words(str(error), attention=True)], _back(row)))


def _notice(session: Session, row: str | None) -> Json:
    """The card of the notice the row names, as its facts say it."""
    if row is None:
        raise NotFound("golive does not know which message to go back to")
    message = outbox.by_key(session, row)
    render = None if message is None else RENDERERS.get(message.notice)
    if message is None or render is None:
        raise NotFound("golive cannot show that message in Teams")
    content = (render(session, message).get("attachments") or [{}])[0].get("content")
    if not isinstance(content, dict):
        raise NotFound("golive cannot show that message in Teams")
    return content


def back(face: Face, activity: Json) -> Json:
    """The notice again, as its row says it."""
    row = _row(action_data(activity))
    try:
        return cards.refreshed(face.read(lambda session: _notice(session, row)))
    except DomainError as error:
        return cards.refreshed(cards.card([cards.words(str(error), attention=True)]))


def raised_words(risk: Risk, refs: str) -> str:
    return (
        f"Raised {risk.ref} {risk.title[:200]}, linked to {refs.replace(',', ', ')[:400]}. "
        "The quality lead scores it next."
    )


def logged_words(need: TrainingNeed, refs: str) -> str:
    return (
        f"Logged training need {need.ref}: {need.topic.label.lower()} for "
        f"{need.role.label.lower()}; it shows in the weekly board review until it is met."
    )


def _on_theme(record: Callable[..., R], said: Callable[[R, str], str]) -> Action:
    """A theme button on a digest: the store ``record``s what the theme's issues show, in the
    clicker's name (once, however often Teams resends the click), and the digest comes back
    with what was done, or why not, on top."""

    def clicked(face: Face, activity: Json) -> Json:
        data = action_data(activity)
        refs, row = str(data.get("refs") or ""), _row(data)
        now = face.clock.now()

        def work(session: Session) -> str:
            actor = sender_of(session, activity, face=face)
            if activity.get("id") and not inbound.claim(
                session, key=f"teams:action:{str(activity['id'])[:150]}", now=now
            ):
                return "golive already took this click in."
            return said(record(session, actor=actor, refs=refs, now=now), refs)

        try:
            note, warn = face.run(work), False
        except DomainError as error:
            note, warn = str(error), True
        content: Json
        try:
            content = face.read(lambda session: _notice(session, row))
        except DomainError:
            content = cards.card([])
        content["body"] = [cards.words(note, attention=warn), *content.get("body", [])]
        return cards.refreshed(content)

    return clicked


ACTIONS: dict[str, Action] = {
    Verb.SHOW: show,
    Verb.BACK: back,
    Verb.RAISE_THEME: _on_theme(training.raise_theme_as_risk, raised_words),
    Verb.TRAINING_NEED: _on_theme(training.log_training_need, logged_words),
}
