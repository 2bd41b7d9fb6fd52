"""Only Bot Framework, signing for this bot, gets in: golive checks every activity's token
against the keys its OpenID metadata names (here the fake's, through the same code and a
setting), and refuses the rest with 401, changing nothing."""

from datetime import timedelta

import pytest

from tests.fakebotframework import APP_ID, SEND
from tests.teamsapp import TeamsApp


def report_activity(teams: TeamsApp) -> dict:
    return teams.fake.message("report", user=teams.user(teams.world.staff))


def test_a_signed_activity_is_answered(teams: TeamsApp) -> None:
    assert teams.send(report_activity(teams)).status_code == 200
    assert len(teams.fake.wait_for(SEND)) == 1


@pytest.mark.parametrize(
    "forge",
    [
        "no token",
        "not a jwt",
        "signed with another key",
        "an unknown key id",
        "expired",
        "not valid yet",
        "another bot's audience",
        "another issuer",
        "another service url",
    ],
)
def test_an_activity_without_a_valid_token_is_refused_and_changes_nothing(
    teams: TeamsApp, forge: str
) -> None:
    fake, now = teams.fake, teams.clock.now()
    token = {
        "no token": "",
        "not a jwt": "abc.def",
        "signed with another key": fake.token_for(now=now, key=fake.stranger_key),
        "an unknown key id": fake.token_for(now=now, kid="someone-else"),
        "expired": fake.token_for(now=now - timedelta(hours=2), lifetime=timedelta(hours=1)),
        "not valid yet": fake.token_for(now=now + timedelta(hours=1)),
        "another bot's audience": fake.token_for(now=now, audience="another-" + APP_ID),
        "another issuer": fake.token_for(now=now, issuer="https://evil.example"),
        "another service url": fake.token_for(now=now, service_url="https://evil.example/"),
    }[forge]

    answer = teams.send(report_activity(teams), token=token)

    assert answer.status_code == 401
    assert fake.activities() == []


def test_a_key_not_endorsed_for_the_activitys_channel_is_refused(teams: TeamsApp) -> None:
    activity = {**report_activity(teams), "channelId": "webchat"}
    assert teams.send(activity).status_code == 401
    assert teams.fake.activities() == []


def test_a_body_that_is_not_an_activity_is_refused_plainly(teams: TeamsApp) -> None:
    import httpx

    answer = httpx.post(f"{teams.url}/api/messages", content=b"{not json", timeout=10)
    assert answer.status_code == 400
    assert httpx.get(f"{teams.url}/healthz", timeout=10).json() == {
        "ok": True,
        "database": "reachable",
    }


def test_an_activity_from_someone_without_a_microsoft_365_account_is_refused_plainly(
    teams: TeamsApp,
) -> None:
    guest = teams.fake.invoke(
        "task/fetch", {"data": {"golive": "report"}}, user=teams.user(teams.world.staff)
    )
    guest["from"] = {"id": "29:guest", "name": "A Guest"}
    answer = teams.send(guest)
    assert answer.status_code == 200
    shown = answer.json()["task"]["value"]["card"]["content"]["body"][0]["text"]
    assert "Microsoft 365 work account" in shown
