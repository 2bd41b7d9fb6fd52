"""A resident's NHS number or date of birth is refused where it is typed, and masked wherever
it is shown if one got in before the check (or by import): triage posts, digests, exports for
roles that should not see it. Only a registered manager, quality lead or admin receives it,
privately."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from documents.csv_files import csv_files
from documents.evidence import export_files
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import issues
from store.records.models import Issue, Person
from store.records.privacy import (
    DOB_MASK,
    NHS_MASK,
    Kind,
    find_personal_data,
    mask,
    may_see_personal_data,
    nhs_number_valid,
)
from tests.conftest import START
from tests.reliability import tally
from tests.schedules_world import seed
from tests.slackapp import SlackApp
from tests.world import PROJECT_CHANNEL, TRIAGE_CHANNEL

SUITE = "privacy"
NHS = "943 476 5919"
QUICK = settings(max_examples=100, deadline=None, derandomize=True)


def nhs_numbers() -> st.SearchStrategy[str]:
    """Valid NHS numbers: nine digits, then the modulus-11 check digit (10 is never issued)."""

    def finish(first: str) -> str | None:
        total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        return None if check == 10 else first + str(check)

    nine = st.text("0123456789", min_size=9, max_size=9)
    return nine.map(finish).filter(lambda n: n is not None)  # type: ignore[arg-type, return-value]


@QUICK
@given(number=nhs_numbers(), style=st.sampled_from(["{}", "{} {} {}", "{}-{}-{}"]), data=st.data())
def test_every_valid_nhs_number_is_found_and_masked_in_any_text(
    number: str, style: str, data: st.DataObject
) -> None:
    written = (
        style.format(number) if style == "{}" else style.format(number[:3], number[3:6], number[6:])
    )
    before = data.draw(st.sampled_from(["", "NHS no ", "Mrs B (", "resident: "]))
    after = data.draw(st.sampled_from(["", " missed meds", ") in room 12", "."]))
    sentence = before + written + after
    assert [f.kind for f in find_personal_data(sentence)] == [Kind.NHS_NUMBER]
    assert mask(sentence) == before + NHS_MASK + after
    tally(SUITE, cases=1)


@QUICK
@given(number=nhs_numbers(), wrong=st.integers(1, 9))
def test_a_ten_digit_number_failing_the_check_is_left_alone(number: str, wrong: int) -> None:
    broken = number[:9] + str((int(number[9]) + wrong) % 10)
    assert not nhs_number_valid(broken)
    assert find_personal_data(f"order {broken} delivered") == []
    tally(SUITE, cases=1)


def test_dates_of_birth_in_common_uk_forms_are_masked_and_go_live_dates_are_not() -> None:
    births = [
        "DOB 12/03/41",
        "d.o.b: 1-3-1941",
        "date of birth 12.03.1941",
        "born 12 March 1941",
        "born on 3rd Sept 1939",
        "birthday 1941-03-12",
        "seen 12/03/1941 by GP",
    ]
    for sentence in births:
        assert DOB_MASK in mask(sentence), sentence
    for sentence in [
        "go-live on 12/03/2026",
        "review 2026-12-01",
        "Room 12, 3 March 2027",
        "31/02/1941 is no date",
        "phone 01632 960 983",
    ]:
        assert find_personal_data(sentence) == [], sentence
    tally(SUITE, cases=12)


def _smuggle(slack: SlackApp, ref_number: int, description: str) -> None:
    """Text that got in before the check existed (or by import): written past the store."""
    with session_scope(slack.engine) as session:
        session.execute(
            text("UPDATE issue SET description = :d WHERE number = :n"),
            {"d": description, "n": ref_number},
        )


def test_triage_post_masks_an_nhs_number_that_got_into_a_record(slack: SlackApp) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    _smuggle(slack, 1, f"eMAR lost the round for NHS {NHS}, born 12/03/1941")
    slack.deliver()
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    shown = str(post.get("blocks")) + post.get("text", "")
    assert NHS not in shown and "12/03/1941" not in shown
    assert NHS_MASK in shown and DOB_MASK in shown
    tally(SUITE, cases=1)


def test_digest_masks_personal_data_in_issue_lines(slack: SlackApp) -> None:
    seeded = seed(slack.engine, slack.world, start=START)
    with session_scope(slack.engine) as session:
        number = session.exec(select(Issue.number).order_by(Issue.number)).first()
    assert number is not None and seeded.urgent
    _smuggle(slack, number, f"NHS {NHS} eMAR down")
    slack.clock.set(START)
    run_job("daily_digest", engine=slack.engine, settings=slack.settings, at=START)
    slack.deliver()
    posted = str(slack.fake.messages(PROJECT_CHANNEL))
    assert "eMAR down" in posted
    assert NHS not in posted and NHS_MASK in posted
    tally(SUITE, cases=1)


def _issue_log_csv(files: list[tuple[str, bytes]]) -> str:
    [data] = [data for name, data in files if name.startswith("golive-issue-log-")]
    return data.decode("utf-8-sig")


def test_exports_mask_personal_data_unless_the_reader_may_see_it(slack: SlackApp) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    _smuggle(slack, 1, f"Resident NHS {NHS} had no MAR")
    with session_scope(slack.engine) as session:
        masked = _issue_log_csv(csv_files(session, day=START.date()))
        revealed = _issue_log_csv(csv_files(session, day=START.date(), reveal=True))
        pack = export_files(session, "evidence", now=START)[0][1].decode()
        world = slack.world
        allowed = {
            name: may_see_personal_data(session, getattr(world, name))
            for name in ("manager", "quality_lead", "admin", "project_lead", "board_member")
        }
    assert NHS not in masked and NHS_MASK in masked
    assert NHS in revealed
    assert NHS not in pack
    assert allowed == {
        "manager": True,
        "quality_lead": True,
        "admin": True,
        "project_lead": False,
        "board_member": False,
    }
    rows = list(csv.DictReader(io.StringIO(masked)))
    assert rows and all(NHS not in value for row in rows for value in row.values())
    tally(SUITE, cases=3)


def test_project_lead_gets_a_masked_export_and_the_registered_manager_the_full_one(
    slack: SlackApp,
) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    _smuggle(slack, 1, f"Resident NHS {NHS} had no MAR")
    got = {}
    for who in ("project_lead", "manager"):
        slack.fake.clear()
        slack.command("export csv", user=getattr(slack.world, who).slack_user_id)
        files = {f.filename: f.content or b"" for f in slack.fake.uploaded_files()}
        got[who] = _issue_log_csv(list(files.items()))
    assert NHS not in got["project_lead"] and NHS_MASK in got["project_lead"]
    assert NHS in got["manager"]
    tally(SUITE, cases=2)


def test_personal_data_check_covers_triage_notes_too(slack: SlackApp) -> None:
    """The check sits in the store's one free-text rule, so every form that takes text has it."""
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    with session_scope(slack.engine) as session:
        manager = session.get(Person, slack.world.manager.id)
        assert manager is not None
        with pytest.raises(ValidationError, match="resident or room reference") as refused:
            issues.add_immediate_control(
                session, actor=manager, ref="GL-0001", description=f"Check {NHS} hourly", now=START
            )
    assert refused.value.field == "control"
    tally(SUITE, cases=1)
