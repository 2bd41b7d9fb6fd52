"""The real ``golive teams`` process against a fake Bot Framework: a provider sets the Teams
settings, runs the command, and a report made in Teams reaches the triage channel as a card
that a team leader triages, refreshed in place for everyone; SIGTERM stops it all."""

import json
import signal
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.blackbox.harness import Provider, free_port
from tests.fakebotframework import (
    APP_ID,
    SEND,
    TRIAGE_CONVERSATION,
    UPDATE,
    FakeBotFramework,
    Person,
)

STAFF = Person("0b6f6a43-92a4-4e39-9d61-5e1c8a2f7b11", "Sam Carer")
LEADER = Person("4c2e9d17-3b5a-4f08-8e6c-7a9b1d2e3f40", "Tia Leader")


@pytest.fixture
def bot_framework() -> FakeBotFramework:
    with FakeBotFramework() as running:
        yield running


def now() -> datetime:
    return datetime.now(UTC)


def card_of(answer: dict) -> dict:
    return answer["task"]["value"]["card"]["content"]


def test_a_report_in_teams_is_triaged_from_its_card(
    provider: Provider, bot_framework: FakeBotFramework
) -> None:
    env = {**bot_framework.environment(), "GOLIVE_WORKERS": "1"}
    provider.run("init", **env).ok()
    provider.run("service", "add", "Oakwood House", "--key", "oakwood", **env).ok()
    provider.run("person", "add", "U0LEAD", "Tia Leader", "--service", "oakwood", **env).ok()
    provider.run("role", "grant", "U0LEAD", "team-leader", "--service", "oakwood", **env).ok()
    provider.run("person", "link-teams", "U0LEAD", LEADER.aad_id, **env).ok()

    port = free_port()
    served = provider.start("teams", "--port", str(port), **env)
    served.port = port
    served.wait_healthy()
    golive = f"http://127.0.0.1:{port}"

    def invoke(name: str, value: dict, by: Person) -> dict:
        activity = bot_framework.invoke(name, value, user=by)
        answer = bot_framework.post(golive, activity, now=now())
        assert answer.status_code == 200, answer.text
        return answer.json()

    card = card_of(invoke("task/fetch", {"data": {"golive": "report"}}, STAFF))
    hidden = card["actions"][0]["data"]
    answers = {
        "service": card["body"][0]["choices"][0]["value"],
        "category": "devices",
        "description": "Lounge tablet will not log in",
        "impact": "some",
        "urgency": "high",
        "workaround": "safe",
        "workaround_detail": "Using the office PC",
    }
    done = invoke("task/submit", {"data": {**hidden, **answers}}, STAFF)
    assert done == {"task": {"type": "message", "value": "Thanks, your report is in: GL-0001."}}

    [posted] = bot_framework.wait_for(SEND, conversation=TRIAGE_CONVERSATION, timeout=20)
    [card_id] = bot_framework.conversations[TRIAGE_CONVERSATION].activities
    triage = posted.body["attachments"][0]["content"]
    assign = next(a for a in triage["actions"] if a["title"] == "Assign owner")
    owners = {c["title"]: c["value"] for c in assign["card"]["body"][0]["choices"]}

    action = {
        "action": {
            "type": "Action.Execute",
            "verb": "triage_assign",
            "data": {"ref": "GL-0001", "owner": owners["Tia Leader"]},
        },
        "trigger": "manual",
    }
    refreshed = invoke("adaptiveCard/action", action, LEADER)
    assert "Triaged" in refreshed["value"]["body"][0]["text"]

    bot_framework.wait_for(UPDATE, timeout=20)
    shown = bot_framework.shown(TRIAGE_CONVERSATION, card_id)
    assert "Triaged" in json.dumps(shown)

    served.signal(signal.SIGTERM)
    served.wait_gone()


def test_the_teams_package_is_a_zip_an_admin_can_upload(
    provider: Provider, bot_framework: FakeBotFramework, tmp_path: Path
) -> None:
    out = tmp_path / "golive-teams.zip"
    provider.run(
        "teams-package",
        "--out",
        str(out),
        "--website",
        "https://care.example.org",
        **bot_framework.environment(),
    ).ok()
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        for icon, size in (("color.png", 192), ("outline.png", 32)):
            png = package.read(icon)
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert int.from_bytes(png[16:20], "big") == size
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    [action] = manifest["composeExtensions"][0]["commands"]
    assert (action["type"], action["context"], action["fetchTask"]) == ("action", ["message"], True)

    refused = provider.run(
        "teams-package", "--website", "http://care.example.org", **bot_framework.environment()
    )
    assert refused.status == 2 and "must start with https://" in refused.err


LEAD = Person("7d1c5e2a-6f84-4b3e-9a20-1e5b8c4d2f63", "Pat Project")


def test_a_project_lead_records_a_risk_in_teams_and_finds_it_in_the_register(
    provider: Provider, bot_framework: FakeBotFramework
) -> None:
    env = {**bot_framework.environment(), "GOLIVE_WORKERS": "1"}
    provider.run("init", **env).ok()
    provider.run("person", "add", "U0PROJ", "Pat Project", **env).ok()
    provider.run("role", "grant", "U0PROJ", "project-lead", **env).ok()
    provider.run("person", "link-teams", "U0PROJ", LEAD.aad_id, **env).ok()
    port = free_port()
    served = provider.start("teams", "--port", str(port), **env)
    served.port = port
    served.wait_healthy()
    golive = f"http://127.0.0.1:{port}"

    def invoke(name: str, value: dict) -> dict:
        answer = bot_framework.post(golive, bot_framework.invoke(name, value, user=LEAD), now=now())
        assert answer.status_code == 200, answer.text
        return answer.json()

    card = card_of(invoke("task/fetch", {"data": {"golive": "risk_add"}}))
    answers = {
        "title": "Night staff cannot log in to the handhelds",
        "category": "access",
        "service": "organisation",
    }
    done = invoke("task/submit", {"data": {**card["actions"][0]["data"], **answers}})
    assert done["task"]["value"].startswith("R-001 is in the register.")

    typed = bot_framework.message("risks", user=LEAD)
    assert bot_framework.post(golive, typed, now=now()).status_code == 200
    [register] = bot_framework.wait_for(SEND, timeout=20)
    assert register.body["text"] == "Risk register: 1"
    assert "Night staff cannot log in" in json.dumps(register.body)

    served.signal(signal.SIGTERM)
    served.wait_gone()
