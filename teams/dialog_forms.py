"""What every register dialog does on submit: read the answers with the form's chat-neutral
reader (store/records/register_forms.py), make the one store change, and either close with
what was done or come back with each error beside its input. A submit Teams sends again (it
got no answer in time) is taken once and answered with what the first one did."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from store.infra.errors import DomainError, ValidationError
from store.records import inbound, people
from store.records.fields import FieldReader, FormResult, Invalid
from store.records.models import Person
from teams import cards
from teams.face import Face, Json, sender_of

T = TypeVar("T")
Again = Callable[[Session, dict[str, str]], Json]
"""The dialog's card again, with the answers kept and ``{field: message}`` beside them."""


def data_of(activity: Json) -> Json:
    data = (activity.get("value") or {}).get("data")
    return data if isinstance(data, dict) else {}


def action_data(activity: Json) -> Json:
    """The data of the Universal Action clicked."""
    action = (activity.get("value") or {}).get("action")
    data = action.get("data") if isinstance(action, dict) else None
    return data if isinstance(data, dict) else {}


def picked(form: FieldReader, field: str, *, label: str, required: bool = False) -> int | None:
    """A golive person chosen from a dialog's list, by id; unanswered is nobody, unless one
    is ``required``."""
    raw = str(form.values.get(field) or "").strip()
    if not raw:
        if required:
            form.errors[field] = f"Choose {label.lower()}"
        return None
    if not raw.isdigit():
        form.errors[field] = f"Choose {label.lower()} from the list"
        return None
    return int(raw)


def person_picked(session: Session, person_id: int | None, *, field: str) -> Person | None:
    """The person a dialog's list named, who must still be one golive knows."""
    if person_id is None:
        return None
    person = people.person_by_id(session, person_id=person_id)
    if person is None:
        raise ValidationError("Choose the person from the list", field=field)
    return person


def refusal(title: str, words: str) -> Json:
    """A dialog showing why golive could not go on, in the store's words."""
    return cards.dialog(title, cards.card([cards.words(words, attention=True)]))


def submit(
    face: Face,
    activity: Json,
    *,
    title: str,
    fields: set[str],
    read: Callable[[FieldReader], FormResult[T]],
    again: Again,
    write: Callable[[Session, Person, T], str],
) -> Json:
    """``write`` makes the change in one transaction and says what it did; that sentence
    closes the dialog (and answers a resent submit)."""
    answers = answers_of(activity, fields)

    def back(errors: dict[str, str]) -> Json:
        return cards.dialog(title, face.read(lambda session: again(session, errors)))

    result = read(FieldReader(answers))
    if isinstance(result, Invalid):
        return back(result.errors)
    typed = result.value
    key = f"teams:dialog:{str(activity.get('id') or '')[:150]}"
    now = face.clock.now()

    def once(session: Session) -> str:
        actor = sender_of(session, activity, face=face)
        if activity.get("id") and not inbound.claim(session, key=key, now=now):
            return inbound.result_of(session, key=key) or "golive already has this."
        said = write(session, actor, typed)
        if activity.get("id"):
            inbound.remember_result(session, key=key, result=said)
        return said

    try:
        said = face.run(once)
    except ValidationError as error:
        if error.field in fields:
            return back({str(error.field): str(error)})
        return refusal(title, str(error))
    except DomainError as error:
        return refusal(title, str(error))
    return cards.dialog_done(said)


def answers_of(activity: Json, fields: set[str]) -> dict[str, Any]:
    return {key: value for key, value in data_of(activity).items() if key in fields}


def opened(face: Face, title: str, build: Callable[[Session], Json]) -> Json:
    """A dialog opened for the person who clicked, or one saying in the store's words why
    they may not (a role, a record that is gone)."""
    try:
        return cards.dialog(title, face.run(build))
    except DomainError as error:
        return refusal(title, str(error))
