"""Roles, granted and removed by admins in Slack as well as from the command line:
``/golive role @person registered-manager Oakwood``, ``/golive role remove @person ...`` and
``/golive roles @person``. The store refuses anyone who is not an admin."""

from slack_bolt import App
from sqlmodel import Session

from commands.context import Deps, display_name, person_in
from commands.risks import person_named, user_id_from
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import people
from store.records.enums import Role
from store.records.models import Service

USAGE = "/golive role [remove] @person ROLE [service] | /golive roles @person"
ROLE_WORDS = ", ".join(r.value.replace("_", "-") for r in Role)


def parse_grant(words: list[str]) -> tuple[str, Role, str | None]:
    """``@person ROLE [service words]``: the Slack user, the role and the service as typed.
    Nobody is added to golive here: a refused grant must leave no person behind."""
    if len(words) < 2:
        raise ValidationError(f"Say who and which role: `{USAGE}`. Roles: {ROLE_WORDS}")
    user_id = user_id_from(words[0])
    if user_id is None:
        raise ValidationError(
            f"'{words[0].strip()}' is not a person; mention them, like @Mo Manager", field="user"
        )
    try:
        role = Role.parse(words[1])
    except ValueError as error:
        raise ValidationError(str(error)) from None
    return user_id, role, " ".join(words[2:]) or None


def _grant_words(role: Role, service: Service | None) -> str:
    return role.label.lower() + (f" for {service.name}" if service else "")


def change(deps: Deps, ctx: SlashContext, words: list[str], *, remove: bool) -> None:
    user_id, role, service_text = parse_grant(words)
    known = deps.read(lambda session: people.find_person(session, user_id))
    # This runs after the ack, so a newcomer's name can come from Slack before the change.
    name = known.name if known is not None else display_name(ctx.client, user_id)

    def work(session: Session) -> str:
        actor = person_in(session, ctx.person)
        whom = people.ensure_person(session, slack_user_id=user_id, name=name, now=deps.now())
        service = people.get_service(session, service_text) if service_text else None
        if remove:
            people.revoke_role(
                session, actor=actor, person=whom, role=role, service=service, now=deps.now()
            )
        else:
            people.grant_role(
                session, actor=actor, person=whom, role=role, service=service, now=deps.now()
            )
        return _grant_words(role, service)

    words_done = deps.run(work)
    verb = "is no longer" if remove else "is now"
    ctx.reply(f"<@{user_id}> {verb} {words_done}.")


def show(deps: Deps, ctx: SlashContext, words: list[str]) -> None:
    if not words:
        raise ValidationError(f"Say whose roles to show: `{USAGE}`")
    person = person_named(deps, ctx.client, words[0])

    def build(session: Session) -> str:
        held = people.roles_for_admin(
            session, actor=person_in(session, ctx.person), person=person_in(session, person)
        )
        if not held:
            return f"<@{person.slack_user_id}> holds no roles (staff)."
        lines = [f"• {_grant_words(role, service)}" for role, service in held]
        return f"<@{person.slack_user_id}> holds:\n" + "\n".join(lines)

    ctx.reply(deps.read(build))


def register(app: App, deps: Deps) -> None:
    def role_command(ctx: SlashContext) -> None:
        words = ctx.args[1:]
        if words and words[0].lower() == "remove":
            change(deps, ctx, words[1:], remove=True)
        else:
            change(deps, ctx, words, remove=False)

    deps.router.add(
        "role",
        role_command,
        usage="/golive role [remove] @person ROLE [service]",
        summary="grant or remove a role (admins)",
    )
    deps.router.add(
        "roles",
        lambda ctx: show(deps, ctx, ctx.args[1:]),
        usage="/golive roles @person",
        summary="the roles someone holds (admins)",
    )
