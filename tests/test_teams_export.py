"""``export`` typed to golive in Teams: the person who asked gets a link to golive's own
server that works for a few minutes, and the files are built, for them, when they open it.
The activities are signed and answered through the fake connector; the link is fetched over
HTTP from the real Teams app, as a browser would."""

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from sqlmodel import select

from store.infra.db import session_scope
from store.records import people
from store.records.actors import COMMAND_LINE
from store.records.enums import Role
from store.records.models import AuditEvent
from tests.fakebotframework import PROJECT_CONVERSATION, SEND
from tests.teamsapp import TeamsApp

Json = dict[str, Any]


@pytest.fixture
def served(teams: TeamsApp) -> Iterator[TeamsApp]:
    """The Teams app with its public address set, as TEAMS_PUBLIC_URL sets it."""
    teams.settings.public_url = teams.url
    yield teams


def said(teams: TeamsApp, text: str, by: Any) -> Json:
    before = len(teams.fake.activities(SEND))
    assert teams.send(teams.fake.message(text, user=teams.user(by))).status_code == 200
    return teams.fake.wait_for(SEND, before + 1)[-1].body


def link_in(answer: Json) -> str:
    [button] = answer["attachments"][0]["content"]["actions"]
    assert button["type"] == "Action.OpenUrl" and button["title"] == "Download"
    return str(button["url"])


def fetch(url: str) -> httpx.Response:
    return httpx.get(url, timeout=60)


def exports_recorded(teams: TeamsApp) -> list[str]:
    with session_scope(teams.engine, write=False) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "exported")).all()
        return [str(row.new_value) for row in rows]


def test_a_registered_manager_downloads_the_workbook_from_the_link_golive_gives(
    served: TeamsApp,
) -> None:
    teams = served
    teams.report("Night checks not saving")
    answer = said(teams, "export xlsx", teams.world.manager)
    assert answer["text"] == "Your export (xlsx) is ready; the link works for 15 minutes"
    card = json.dumps(answer["attachments"][0]["content"])
    assert "until {{DATE(2026-11-23T09:15:00Z, SHORT)}} at {{TIME(2026-11-23T09:15:00Z)}}" in card
    assert exports_recorded(teams) == []  # nothing is built until the link is opened

    teams.clock.set(teams.clock.now() + timedelta(minutes=14))
    got = fetch(link_in(answer))
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert 'filename="golive-export-xlsx-2026-11-23.zip"' in got.headers["content-disposition"]
    assert got.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert sorted(archive.namelist()) == [
        "golive-audit-trail-2026-11-23.csv",
        "golive-records-2026-11-23.xlsx",
    ]
    book = openpyxl.load_workbook(io.BytesIO(archive.read("golive-records-2026-11-23.xlsx")))
    _header, *rows = book["Issue log"].iter_rows(values_only=True)
    assert any("Night checks not saving" in str(cell) for row in rows for cell in row)
    [note] = exports_recorded(teams)
    assert note.startswith("golive-records-2026-11-23.xlsx, golive-audit-trail-2026-11-23.csv")
    assert note.endswith("(downloaded from a Teams link)")


def test_the_evidence_pack_comes_as_one_web_page(served: TeamsApp) -> None:
    got = fetch(link_in(said(served, "export evidence", served.world.project_lead)))
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert 'filename="golive-evidence-pack-2026-11-23.html"' in got.headers["content-disposition"]
    assert "<html" in got.text.lower()


def test_an_expired_link_is_refused_with_a_page_that_says_so(served: TeamsApp) -> None:
    teams = served
    url = link_in(said(teams, "export csv", teams.world.manager))
    teams.clock.set(teams.clock.now() + timedelta(minutes=15))
    got = fetch(url)
    assert got.status_code == 410
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert "This link has expired" in got.text and "Traceback" not in got.text
    assert exports_recorded(teams) == []


def test_a_link_altered_to_ask_for_more_is_refused(served: TeamsApp) -> None:
    teams = served
    url = link_in(said(teams, "export evidence", teams.world.manager))
    base, token = url.rsplit("/", 1)
    payload, signature = token.split(".")
    other = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for forged in (f"{other}.{signature}", payload, f"{payload}.{signature[:-1]}", "x.y"):
        got = fetch(f"{base}/{forged}")
        assert got.status_code == 403, forged
        assert "This link is not one golive made" in got.text
    assert exports_recorded(teams) == []


def test_staff_without_an_export_role_get_no_link(served: TeamsApp) -> None:
    answer = said(served, "export", served.world.staff)
    assert answer["text"].startswith("You can't export the register and logs.")
    assert "actions" not in answer["attachments"][0]["content"]


def test_a_manager_whose_role_is_removed_cannot_use_the_link_they_were_given(
    served: TeamsApp,
) -> None:
    teams = served
    url = link_in(said(teams, "export xlsx", teams.world.manager))
    with session_scope(teams.engine) as session:
        people.revoke_role(
            session,
            actor=COMMAND_LINE,
            person=people.person_by_id(session, person_id=teams.world.manager.id),
            role=Role.REGISTERED_MANAGER,
            service=teams.world.oakwood,
            now=teams.clock.now(),
        )
    got = fetch(url)
    assert got.status_code == 403
    assert "You can&#x27;t export the register and logs." in got.text
    assert exports_recorded(teams) == []


def test_an_export_typed_wrong_gets_the_usage(served: TeamsApp) -> None:
    answer = said(served, "export spreadsheets", served.world.manager)
    assert answer["text"] == "Say what to export, like export [xlsx | csv | evidence | pdf | all]."
    assert said(served, "export xlsx here", served.world.manager)["text"] == answer["text"]


def test_without_a_public_address_golive_says_so_instead_of_giving_a_dead_link(
    teams: TeamsApp,
) -> None:
    answer = said(teams, "export xlsx", teams.world.manager)
    assert "TEAMS_PUBLIC_URL" in answer["text"]
    assert "actions" not in answer["attachments"][0]["content"]


def test_an_export_asked_for_in_a_channel_comes_to_the_askers_personal_chat(
    served: TeamsApp,
) -> None:
    teams = served
    manager = teams.user(teams.world.manager)
    before = len(teams.fake.activities(SEND))
    asked = teams.fake.message(
        "<at>golive</at> export xlsx",
        user=manager,
        conversation=PROJECT_CONVERSATION,
        conversation_type="channel",
    )
    assert teams.send(asked).status_code == 200
    sent = teams.fake.wait_for(SEND, before + 2)[before:]
    by_chat = {s.conversation: s.body for s in sent}
    assert by_chat[PROJECT_CONVERSATION]["text"] == (
        "Your export's link is in your personal chat with golive."
    )
    assert "actions" not in by_chat[PROJECT_CONVERSATION]["attachments"][0]["content"]
    personal = teams.fake.personal[manager.teams_id]
    assert fetch(link_in(by_chat[personal])).status_code == 200
