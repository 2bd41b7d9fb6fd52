"""The governance commands typed to golive in Teams, in the words of ``/golive help``:
``verify``, ``quiet``, ``wave``, ``waves``, ``handover``, ``role`` and ``roles``. Each goes
through a signed activity to the real Teams app and is answered as a card through the fake
connector; the store decides who may do what, as it does for Slack."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import controls, issues, people, quiet, risks
from store.records.actors import COMMAND_LINE
from store.records.enums import Impact, IssueStatus, Role
from store.records.models import OutboxMessage, Person
from tests.fakebotframework import APP_ID, SEND
from tests.risk_helpers import new_risk
from tests.schedules_world import settings
from tests.teamsapp import TeamsApp, aad_id_of

Json = dict[str, Any]


def said(teams: TeamsApp, text: str, by: Person, *, entities: list[Json] | None = None) -> Json:
    """What golive answered to ``text`` typed by ``by``."""
    before = len(teams.fake.activities(SEND))
    extra = {"entities": entities} if entities is not None else {}
    activity = teams.fake.message(text, user=teams.user(by), **extra)
    assert teams.send(activity).status_code == 200
    return teams.fake.wait_for(SEND, before + 1)[-1].body


def shown(answer: Json) -> str:
    """Everything the answer's card shows, as one string."""
    return json.dumps(answer["attachments"][0]["content"], ensure_ascii=False)


def mention(aad_id: str, name: str) -> list[Json]:
    """Teams' entity for an @mention of a person in the tenant."""
    return [
        {
            "type": "mention",
            "text": f"<at>{name}</at>",
            "mentioned": {"id": f"29:{aad_id}", "name": name, "aadObjectId": aad_id},
        }
    ]


def link(teams: TeamsApp, person: Person) -> None:
    with session_scope(teams.engine) as session:
        people.link_teams_user(
            session,
            actor=COMMAND_LINE,
            person=people.person_by_id(session, person_id=person.id),
            aad_id=aad_id_of(person),
            now=teams.clock.now(),
        )


def resolved_safe_care_issue(teams: TeamsApp) -> str:
    """An issue affecting safe care, owned and closed by the team leader, which waits for a
    second person to verify it."""
    ref = teams.report("eMAR lost the lunchtime doses", impact=Impact.SAFE_CARE)
    leader, now = teams.world.team_leader, teams.clock.now()
    with session_scope(teams.engine) as session:
        owner = people.person_by_id(session, person_id=leader.id)
        assert owner is not None
        issues.assign_owner(session, actor=leader, ref=ref, owner=owner, now=now)
        issues.set_correction(
            session, actor=leader, ref=ref, action="Supplier fixed the sync", due=None, now=now
        )
        issues.resolve(session, actor=leader, ref=ref, now=now)
        issues.close(session, actor=leader, ref=ref, evidence="Three rounds clean", now=now)
    return ref


def status_of(teams: TeamsApp, ref: str) -> IssueStatus:
    with session_scope(teams.engine, write=False) as session:
        return issues.get_issue(session, ref).status


def test_a_registered_manager_verifies_a_safe_care_closure_typed_in_teams(
    teams: TeamsApp,
) -> None:
    world = teams.world
    ref = resolved_safe_care_issue(teams)
    assert status_of(teams, ref) == IssueStatus.RESOLVED

    waiting = said(teams, "verify", world.staff)
    assert waiting["text"] == "Waiting for a second person to verify"
    assert f"**{ref}** asked" in shown(waiting)

    refused = said(teams, f"verify {ref} looks fine to me", world.staff)
    assert "You can't verify it" in refused["text"]
    assert status_of(teams, ref) == IssueStatus.RESOLVED

    no_evidence = said(teams, f"verify {ref}", world.manager)
    assert no_evidence["text"] == f"Say what you checked, e.g. verify {ref} paper MAR matches eMAR"

    done = said(teams, f"<at>golive</at> verify {ref} Watched the lunchtime round", world.manager)
    assert done["text"] == f"You verified {ref}; it is now closed."
    assert status_of(teams, ref) == IssueStatus.CLOSED
    assert said(teams, "verify", world.staff)["text"] == "Nothing is waiting for verification."


def test_quiet_hours_set_in_teams_hold_the_morning_reminder(teams: TeamsApp) -> None:
    world = teams.world
    assert said(teams, "quiet", world.manager)["text"] == (
        "You have no quiet hours. Set them with quiet 22:00-07:00 | off."
    )
    answer = said(teams, "quiet 08:00-16:00", world.manager)
    assert answer["text"] == (
        "Quiet hours set to 08:00-16:00 (Europe/London time). Reminders wait until they end; "
        "alerts about safe care still reach you at once."
    )
    assert said(teams, "quiet", world.manager)["text"] == "Your quiet hours are 08:00-16:00."

    ref = new_risk(teams, controls=(), service=world.oakwood)  # type: ignore[arg-type]
    with session_scope(teams.engine) as session:
        controls.add_control(
            session,
            actor=world.manager,
            risk=risks.get_risk(session, ref),
            description="Senior carer checks every MAR at handover",
            owner=people.person_by_id(session, person_id=world.manager.id),
            due_date=teams.clock.now().date() + timedelta(days=1),
            now=teams.clock.now(),
        )
    morning = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert "1 reminders owed" in run_job(
        "reminders", engine=teams.engine, settings=settings(), at=morning
    )
    with session_scope(teams.engine, write=False) as session:
        reminder = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.user == world.manager.slack_user_id,
                OutboxMessage.notice == "reminder",
            )
        ).one()
        assert reminder.next_attempt_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def test_quiet_hours_typed_wrong_say_what_to_fix_and_off_clears_them(teams: TeamsApp) -> None:
    manager = teams.world.manager
    assert said(teams, "quiet 2200", manager)["text"] == (
        "Give your quiet hours as start-end, like 22:00-07:00"
    )
    assert said(teams, "quiet 25:00-07:00", manager)["text"] == (
        "'25:00' is not a time like 07:30 (24-hour clock)"
    )
    assert said(teams, "quiet off", manager)["text"] == "You had no quiet hours set."
    said(teams, "quiet 22:00 - 07:00", manager)
    assert said(teams, "quiet off", manager)["text"] == (
        "Quiet hours are off: reminders come when they are due."
    )
    with session_scope(teams.engine, write=False) as session:
        me = people.person_by_id(session, person_id=manager.id)
        assert me is not None and quiet.quiet_hours_of(session, me) is None


def test_the_project_lead_sets_a_wave_and_everyone_compares_the_services(
    teams: TeamsApp,
) -> None:
    world = teams.world
    answer = said(teams, "wave oakwood status=live wave=1 date=2026-11-20", world.project_lead)
    assert answer["text"] == "Oakwood House: wave 1, live, 2026-11-20."

    refused = said(teams, "wave oakwood status=stabilising", world.staff)
    assert "can't" in refused["text"].lower()

    compared = said(teams, "waves", world.staff)
    assert compared["text"] == "Services side by side"
    assert "Wave 1 Oakwood House · Live · live Fri 20 Nov (day 4)" in shown(compared)
    assert "Riverside" in shown(compared)


def test_a_wave_typed_wrong_gets_the_usage_or_says_what_to_fix(teams: TeamsApp) -> None:
    lead = teams.world.project_lead
    usage = said(teams, "wave", lead)["text"]
    assert usage.startswith("Set a service's rollout with wave SERVICE status=live wave=3")
    assert said(teams, "wave oakwood live", lead)["text"] == (
        "Write each change as name=value, like wave SERVICE status=live wave=3 date=2026-12-01"
    )
    assert said(teams, "wave oakwood status=sideways", lead)["text"] == (
        "'sideways' is not a wave status; use one of: not-started, live, stabilising, "
        "business-as-usual"
    )
    assert said(teams, "wave oakwood colour=red", lead)["text"] == (
        "'colour' is not something a wave has: status, wave or date"
    )
    assert said(teams, "wave oakwood wave=three", lead)["text"] == "A wave is a number, like wave=3"


def test_a_registered_manager_sets_the_handover_times_of_their_home(teams: TeamsApp) -> None:
    world = teams.world
    answer = said(teams, "handover oakwood 07:00,19:00", world.manager)
    assert answer["text"] == (
        "Oakwood House gets its handover summary at 07:00, 19:00 (Europe/London time)."
    )
    refused = said(teams, "handover riverside 06:00", world.manager)
    assert "You can't set Riverside" in refused["text"]
    assert said(teams, "handover oakwood 7am", world.manager)["text"] == (
        "'7am' is not a time like 07:30 (24-hour clock)"
    )

    listed = shown(said(teams, "handover", world.staff))
    assert "Oakwood House: 07:00, 19:00" in listed
    assert "Riverside" in listed and "07:30, 19:30" in listed
    assert "handover [SERVICE 07:30,19:30]" in listed


def test_an_admin_grants_and_removes_a_role_by_mentioning_someone_in_teams(
    teams: TeamsApp,
) -> None:
    world = teams.world
    link(teams, world.admin)
    newcomer = str(uuid.uuid4())
    # golive's own @mention (a channel message starts with it) is not the person meant
    golive = {
        "type": "mention",
        "text": "<at>golive</at>",
        "mentioned": {"id": f"28:{APP_ID}", "name": "golive"},
    }
    who = [golive, *mention(newcomer, "Nia Newcomer")]

    refused = said(
        teams, "role <at>Nia Newcomer</at> team-leader oakwood", world.manager, entities=who
    )
    assert "can't" in refused["text"].lower()
    with session_scope(teams.engine, write=False) as session:
        assert people.find_teams_person(session, newcomer) is None

    granted = said(
        teams, "role <at>Nia Newcomer</at> team-leader oakwood", world.admin, entities=who
    )
    assert granted["text"] == "Nia Newcomer is now team leader for Oakwood House."
    with session_scope(teams.engine, write=False) as session:
        nia = people.find_teams_person(session, newcomer)
        assert nia is not None
        assert [
            (role, service.name if service else None)
            for role, service in people.roles_of(session, nia)
        ] == [(Role.TEAM_LEADER, "Oakwood House")]

    held = said(teams, "roles <at>Nia Newcomer</at>", world.admin, entities=who)
    assert "• team leader for Oakwood House" in shown(held)

    removed = said(
        teams, "role remove <at>Nia Newcomer</at> team-leader oakwood", world.admin, entities=who
    )
    assert removed["text"] == "Nia Newcomer is no longer team leader for Oakwood House."
    assert said(teams, "roles <at>Nia Newcomer</at>", world.admin, entities=who)["text"] == (
        "Nia Newcomer holds no roles (staff)."
    )


def test_a_role_without_a_mention_or_a_known_role_says_what_to_fix(teams: TeamsApp) -> None:
    world = teams.world
    link(teams, world.admin)
    assert said(teams, "role Mo registered-manager", world.admin)["text"] == (
        "'Mo' is not a person; mention them, like @Mo Manager"
    )
    assert said(teams, "role", world.admin)["text"].startswith(
        "Say who and which role: role [remove] @person ROLE [service]. Roles: staff"
    )
    who = mention(aad_id_of(world.staff), world.staff.name)
    assert said(teams, "role <at>Sam</at> wizard", world.admin, entities=who)["text"] == (
        "'wizard' is not one of: " + ", ".join(r.value.replace("_", "-") for r in Role)
    )
    assert said(teams, "roles", world.admin)["text"] == "Say whose roles to show: roles @person"


def test_help_in_teams_lists_the_governance_commands_in_slacks_words(teams: TeamsApp) -> None:
    listed = shown(said(teams, "help", teams.world.staff))
    for usage in (
        "verify GL-0042|C-7 what you checked",
        "quiet 22:00-07:00 | off",
        "wave SERVICE status=live wave=3 date=2026-12-01",
        "waves",
        "handover [SERVICE 07:30,19:30]",
        "role [remove] @person ROLE [service]",
        "roles @person",
        "export [xlsx | csv | evidence | pdf | all]",
    ):
        assert f"**{usage}**" in listed
