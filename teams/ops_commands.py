"""``verify``, ``quiet``, ``wave``, ``waves``, ``handover``, ``role`` and ``roles`` typed to
golive in Teams: the same words as Slack's ``/golive`` commands, the same store calls and the
same refusals, answered as cards in the chat they were typed in.

Someone's name or a service's name is shown in a ``RichTextBlock`` (``cards.typed``), never
read as markdown; golive's own words go in ``TextBlock``s."""

from typing import Any

from sqlmodel import Session

from store.infra.errors import ValidationError
from store.records import care, controls, issues, people, quiet, verification, waves
from store.records.enums import Role
from store.records.models import ISSUE_PREFIX, Person, Service
from teams import cards
from teams.face import Command, Face, sender_of
from teams.issue_cards import when

Json = dict[str, Any]
VERIFY_USAGE = "verify GL-0042|C-7 what you checked"
QUIET_USAGE = "quiet 22:00-07:00 | off"
WAVE_USAGE = "wave SERVICE status=live wave=3 date=2026-12-01"
HANDOVER_USAGE = "handover [SERVICE 07:30,19:30]"
ROLE_USAGE = "role [remove] @person ROLE [service]"
ROLES_USAGE = "roles @person"
ROLE_WORDS = ", ".join(r.value.replace("_", "-") for r in Role)
WAITING_SHOWN = 20
SERVICES_SHOWN = 40


def _answer(text: str, *body: Json) -> Json:
    """A message whose notification says ``text`` and whose card shows ``body`` (or the text
    itself, when it holds nothing anyone typed)."""
    return cards.message(text, cards.card(list(body) or [cards.words(text)]))


# ---------------------------------------------------------------------- verify


def verify(face: Face, activity: Json, rest: str) -> Json:
    ref, _, evidence = rest.strip().partition(" ")
    if not ref:
        return waiting(face)
    if not evidence.strip():
        raise ValidationError(
            f"Say what you checked, e.g. verify {ref[:40]} paper MAR matches eMAR",
            field="evidence",
        )

    def work(session: Session) -> str:
        actor = sender_of(session, activity, face=face)
        now = face.clock.now()
        if ref.strip().upper().startswith(("GL", ISSUE_PREFIX)):
            issue = issues.verify_closure(
                session, actor=actor, ref=ref, evidence=evidence.strip(), now=now
            )
            return f"You verified {issue.ref}; it is now closed."
        control = controls.get_control(session, ref)
        controls.confirm_complete(
            session, actor=actor, control=control, evidence=evidence.strip(), now=now
        )
        return f"You verified {control.ref}; it is now complete."

    return _answer(face.run(work))


def waiting(face: Face) -> Json:
    """What waits for a second person's check, as ``/golive verify`` alone lists it."""

    def read(session: Session) -> Json:
        rows = verification.all_pending(session)
        if not rows:
            return _answer("Nothing is waiting for verification.")
        lines = [
            cards.words(f"**{row.item_ref}** asked {when(row.requested_at)}")
            for row in rows[:WAITING_SHOWN]
        ]
        if len(rows) > WAITING_SHOWN:
            lines.append(cards.words(f"and {len(rows) - WAITING_SHOWN} more", subtle=True))
        return _answer(
            "Waiting for a second person to verify",
            cards.heading("Waiting for a second person to verify"),
            *lines,
            cards.words(VERIFY_USAGE, subtle=True),
        )

    return face.read(read)


# ---------------------------------------------------------------------- quiet hours


def quiet_hours(face: Face, activity: Json, rest: str) -> Json:
    text = "".join(rest.split())
    if not text:
        return face.run(lambda session: _current_quiet(session, face, activity))

    def work(session: Session) -> str:
        me = sender_of(session, activity, face=face)
        now = face.clock.now()
        if quiet.turns_off(text):
            cleared = quiet.clear_quiet_hours(session, actor=me, person=me, now=now)
            return (
                "Quiet hours are off: reminders come when they are due."
                if cleared
                else "You had no quiet hours set."
            )
        row = quiet.set_quiet_hours(session, actor=me, person=me, text=text, now=now)
        return (
            f"Quiet hours set to {quiet.describe(row)} ({face.settings.timezone} time). "
            "Reminders wait until they end; alerts about safe care still reach you at once."
        )

    return _answer(face.run(work))


def _current_quiet(session: Session, face: Face, activity: Json) -> Json:
    row = quiet.quiet_hours_of(session, sender_of(session, activity, face=face))
    if row is None:
        return _answer(f"You have no quiet hours. Set them with {QUIET_USAGE}.")
    return _answer(f"Your quiet hours are {quiet.describe(row)}.")


# ---------------------------------------------------------------------- waves


def wave(face: Face, activity: Json, rest: str) -> Json:
    words = rest.split()
    if len(words) < 2:
        return _answer(
            f"Set a service's rollout with {WAVE_USAGE} (statuses: {waves.STATUS_WORDS}). "
            "See every service with waves."
        )
    try:
        changes = waves.parse_changes(words[1:])
    except waves.BadWaveWord as bad:
        if bad.problem == "shape":
            raise ValidationError(f"Write each change as name=value, like {WAVE_USAGE}") from None
        raise

    def work(session: Session) -> Json:
        service = people.get_service(session, words[0])
        row = waves.set_wave(
            session,
            actor=sender_of(session, activity, face=face),
            service=service,
            now=face.clock.now(),
            status=changes.status,
            wave=changes.wave,
            golive_date=changes.golive_date,
        )
        number = f"wave {row.wave}, " if row.wave else ""
        date = service.golive_date.isoformat() if service.golive_date else "no go-live date"
        status = waves.WaveStatus(row.status).label.lower()
        said = f"{service.name}: {number}{status}, {date}."
        return _answer(said, cards.typed(said))

    return face.run(work)


def side_by_side(face: Face, activity: Json, rest: str) -> Json:
    def read(session: Session) -> Json:
        return _answer(
            "Services side by side",
            cards.heading("Services side by side"),
            *comparison_blocks(session, face),
        )

    return face.read(read)


def comparison_blocks(session: Session, face: Face) -> list[Json]:
    """Services side by side, a line each, as ``waves`` and ``status`` show them."""
    now = face.clock.now()
    rows = waves.compare_services(
        session,
        now=now,
        today=now.astimezone(face.settings.zone).date(),
        theme_days=face.settings.theme_window_days,
    )
    lines = [cards.typed(_comparison(row)) for row in rows[:SERVICES_SHOWN]]
    if len(rows) > SERVICES_SHOWN:
        lines.append(cards.words(f"…and {len(rows) - SERVICES_SHOWN} more", subtle=True))
    return lines or [cards.words("No services yet.")]


def _comparison(row: waves.ServiceComparison) -> str:
    """One service's line, with the facts Slack's ``/golive waves`` line states."""
    parts = [(f"Wave {row.wave} " if row.wave else "") + f"{row.service} · {row.status}"]
    if row.golive_date is not None:
        day = row.golive_date.strftime("%a %d %b")
        parts.append(f"live {day} (day {row.days_live})" if row.days_live else f"goes live {day}")
    if row.days_live:
        parts.append(f"{row.issues_since_golive} issues, {row.per_day}/day")
    parts.append(f"{row.open_urgent} urgent open")
    if row.theme:
        parts.append(f"theme: {row.theme}")
    return " · ".join(parts)


# ---------------------------------------------------------------------- handover


def handover(face: Face, activity: Json, rest: str) -> Json:
    service_text, _, times = rest.strip().partition(" ")
    if not times.strip():
        return face.read(lambda session: _handover_times(session, face))

    def work(session: Session) -> Json:
        service = people.get_service(session, service_text)
        row = care.set_handover_times(
            session,
            actor=sender_of(session, activity, face=face),
            service=service,
            text=times,
            now=face.clock.now(),
        )
        said = (
            f"{service.name} gets its handover summary at {row.times.replace(',', ', ')} "
            f"({face.settings.timezone} time)."
        )
        return _answer(said, cards.typed(said))

    return face.run(work)


def _handover_times(session: Session, face: Face) -> Json:
    lines = []
    for service in people.list_services(session)[:SERVICES_SHOWN]:
        times = care.handover_times(session, service=service, default=face.settings.handover_times)
        lines.append(
            cards.typed(f"{service.name}: {', '.join(t.strftime('%H:%M') for t in times)}")
        )
    return _answer(
        "Handover summaries at shift change",
        cards.heading("Handover summaries at shift change"),
        *(lines or [cards.words("No services yet.")]),
        cards.words(f"Change a service's times with {HANDOVER_USAGE}.", subtle=True),
    )


# ---------------------------------------------------------------------- roles


def mentioned(activity: Json) -> list[Json]:
    """The people @mentioned in a message (Teams' ``mention`` entities), golive itself left
    out: each has ``id``, ``name`` and, for a person in the tenant, ``aadObjectId``."""
    me = (activity.get("recipient") or {}).get("id")
    found = []
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        who = entity.get("mentioned")
        if isinstance(who, dict) and who.get("id") != me:
            found.append(who)
    return found


def _person_mentioned(session: Session, face: Face, who: Json) -> Person:
    """The golive person a mention names: the one linked to that Teams user, or a new one
    (refused changes roll back with it, so a refused grant leaves no one behind)."""
    aad = str(who.get("aadObjectId") or "")
    if not aad:
        raise ValidationError(
            f"Teams did not say which work account {who.get('name') or 'that'} is; mention "
            "someone in your organisation, like @Mo Manager",
            field="user",
        )
    return people.ensure_teams_person(
        session, aad_id=aad, name=str(who.get("name") or ""), now=face.clock.now()
    )


def _whom(activity: Json, words: list[str]) -> Json:
    """The one person a command names: a mention, not a word typed in its place."""
    found = mentioned(activity)
    if not found:
        first = words[0] if words else ""
        raise ValidationError(
            f"'{first}' is not a person; mention them, like @Mo Manager", field="user"
        )
    if len(found) > 1:
        raise ValidationError("Mention one person at a time", field="user")
    return found[0]


def _grant_words(role: Role, service: Service | None) -> str:
    return role.label.lower() + (f" for {service.name}" if service else "")


def role(face: Face, activity: Json, rest: str) -> Json:
    words = rest.split()
    remove = bool(words) and words[0].lower() == "remove"
    if remove:
        words = words[1:]
    if not words and not mentioned(activity):
        raise ValidationError(f"Say who and which role: {ROLE_USAGE}. Roles: {ROLE_WORDS}")
    who = _whom(activity, words)
    if not words:
        raise ValidationError(f"Say who and which role: {ROLE_USAGE}. Roles: {ROLE_WORDS}")
    try:
        chosen = Role.parse(words[0])
    except ValueError as error:
        raise ValidationError(str(error)) from None
    service_text = " ".join(words[1:]) or None

    def work(session: Session) -> Json:
        actor = sender_of(session, activity, face=face)
        person = _person_mentioned(session, face, who)
        service = people.get_service(session, service_text) if service_text else None
        now = face.clock.now()
        if remove:
            people.revoke_role(
                session, actor=actor, person=person, role=chosen, service=service, now=now
            )
        else:
            people.grant_role(
                session, actor=actor, person=person, role=chosen, service=service, now=now
            )
        verb = "is no longer" if remove else "is now"
        said = f"{person.name} {verb} {_grant_words(chosen, service)}."
        return _answer(said, cards.typed(said))

    return face.run(work)


def roles(face: Face, activity: Json, rest: str) -> Json:
    if not mentioned(activity) and not rest.strip():
        raise ValidationError(f"Say whose roles to show: {ROLES_USAGE}")
    who = _whom(activity, rest.split())

    def read(session: Session) -> Json:
        person = _person_mentioned(session, face, who)
        held = people.roles_for_admin(
            session, actor=sender_of(session, activity, face=face), person=person
        )
        if not held:
            said = f"{person.name} holds no roles (staff)."
            return _answer(said, cards.typed(said))
        return _answer(
            f"{person.name} holds {len(held)} roles",
            cards.typed(f"{person.name} holds:"),
            *(cards.typed(f"• {_grant_words(held_role, service)}") for held_role, service in held),
        )

    # A write transaction: someone golive meets first in this mention is added, as Slack adds
    # a newcomer it is asked about; a refusal rolls that back.
    return face.run(read)


COMMANDS = {
    "verify": Command(
        verify,
        VERIFY_USAGE,
        "verify a safe-care closure or a high-risk control (a second manager)",
    ),
    "quiet": Command(
        quiet_hours, QUIET_USAGE, "hold reminders during your sleep or off-shift hours"
    ),
    "wave": Command(wave, WAVE_USAGE, "set a service's rollout wave (the project lead)"),
    "waves": Command(
        side_by_side,
        "waves",
        "compare services side by side: issues per day since go-live, urgent, themes",
    ),
    "handover": Command(
        handover, HANDOVER_USAGE, "see or set when each service gets its shift handover summary"
    ),
    "role": Command(role, ROLE_USAGE, "grant or remove a role (admins)"),
    "roles": Command(roles, ROLES_USAGE, "the roles someone holds (admins)"),
}
