"""Whatever people type, and whatever arrives over HTTP, golive answers with a clear message or
a 4xx: never a 500 or a traceback, and nothing half-written.

Every modal is opened the way a user opens it, then submitted with hostile answers drawn by
hypothesis for each input it shows (empty, whitespace, 3,001 characters, emoji, right-to-left
text, control characters, ``<!channel>``, impossible dates, likelihood 0 or 6, unknown
options and people, values of the wrong type), with one answer certainly wrong (too long, or
a resident's NHS number or date of birth), so each case must be refused: the answer is the
modal's field errors and every table keeps its row count. The slash-command parser and the
HTTP front door get the same treatment.
"""

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot.ids import ControlIds, RiskIds, Triage
from store.infra.db import session_scope
from tests.reliability import tally
from tests.risk_helpers import new_risk
from tests.slack_requests import (
    app_home_opened,
    event_callback,
    sign,
    slash_command,
    view_submission,
)
from tests.slackapp import SECRET, SlackApp, report_values

Json = dict[str, Any]
SUITE = "bad input"
EXAMPLES = 10
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

NHS_NUMBER = "Mrs B, NHS 943 476 5919, missed her 8am meds"
DATE_OF_BIRTH = "Resident DOB 12/03/1941 has no MAR chart"
TOO_LONG = "x" * 3001
CERTAINLY_WRONG = st.sampled_from([TOO_LONG, NHS_NUMBER, DATE_OF_BIRTH])

HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            "   \n\t ",
            TOO_LONG,
            "🙂🚑💊" * 40,
            "\u202eمريض الغرفة ١٢\u202c",
            "\x00\x07\x1b[31m\x7f",
            "<!channel> <!here> <@U0ADMIN> <https://evil.example|click>",
            NHS_NUMBER,
            DATE_OF_BIRTH,
            "0",
            "-1",
            "2026-02-30",
        ]
    ),
    st.text(max_size=60),
)
HOSTILE_OPTION = st.sampled_from(["", "not-an-option", "0", "6", "-1", "999", "🙂", "NULL"])
HOSTILE_DATE = st.sampled_from(["2026-02-30", "2026-13-01", "not a date", "", "0000-00-00"])
HOSTILE_USER = st.sampled_from(["", "UNOBODY99", "not a user", "<!channel>"])
WRONG_TYPE = st.sampled_from(
    [
        {"type": "plain_text_input", "value": 42},
        {"type": "static_select", "selected_option": "medication"},
        {"type": "datepicker", "selected_date": 20261201},
        {"type": "users_select", "selected_user": ["U1", "U2"]},
        {"type": "checkboxes", "selected_options": "all"},
        {"type": "number_input", "value": "six"},
        {},
    ]
)


# ---------------------------------------------------------------------------- the modals


def _new_issue(slack: SlackApp) -> str:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    return "GL-0001"


def _triage(action: Triage) -> Callable[[SlackApp], str]:
    def open_it(slack: SlackApp) -> str:
        ref = _new_issue(slack)
        slack.action(action, ref, user=slack.world.manager.slack_user_id)
        return slack.world.manager.slack_user_id

    return open_it


def _command(text: str, who: str, *, risk: bool = False) -> Callable[[SlackApp], str]:
    def open_it(slack: SlackApp) -> str:
        ref = new_risk(slack) if risk else ""
        user = getattr(slack.world, who).slack_user_id
        slack.command(text.format(ref=ref), user=user)
        return str(user)

    return open_it


def _add_control(slack: SlackApp) -> str:
    ref = new_risk(slack)
    slack.action(ControlIds.ADD, ref, user=slack.world.quality_lead.slack_user_id)
    return slack.world.quality_lead.slack_user_id


def _risk_button(action: RiskIds) -> Callable[[SlackApp], str]:
    def open_it(slack: SlackApp) -> str:
        ref = new_risk(slack)
        slack.action(action, ref, user=slack.world.project_lead.slack_user_id)
        return slack.world.project_lead.slack_user_id

    return open_it


MODALS: dict[str, Callable[[SlackApp], str]] = {
    "report": _command("", "staff"),
    "triage-control": _triage(Triage.CONTROL),
    "triage-correction": _triage(Triage.CORRECTION),
    "triage-supplier": _triage(Triage.SUPPLIER),
    "risk-add": _command("risk add", "project_lead"),
    "risk-score": _command("score {ref}", "quality_lead", risk=True),
    "control-add": _add_control,
    "decision": _command("decision {ref}", "board_member", risk=True),
    "risk-edit": _risk_button(RiskIds.EDIT),
    "risk-status": _risk_button(RiskIds.STATUS),
    "review-start": _command("review", "quality_lead"),
}


def row_counts(slack: SlackApp) -> dict[str, int]:
    """Rows in every table: what "nothing written" is checked against."""
    with session_scope(slack.engine) as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def inputs_of(view: Json) -> list[Json]:
    return [block for block in view["blocks"] if block.get("type") == "input"]


def state_for(element: Json, data: st.DataObject) -> Json:
    """A hostile answer shaped as Slack sends the element's state (or a wrongly typed one)."""
    kind = element["type"]
    if data.draw(st.integers(0, 9)) == 0:
        return data.draw(WRONG_TYPE)
    if kind in ("plain_text_input", "number_input"):
        value = data.draw(HOSTILE_TEXT if kind == "plain_text_input" else HOSTILE_OPTION)
        return {"type": kind, "value": value or None}
    if kind in ("static_select", "radio_buttons"):
        real = [o["value"] for o in element.get("options") or []]
        for group in element.get("option_groups") or []:
            real += [o["value"] for o in group["options"]]
        value = data.draw(st.one_of(HOSTILE_OPTION, st.sampled_from(real or [""])))
        option = {"value": value, "text": {"type": "plain_text", "text": value or "-"}}
        return {"type": kind, "selected_option": option if value else None}
    if kind in ("checkboxes", "multi_static_select"):
        values = data.draw(st.lists(HOSTILE_OPTION, max_size=3))
        options = [{"value": v, "text": {"type": "plain_text", "text": v or "-"}} for v in values]
        return {"type": kind, "selected_options": options}
    if kind == "datepicker":
        return {"type": kind, "selected_date": data.draw(HOSTILE_DATE) or None}
    if kind == "timepicker":
        return {"type": kind, "selected_time": data.draw(st.sampled_from(["25:00", "", "noon"]))}
    if kind == "users_select":
        return {"type": kind, "selected_user": data.draw(HOSTILE_USER) or None}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": data.draw(st.lists(HOSTILE_USER, max_size=2))}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": data.draw(HOSTILE_USER) or None}
    return {"type": kind}


def assert_refused(slack: SlackApp, answer: Any, before: dict[str, int], case: str) -> None:
    assert answer.status == 200, f"{case}: HTTP {answer.status}"
    assert "Traceback" not in answer.body
    body = answer.json()
    assert body.get("response_action") == "errors", f"{case}: accepted {answer.body[:300]}"
    assert body["errors"] and all(str(message).strip() for message in body["errors"].values())
    assert row_counts(slack) == before, f"{case}: something was written"


@pytest.mark.parametrize("modal", list(MODALS))
def test_every_modal_refuses_hostile_answers_beside_the_field_and_writes_nothing(
    slack: SlackApp, modal: str
) -> None:
    user = MODALS[modal](slack)
    slack.deliver()
    view = slack.opened_view()
    inputs = inputs_of(view)
    texts = [b for b in inputs if b["element"]["type"] == "plain_text_input"]
    assert texts, f"{modal} has no free text to break"
    before = row_counts(slack)
    tried = 0

    @FUZZ
    @given(data=st.data())
    def submit_hostile(data: st.DataObject) -> None:
        nonlocal tried
        values = {
            block["block_id"]: {block["element"]["action_id"]: state_for(block["element"], data)}
            for block in inputs
        }
        broken = data.draw(st.sampled_from(texts))
        values[broken["block_id"]] = {
            broken["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": data.draw(CERTAINLY_WRONG),
            }
        }
        answer = slack.submit(view, values, user=user)
        tried += 1
        assert_refused(slack, answer, before, f"{modal} {json.dumps(values)[:400]}")

    submit_hostile()
    tally(SUITE, cases=tried)


CHOICE_MODALS: dict[str, Callable[[SlackApp], str]] = {
    "triage-assign": _triage(Triage.ASSIGN),
    "triage-urgency": _triage(Triage.URGENCY),
}


@pytest.mark.parametrize("modal", list(CHOICE_MODALS))
def test_modals_of_choices_only_refuse_or_record_but_never_fail(
    slack: SlackApp, modal: str
) -> None:
    """No free text to break: a hostile choice is refused beside its field with nothing
    written, or, when it happens to be a real choice, recorded; never a failure."""
    user = CHOICE_MODALS[modal](slack)
    slack.deliver()
    view = slack.opened_view()
    inputs = inputs_of(view)
    tried = 0

    @FUZZ
    @given(data=st.data())
    def submit_hostile(data: st.DataObject) -> None:
        nonlocal tried
        before = row_counts(slack)
        values = {
            block["block_id"]: {block["element"]["action_id"]: state_for(block["element"], data)}
            for block in inputs
        }
        answer = slack.submit(view, values, user=user)
        tried += 1
        assert answer.status == 200 and "Traceback" not in answer.body
        body = answer.json() if answer.body.strip() else {}
        assert "Something went wrong" not in answer.body
        if body.get("response_action") == "errors":
            assert row_counts(slack) == before

    submit_hostile()
    tally(SUITE, cases=tried)


def test_reporter_who_types_an_nhs_number_is_asked_for_a_room_reference(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.command("", user=staff)
    before = row_counts(slack)
    values = report_values(service_id=slack.world.oakwood.id, description=NHS_NUMBER)
    answer = slack.submit(slack.opened_view(), values, user=staff)
    errors = answer.json()["errors"]
    assert list(errors) == ["description"]
    assert "resident or room reference" in errors["description"]
    assert "NHS number" in errors["description"]
    assert row_counts(slack) == before
    tally(SUITE, cases=1)


# ------------------------------------------------------------------- the command parser

WORDS = st.sampled_from(
    [
        "mine",
        "list",
        "risks",
        "risk",
        "score",
        "control",
        "controls",
        "decision",
        "phase",
        "export",
        "checkpoint",
        "band:purple",
        "service:nowhere",
        "owner:<@UNOBODY|x>",
        "GL-99999",
        "R-999",
        "C-0",
        "complete",
        "delayed",
        "2026-02-30",
        '"unclosed',
        "<!channel>",
        "🙂",
        "\u202e",
        "\x00",
    ]
)


@settings(FUZZ, max_examples=15)
@given(words=st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=5))
def test_any_command_text_gets_an_answer_and_never_a_failure(
    slack: SlackApp, words: list[str]
) -> None:
    """A member of staff with no roles: whatever they type, a reply and no change."""
    before = row_counts(slack)
    slack.fake.clear()
    answer = slack.command(" ".join(words), user=slack.world.staff.slack_user_id)
    assert answer.status == 200 and "Traceback" not in answer.body
    said = [c for c in slack.fake.calls() if c.method in ("response_url", "views.open")]
    assert said or answer.body.strip(), f"no answer to {words!r}"
    assert row_counts(slack) == before
    tally(SUITE, cases=1)


# ------------------------------------------------------------------------ HTTP requests

VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TIMESTAMP = 1531420618
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977008"
    "85554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c4"
    "47fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
FORM = "application/x-www-form-urlencoded"


def _command_body() -> bytes:
    return urlencode(slash_command("mine", user_id="USTAFF01")).encode()


def _signed(body: bytes, content_type: str = FORM, **timestamp: int) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(body, SECRET, **timestamp)}


def _malformed() -> dict[str, tuple[bytes, dict[str, str], int]]:
    """Each: (body, headers, the status it must get)."""
    now = int(time.time())
    good = _command_body()
    bad_json = b"payload=" + b"%7B%22type%22%3A%20%22view_submission%22%2C"
    cases: dict[str, tuple[bytes, dict[str, str], int]] = {
        "stale timestamp": (good, _signed(good, timestamp=now - 6 * 60), 401),
        "future timestamp": (good, _signed(good, timestamp=now + 6 * 60), 401),
        "tampered body": (good + b"&text=export", _signed(good), 401),
        "no signature": (good, {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(now)}, 401),
        "signature of another secret": (
            good,
            {"Content-Type": FORM, **sign(good, "not-our-secret")},
            401,
        ),
        "Slack's documented test vector (right signature, long expired)": (
            VECTOR_BODY.encode(),
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": str(VECTOR_TIMESTAMP),
                "X-Slack-Signature": VECTOR_SIGNATURE,
            },
            401,
        ),
        "bad JSON payload, signed": (bad_json, _signed(bad_json), 400),
        "form without payload, signed": (b"foo=bar", _signed(b"foo=bar"), 404),
        "JSON that is not an object, signed": (
            b"[1, 2]",
            _signed(b"[1, 2]", "application/json"),
            400,
        ),
        "bad JSON body, signed": (b"{nope", _signed(b"{nope", "application/json"), 400),
        "empty body, signed": (b"", _signed(b""), 404),
    }
    for label, stamp in (("non-numeric", "yesterday"), ("empty", ""), ("huge", "9" * 40)):
        headers = {"Content-Type": FORM, **sign(good, SECRET)}
        headers["X-Slack-Request-Timestamp"] = stamp
        cases[f"{label} timestamp"] = (good, headers, 401)
    return cases


def test_slacks_documented_signing_vector_is_how_we_sign() -> None:
    """The tests' signer is Slack's algorithm: it reproduces the vector in Slack's docs."""
    signed = sign(VECTOR_BODY, VECTOR_SECRET, timestamp=VECTOR_TIMESTAMP)
    assert signed["X-Slack-Signature"] == VECTOR_SIGNATURE


def test_malformed_requests_get_a_4xx_and_write_nothing(slack: SlackApp) -> None:
    """One app, every malformed request in turn (signed now, so only the stale ones are)."""
    before = row_counts(slack)
    for case, (body, headers, status) in _malformed().items():
        answer = slack.driver.post_raw(body, headers)
        slack.settle()
        assert answer.status == status, f"{case}: HTTP {answer.status} {answer.body[:200]}"
        assert "Traceback" not in answer.body
        assert row_counts(slack) == before, case
        assert [c.method for c in slack.fake.calls() if c.method != "auth.test"] == [], case
        tally(SUITE, cases=1, faults=1)


def test_event_retried_by_slack_and_a_repeated_home_open_write_nothing_twice(
    slack: SlackApp,
) -> None:
    """Events are reads here; a retry of one (X-Slack-Retry-Num) answers 200 and changes no
    record, however often it comes."""
    event = app_home_opened(slack.world.staff.slack_user_id)
    first = slack.driver.event(event)
    slack.settle()
    before = row_counts(slack)
    for retry in (1, 2, 3):
        again = slack.driver.event(event, retry_num=retry)
        assert again.status == 200
    slack.settle()
    assert first.status == 200
    assert row_counts(slack) == before
    tally(SUITE, cases=4)


def test_submission_of_an_unknown_modal_is_answered_and_writes_nothing(slack: SlackApp) -> None:
    before = row_counts(slack)
    payload = view_submission("no_such_modal", {"x": {"x": {"type": "plain_text_input"}}})
    answer = slack.driver.interactive(payload)
    assert answer.status in (200, 404)
    assert "Traceback" not in answer.body
    assert row_counts(slack) == before
    unknown_event = slack.driver.post_json(event_callback({"type": "made_up_event"}))
    assert unknown_event.status in (200, 404)
    assert row_counts(slack) == before
    tally(SUITE, cases=2)
