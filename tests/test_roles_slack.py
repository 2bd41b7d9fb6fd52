"""Admins grant and remove roles in Slack as well as from the command line, and see who holds
what; anyone else is refused privately, and every change is in the audit trail."""

from store.infra.db import session_scope
from store.records import people
from store.records.enums import Role
from tests.risk_helpers import trail
from tests.slackapp import SlackApp


def roles_of(slack: SlackApp, user_id: str) -> list[tuple[str, str | None]]:
    with session_scope(slack.engine) as session:
        person = people.get_person(session, user_id)
        return [(r.value, s.key if s else None) for r, s in people.roles_of(session, person)]


def test_admin_grants_a_registered_manager_role_for_one_service(slack: SlackApp) -> None:
    admin = slack.world.admin.slack_user_id
    leader = slack.world.team_leader
    slack.command(
        f"role <@{leader.slack_user_id}|tia> registered-manager Riverside Lodge", user=admin
    )
    assert slack.last_reply() == (
        f"<@{leader.slack_user_id}> is now registered manager for Riverside Lodge."
    )
    assert ("registered_manager", "riverside-lodge") in roles_of(slack, leader.slack_user_id)
    [event] = [e for e in trail(slack, f"person#{leader.id}") if e.action == "role granted"][-1:]
    assert (event.new_value, event.actor_name) == (
        "registered_manager@riverside-lodge",
        "Ada Admin",
    )

    slack.command(
        f"role remove <@{leader.slack_user_id}> registered-manager riverside-lodge", user=admin
    )
    assert "is no longer registered manager for Riverside Lodge" in slack.last_reply()
    assert ("registered_manager", "riverside-lodge") not in roles_of(slack, leader.slack_user_id)
    assert "role removed" in [e.action for e in trail(slack, f"person#{leader.id}")]


def test_admin_grants_a_role_to_someone_new_to_golive(slack: SlackApp) -> None:
    slack.fake.users["UNEWBIE1"] = {"real_name": "Nia New"}
    slack.command("role <@UNEWBIE1> board-member", user=slack.world.admin.slack_user_id)
    assert slack.last_reply() == "<@UNEWBIE1> is now board member."
    assert roles_of(slack, "UNEWBIE1") == [("board_member", None)]
    with session_scope(slack.engine) as session:
        assert people.get_person(session, "UNEWBIE1").name == "Nia New"


def test_admin_sees_someones_roles(slack: SlackApp) -> None:
    manager = slack.world.manager.slack_user_id
    slack.command(f"roles <@{manager}>", user=slack.world.admin.slack_user_id)
    assert slack.last_reply() == f"<@{manager}> holds:\n• registered manager for Oakwood House"
    slack.command(
        f"roles <@{slack.world.staff.slack_user_id}>", user=slack.world.admin.slack_user_id
    )
    assert "holds no roles (staff)" in slack.last_reply()


def test_only_admins_grant_remove_or_list_roles(slack: SlackApp) -> None:
    lead = slack.world.project_lead.slack_user_id
    staff = slack.world.staff.slack_user_id
    for text in (
        f"role <@{staff}> project-lead",
        f"role remove <@{slack.world.manager.slack_user_id}> registered-manager oakwood",
        f"roles <@{staff}>",
    ):
        slack.command(text, user=lead)
        assert "You can't grant and remove roles" in slack.last_reply()
    assert roles_of(slack, staff) == []
    assert Role.REGISTERED_MANAGER.value in dict(roles_of(slack, slack.world.manager.slack_user_id))


def test_role_commands_say_what_to_fix(slack: SlackApp) -> None:
    admin = slack.world.admin.slack_user_id
    staff = slack.world.staff.slack_user_id
    slack.command(f"role <@{staff}> nurse", user=admin)
    assert "'nurse' is not one of: staff, team-leader, registered-manager" in slack.last_reply()
    slack.command(f"role <@{staff}> registered-manager", user=admin)
    assert "name the service" in slack.last_reply()
    slack.command(f"role <@{staff}> registered-manager Elm Court", user=admin)
    assert "No service called 'Elm Court'" in slack.last_reply()
    slack.command("role bob team-leader", user=admin)
    assert "'bob' is not a person" in slack.last_reply()
    slack.command("role", user=admin)
    assert "Say who and which role" in slack.last_reply()
    slack.command(
        f"role <@{slack.world.manager.slack_user_id}> registered-manager oakwood", user=admin
    )
    assert "Mo Manager is already registered manager for Oakwood House" in slack.last_reply()
    assert roles_of(slack, staff) == []
