"""Services, people and the roles they hold."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.infra.errors import NotFound, ValidationError
from store.infra.inserts import insert_if_absent
from store.records import audit
from store.records.actors import COMMAND_LINE, SLACK_PROFILE, Actor, SystemActor
from store.records.enums import Role
from store.records.models import Person, RoleGrant, Service, ident
from store.records.permissions import Action, require


def _clean(text: str | None, *, field: str, label: str, limit: int) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError(f"{label} is required", field=field)
    if len(value) > limit:
        raise ValidationError(
            f"{label} is {len(value)} characters; keep it to {limit}", field=field
        )
    return value


def service_key(text: str) -> str:
    return "-".join(text.strip().lower().replace("_", " ").split())


def create_service(
    session: Session,
    *,
    actor: Actor,
    name: str,
    key: str | None = None,
    channel_id: str | None = None,
    golive_date: date | None = None,
    now: datetime,
) -> Service:
    require(session, actor, Action.MANAGE_SETUP)
    name = _clean(name, field="name", label="The service name", limit=120)
    key = service_key(key or name)
    if not key or len(key) > 40:
        raise ValidationError("A service key is 1 to 40 letters, digits or dashes", field="key")
    if find_service(session, key) is not None:
        raise ValidationError(f"A service called '{key}' already exists", field="key")
    service = Service(
        key=key, name=name, channel_id=channel_id, golive_date=golive_date, created_at=now
    )
    session.add(service)
    audit.record_created(session, service, actor=actor, now=now)
    return service


def find_service(session: Session, text: str) -> Service | None:
    """A service by its key or its name, as people type either, or by the start of one when
    only one service starts that way ("Oakwood" for Oakwood House)."""
    key = service_key(text)
    by_key = session.exec(select(Service).where(Service.key == key)).first()
    if by_key is not None:
        return by_key
    name = " ".join(text.split()).lower()
    services = list_services(session)
    for service in services:
        if service.name.lower() == name:
            return service
    starting = [s for s in services if s.key.startswith(key) or s.name.lower().startswith(name)]
    return starting[0] if key and len(starting) == 1 else None


def get_service(session: Session, text: str) -> Service:
    service = find_service(session, text)
    if service is None:
        known = ", ".join(s.key for s in list_services(session)) or "none yet"
        raise NotFound(f"No service called '{text.strip()}'. Services: {known}")
    return service


def service_by_id(session: Session, *, service_id: int | None) -> Service | None:
    """The service a record points at; None when it points at none (the whole organisation)."""
    return None if service_id is None else session.get(Service, service_id)


def list_services(session: Session) -> list[Service]:
    return list(session.exec(select(Service).order_by(col(Service.name))))


def service_choices(session: Session) -> list[tuple[int, str]]:
    """Each service's id and name, by name: what a form's service picker shows. Columns, not
    records, since every ``/golive`` in a surge reads all of them."""
    query = select(col(Service.id), col(Service.name)).order_by(col(Service.name))
    return [(service_id, name) for service_id, name in session.exec(query) if service_id]


def find_person(session: Session, slack_user_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.slack_user_id == slack_user_id)).first()


def person_by_id(session: Session, *, person_id: int | None) -> Person | None:
    """The person a record points at (an owner, a reporter); None when it points at nobody."""
    return None if person_id is None else session.get(Person, person_id)


def same_person(session: Session, person: Person) -> Person:
    """``person`` (loaded in another session) as this session knows them; NotFound when the
    row has gone since (erased), rather than a change made in the name of nobody."""
    found = person_by_id(session, person_id=person.id)
    if found is None:
        raise NotFound(f"{person.slack_user_id} is no longer known to golive")
    return found


def get_person(session: Session, slack_user_id: str) -> Person:
    person = find_person(session, slack_user_id)
    if person is None:
        raise NotFound(f"{slack_user_id} has not used golive yet; add them first")
    return person


def ensure_person(session: Session, *, slack_user_id: str, name: str, now: datetime) -> Person:
    """The person behind a Slack user id, created on first contact (as staff, no roles)."""
    existing = find_person(session, slack_user_id)
    if existing is not None:
        return existing
    insert_if_absent(
        session,
        Person,
        {"slack_user_id": slack_user_id, "name": (name or slack_user_id)[:120], "created_at": now},
    )
    person = get_person(session, slack_user_id)
    return person


"""Who the audit trail says renamed someone whose real name came from Slack after the ack."""


def has_placeholder_name(person: Person, *, handle: str | None = None) -> bool:
    """Named only by their user id or the Slack handle a payload carried, because golive
    created them before the ack without asking Slack."""
    return person.name in {person.slack_user_id, handle}


def placeholder_named(session: Session, handles: Mapping[str, str | None]) -> list[str]:
    """Which of these Slack users golive knows only by a placeholder name (``handles`` maps
    each user id to the handle their payload carried, if any); unknown users are left out."""
    if not handles:
        return []
    found = session.exec(select(Person).where(col(Person.slack_user_id).in_(list(handles))))
    return sorted(
        person.slack_user_id
        for person in found
        if has_placeholder_name(person, handle=handles[person.slack_user_id])
    )


def learn_name(
    session: Session, *, slack_user_id: str, name: str, handle: str | None = None, now: datetime
) -> Person | None:
    """Replace a placeholder name with the one Slack gives, audited like any change to a
    person; a name someone has set since (``add_person``) is kept, and so is the placeholder
    when Slack could not say (it answered with the user id)."""
    # Locked, so two lazy listeners naming the same person write one audited change.
    locked = select(Person).where(Person.slack_user_id == slack_user_id).with_for_update()
    person = session.exec(locked).first()
    name = " ".join((name or "").split())[:120]
    if person is None or not name or name == slack_user_id:
        return person
    if not has_placeholder_name(person, handle=handle):
        return person
    with audit.audited(session, person, actor=SLACK_PROFILE, action="name from Slack", now=now):
        person.name = name
    return person


def add_person(
    session: Session,
    *,
    actor: Actor,
    slack_user_id: str,
    name: str,
    service: Service | None = None,
    now: datetime,
) -> Person:
    require(session, actor, Action.MANAGE_SETUP)
    slack_user_id = slack_user_id.strip().lstrip("@").strip("<>").lstrip("@")
    if not slack_user_id or slack_user_id[0] not in "UW" or not slack_user_id.isalnum():
        raise ValidationError(
            f"'{slack_user_id}' is not a Slack user id (it starts with U, like U0123ABCD)",
            field="user",
        )
    name = _clean(name, field="name", label="The person's name", limit=120)
    person = find_person(session, slack_user_id)
    if person is None:
        person = Person(
            slack_user_id=slack_user_id,
            name=name,
            created_at=now,
            service_id=service.id if service else None,
        )
        session.add(person)
        audit.record_created(session, person, actor=actor, now=now)
        return person
    with audit.audited(session, person, actor=actor, action="person updated", now=now):
        person.name = name
        if service is not None:
            person.service_id = service.id
    return person


def set_home_service(
    session: Session, *, actor: Actor, person: Person, service: Service, now: datetime
) -> Person:
    require(session, actor, Action.MANAGE_SETUP)
    with audit.audited(session, person, actor=actor, action="home service set", now=now):
        person.service_id = service.id
    return person


def grant_role(
    session: Session,
    *,
    actor: Actor,
    person: Person,
    role: Role,
    service: Service | None = None,
    now: datetime,
) -> RoleGrant:
    require(session, actor, Action.MANAGE_ROLES)
    if role == Role.REGISTERED_MANAGER and service is None:
        raise ValidationError(
            "A registered manager is registered for one service; name the service", field="service"
        )
    grant = RoleGrant(
        person_id=ident(person),
        role=role,
        service_id=service.id if service else None,
        granted_by_id=getattr(actor, "id", None),
        granted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(grant)
            session.flush()
    except IntegrityError:
        where = f" for {service.name}" if service else ""
        raise ValidationError(f"{person.name} is already {role.label.lower()}{where}") from None
    audit.record_action(
        session,
        person,
        actor=actor,
        action="role granted",
        now=now,
        note=_grant_text(role, service),
    )
    return grant


def revoke_role(
    session: Session,
    *,
    actor: Actor,
    person: Person,
    role: Role,
    service: Service | None = None,
    now: datetime,
) -> None:
    require(session, actor, Action.MANAGE_ROLES)
    query = select(RoleGrant).where(RoleGrant.person_id == person.id, RoleGrant.role == role)
    query = query.where(RoleGrant.service_id == (service.id if service else None))
    grant = session.exec(query).first()
    if grant is None:
        where = f" for {service.name}" if service else ""
        raise NotFound(f"{person.name} is not {role.label.lower()}{where}")
    session.delete(grant)
    audit.record_action(
        session,
        person,
        actor=actor,
        action="role removed",
        now=now,
        note=_grant_text(role, service),
    )


def _grant_text(role: Role, service: Service | None) -> str:
    return f"{role.value}@{service.key}" if service else role.value


def roles_of(session: Session, person: Person) -> list[tuple[Role, Service | None]]:
    query = (
        select(RoleGrant, Service)
        .join(Service, col(RoleGrant.service_id) == Service.id, isouter=True)
        .where(RoleGrant.person_id == person.id)
        .order_by(col(RoleGrant.role))
    )
    return [(grant.role, service) for grant, service in session.exec(query)]


def holders(session: Session, role: Role, *, service_id: int | None = None) -> list[Person]:
    """People holding a role for a service (or everywhere), e.g. who to alert."""
    query = (
        select(Person)
        .join(RoleGrant, col(RoleGrant.person_id) == Person.id)
        .where(RoleGrant.role == role)
        .distinct()
    )
    if service_id is None:
        query = query.where(col(RoleGrant.service_id).is_(None))
    else:
        query = query.where(
            (col(RoleGrant.service_id) == service_id) | col(RoleGrant.service_id).is_(None)
        )
    return list(session.exec(query.order_by(col(Person.id))))


def holders_by_service(
    session: Session, role: Role, service_ids: set[int]
) -> dict[int, list[Person]]:
    """``holders`` for many services in one query: for each, the people holding the role for
    it or everywhere, in person order."""
    if not service_ids:
        return {}
    query = (
        select(RoleGrant.service_id, Person)
        .join(Person, col(Person.id) == RoleGrant.person_id)
        .where(RoleGrant.role == role)
        .where(col(RoleGrant.service_id).in_(service_ids) | col(RoleGrant.service_id).is_(None))
    )
    everywhere: dict[int, Person] = {}
    scoped: dict[int, dict[int, Person]] = {service_id: {} for service_id in service_ids}
    for service_id, person in session.exec(query):
        assert person.id is not None
        if service_id is None:
            everywhere[person.id] = person
        else:
            scoped[service_id][person.id] = person
    merged = {service_id: {**everywhere, **mine} for service_id, mine in scoped.items()}
    return {
        service_id: [found[person_id] for person_id in sorted(found)]
        for service_id, found in merged.items()
    }


def by_ids(session: Session, *, ids: Iterable[int | None]) -> dict[int, Person]:
    """People by id in one query, so a list of records can show every name it mentions."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = session.exec(select(Person).where(col(Person.id).in_(wanted)))
    return {p.id: p for p in found if p.id is not None}


def list_people(session: Session) -> list[Person]:
    return list(session.exec(select(Person).order_by(col(Person.name))))


def roles_for_admin(
    session: Session, *, actor: Actor, person: Person
) -> list[tuple[Role, Service | None]]:
    """Someone's roles, for the admins who grant and remove them."""
    require(session, actor, Action.MANAGE_ROLES)
    return roles_of(session, person)


def ensure_admin(session: Session, *, person: Person, now: datetime) -> None:
    """Make someone an admin unless they are one: the first admins a setting names
    (GOLIVE_ADMINS for Slack, TEAMS_ADMINS for Teams), applied at every start."""
    if Role.ADMIN not in {role for role, _ in roles_of(session, person)}:
        grant_role(session, actor=COMMAND_LINE, person=person, role=Role.ADMIN, now=now)


TEAMS_ONLY_PREFIX = "teams-"
"""The stand-in for the Slack user id of someone golive knows only from Microsoft Teams: the
store names a person's messages by that id, and no Slack user id can start this way."""


TEAMS_PLACEHOLDER_NAME = "Teams user"
"""The name of someone golive knows only by their Azure AD id (an admin from TEAMS_ADMINS),
until they first talk to golive and Teams gives their name."""
TEAMS_PROFILE = SystemActor("golive, from the Teams profile")


def _aad_id(text: str) -> str:
    """An Azure AD object id (a GUID), lower-cased; anything else is refused by name."""
    value = text.strip().lower()
    parts = value.split("-")
    if [len(part) for part in parts] != [8, 4, 4, 4, 12] or not all(
        c in "0123456789abcdef" for part in parts for c in part
    ):
        raise ValidationError(
            f"'{text.strip()}' is not an Azure AD object id (a GUID like "
            "0f3c2a9e-1b2c-4d5e-8f90-123456789abc, shown as Object ID in Entra ID)",
            field="teams_user",
        )
    return value


def find_teams_person(session: Session, aad_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.teams_user_id == aad_id.lower())).first()


def ensure_teams_person(session: Session, *, aad_id: str, name: str, now: datetime) -> Person:
    """The person behind a Teams user, created on first contact (as staff, no roles) when no
    one is linked to that Azure AD id yet; an admin links them to their Slack self with
    ``link_teams_user``."""
    aad = _aad_id(aad_id)
    name = " ".join((name or "").split())[:120]
    existing = find_teams_person(session, aad)
    if existing is not None:
        if existing.name == TEAMS_PLACEHOLDER_NAME and name:
            with audit.audited(session, existing, actor=TEAMS_PROFILE, action="name", now=now):
                existing.name = name
        return existing
    stand_in = TEAMS_ONLY_PREFIX + aad.replace("-", "")
    insert_if_absent(
        session,
        Person,
        {
            "slack_user_id": stand_in,
            "teams_user_id": aad,
            "name": name or TEAMS_PLACEHOLDER_NAME,
            "created_at": now,
        },
    )
    person = find_teams_person(session, aad)
    assert person is not None
    return person


def link_teams_user(
    session: Session, *, actor: Actor, person: Person, aad_id: str, now: datetime
) -> Person:
    """Say that a Teams user is this person, so both faces act as one person with one set of
    roles. If golive met that Teams user before the link (a stand-in person of their own),
    the Teams id moves here; what the stand-in did stays on the record under its name."""
    require(session, actor, Action.MANAGE_ROLES)
    aad = _aad_id(aad_id)
    other = find_teams_person(session, aad)
    if other is not None and other.id != person.id:
        if not other.slack_user_id.startswith(TEAMS_ONLY_PREFIX):
            raise ValidationError(
                f"That Teams user is already {other.name}; unlink them first", field="teams_user"
            )
        with audit.audited(session, other, actor=actor, action="Teams user moved", now=now):
            other.teams_user_id = None
        session.flush()
    with audit.audited(session, person, actor=actor, action="Teams user linked", now=now):
        person.teams_user_id = aad
    return person
