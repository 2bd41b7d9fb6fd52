"""Every modal golive opens, opened through a real ``golive serve`` the way staff open it (a
command, a button on a post, a direct message, a shortcut or the Home tab), filled from its
labels as a person reads them, and sent: nothing comes back beside a field, and the change
shows where people look (a post or its thread, a direct message, the Home tab, or the
modal's own last word).

One ``golive serve`` per backend serves the whole module; each story makes the records it
needs through Slack, so it can run alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.blackbox.forms import fill
from tests.blackbox.harness import BOARD, TRIAGE, wait_until
from tests.blackbox.staffed import (
    BOARD_MEMBER,
    LONDON,
    MANAGER,
    NEWCOMER,
    PROJECT_LEAD,
    QUALITY_LEAD,
    SERVICE_NAME,
    STAFF,
    TEAM_LEADER,
    Answer,
    World,
    as_message,
    element,
    served_world,
)
from tests.conftest import BACKENDS
from tests.slack_requests import Response, static_select

Json = dict[str, Any]

EVERY_MODAL = {
    "report_issue",
    "triage_assign",
    "triage_urgency",
    "triage_control",
    "triage_correction",
    "triage_supplier",
    "triage_close",
    "triage_reopen",
    "risk_add",
    "risk_edit",
    "risk_status",
    "score_risk",
    "control_add",
    "control_assign",
    "control_update",
    "decision_record",
    "review_start",
    "review_verdict",
    "review_transfer",
    "review_leadership_action",
    "review_audits",
    "review_audit_result",
    "review_close",
    "reminder_answer",
    "quiet_hours",
}
"""The modals with a submit button that golive opens (bot/views, commands): each one is sent
by some story below."""


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One provider per backend, set up from the CLI and served for the whole module."""
    folder = tmp_path_factory.mktemp(f"modals-{request.param}")
    with served_world(str(request.param), folder) as running:
        yield running


# ---------------------------------------------------------------------- helpers


def in_days(days: int) -> str:
    """A date ``days`` from today where the provider is, as a datepicker sends it."""
    return (dt.datetime.now(LONDON).date() + dt.timedelta(days=days)).isoformat()


def sent(ack: Response) -> Json:
    """The submission's answer; fails when golive put errors beside the fields."""
    assert ack.status == 200, f"HTTP {ack.status}: {ack.body}"
    body: Json = ack.json() if ack.body.strip() else {}
    assert body.get("response_action") != "errors", body
    return body


def last_word(ack: Response, *words: str) -> str:
    """The notice the modal closed on (its title and text), which must say each of ``words``."""
    body = sent(ack)
    assert body.get("response_action") == "update", body
    shown = json.dumps([body["view"].get("title"), body["view"].get("blocks")], ensure_ascii=False)
    for word in words:
        assert word in shown, f"'{word}' not in {shown}"
    return shown


def modal_from(answer: Answer, title: str) -> Json:
    """The modal a command or a click opened, titled ``title`` (not a refusal)."""
    assert not answer.failed, answer.text
    view = answer.view
    assert view["title"]["text"] == title, answer.text[:800]
    return view


def reply_text(answer: Answer) -> str:
    """What the private replies to a command said, blocks and all."""
    return "\n".join(
        str(r.get("text")) + json.dumps(r.get("blocks") or [], ensure_ascii=False)
        for r in answer.replies
    )


def detail(world: World, risk: str, user: str = MANAGER) -> Json:
    """``/golive risk R-…``: the private reply with the risk and its buttons."""
    answer = world.command(f"risk {risk}", user)
    assert answer.replies and not answer.failed, answer.text
    return answer.replies[-1]


def control_ids(reply: Json) -> dict[str, str]:
    """Each control's ref on a risk's detail, and the id its menu carries."""
    found = {}
    for block in reply.get("blocks") or []:
        ref = re.search(r"\*(C-\d+)\*", str((block.get("text") or {}).get("text")))
        menu = block.get("accessory") or {}
        if ref and menu.get("type") == "overflow":
            found[ref.group(1)] = menu["options"][0]["value"].split(":")[1]
    return found


def thread_after(world: World, ref: str, seen: int) -> Json:
    """The triage post's thread once it has more than ``seen`` messages: the newest."""
    post = world.triage_post(ref)
    thread = wait_until(
        f"a new line in {ref}'s triage thread",
        lambda: world.fake.messages(TRIAGE, post["ts"])[seen:],
        within=10,
    )
    return thread[-1]


def triage(world: World, ref: str, button: str, answers: dict[str, Any]) -> Json:
    """A team leader presses ``button`` on the issue's triage post, answers the modal and
    sends it: the line it added to the post's thread."""
    post = world.triage_post(ref)
    element(post["blocks"], button, ref)
    seen = len(world.fake.messages(TRIAGE, post["ts"]))
    answer = world.click(button, ref, TEAM_LEADER, message=post, channel=TRIAGE)
    assert answer.modals and not answer.failed, answer.text
    assert sent(world.submit(answer.view, answers, TEAM_LEADER)) == {}
    return thread_after(world, ref, seen)


def post_shows(world: World, ref: str, words: str) -> Json:
    """The issue's triage post once it shows ``words``."""
    return wait_until(
        f"{ref}'s triage post showing '{words}'",
        lambda: [m for m in [world.triage_post(ref)] if words in json.dumps(m["blocks"])],
        within=10,
    )[0]


def dm_with(world: World, user: str, action_id: str, value_part: str = "") -> Json:
    """The newest direct message to ``user`` with a button ``action_id`` (value containing
    ``value_part``)."""

    def found() -> list[Json]:
        return [
            m
            for m in world.dm(user)
            if any(
                e.get("action_id") == action_id and value_part in str(e.get("value"))
                for b in m.get("blocks") or []
                for e in b.get("elements") or []
            )
        ]

    return wait_until(f"a message to {user} with {action_id}", found, within=10)[-1]


def button_value(message: Json, action_id: str, value_part: str = "") -> str:
    """The value a button on ``message`` carries, which is what golive reads from the click."""
    return next(
        str(e["value"])
        for b in message.get("blocks") or []
        for e in b.get("elements") or []
        if e.get("action_id") == action_id and value_part in str(e.get("value"))
    )


def new_risk(world: World, title: str, controls: list[str] | None = None) -> str:
    """A risk a registered manager records and owns (an unowned high risk would stop the
    project closing)."""
    return world.add_risk(title, controls or [], owner=MANAGER)


def add_control(world: World, risk: str, owner: str, due: str) -> str:
    """A registered manager adds a control from the risk's Add control button."""
    reply = detail(world, risk)
    answer = world.click("control_add_open", risk, MANAGER, message=as_message(reply))
    view = modal_from(answer, f"Control on {risk}")
    shown = last_word(
        world.submit(
            view,
            {"Control": "Night senior checks eMAR sign-offs", "Owner": owner, "Due by": due},
            MANAGER,
        ),
        "added",
    )
    found = re.search(r"C-\d+", shown)
    assert found is not None
    return found.group(0)


def ensure_review(world: World) -> None:
    """The post-implementation review under way (started from its modal if it is not)."""
    answer = world.command("review", QUALITY_LEAD)
    if answer.modals:
        sent(world.submit(answer.view, {}, QUALITY_LEAD))


# ---------------------------------------------------------------------- reporting


def test_staff_report_an_issue_from_slash_golive_and_triage_sees_it(world: World) -> None:
    before = {m["ts"] for m in world.fake.messages(TRIAGE)}
    view = modal_from(world.command("", STAFF), "Report a go-live issue")
    answers = {
        "Service": SERVICE_NAME,
        "What kind of problem?": "Medication or eMAR",
        "What happened?": "Evening round: eMAR showed room 12's doses as given when they were not",
        "Impact on care": "Some impact on care",
        "How urgent?": "High",
        "Is there a workaround?": "Safe workaround in place",
        "The workaround": "Seniors check the paper MAR before each dose",
    }
    assert sent(world.submit(view, answers, STAFF)) == {}
    post = world.wait_message(TRIAGE, lambda m: m["ts"] not in before)
    shown = json.dumps(post["blocks"])
    assert "Medication or eMAR" in shown and "room 12" in shown
    ref = re.search(r"GL-\d+", post["text"])
    assert ref is not None
    world.wait_message("D" + STAFF, lambda m: ref.group(0) in m["text"])


def test_staff_report_an_issue_with_no_impact_on_care_picked_by_its_words(world: World) -> None:
    before = {m["ts"] for m in world.fake.messages(TRIAGE)}
    view = modal_from(world.command("", STAFF), "Report a go-live issue")
    answers = {
        "Service": SERVICE_NAME,
        "What happened?": "The new rota screen shows last week's shifts",
        "Impact on care": "No impact on care",
    }
    assert sent(world.submit(view, answers, STAFF)) == {}
    world.wait_message(TRIAGE, lambda m: m["ts"] not in before and "rota screen" in m["text"])


def test_staff_report_a_message_with_the_shortcut(world: World) -> None:
    said = world.fake.add_message(
        "C0FLOOR1", "Bed sensor alerts are not reaching the new handsets", user=STAFF
    )
    answer = world.shortcut("report_golive_issue", said, STAFF, "C0FLOOR1")
    view = modal_from(answer, "Report a go-live issue")
    assert "Bed sensor alerts" in json.dumps(view["blocks"]), "the message was not carried over"
    before = {m["ts"] for m in world.fake.messages(TRIAGE)}
    assert sent(world.submit(view, {"Service": SERVICE_NAME}, STAFF)) == {}
    post = world.wait_message(TRIAGE, lambda m: m["ts"] not in before)
    assert "Bed sensor alerts" in json.dumps(post["blocks"])


def test_staff_report_from_the_home_tab_and_see_it_listed_there(world: World) -> None:
    home = world.home(TEAM_LEADER)
    button = element(home["blocks"], "home_report")
    answer = world.click("home_report", button.get("value"), TEAM_LEADER, view=home)
    view = modal_from(answer, "Report a go-live issue")
    before = {m["ts"] for m in world.fake.messages(TRIAGE)}
    answers = {"Service": SERVICE_NAME, "What happened?": "Hoist sling sizes missing in care plans"}
    assert sent(world.submit(view, answers, TEAM_LEADER)) == {}
    post = world.wait_message(TRIAGE, lambda m: m["ts"] not in before)
    ref = re.search(r"GL-\d+", post["text"])
    assert ref is not None
    wait_until(
        "the Home tab listing the report",
        lambda: ref.group(0) in json.dumps(world.fake.home(TEAM_LEADER)),
        within=10,
    )


def test_staff_read_an_issue_they_reported_from_the_home_tab(world: World) -> None:
    """The one modal that only shows: nothing to fill, nothing to send."""
    ref = world.report_issue()
    home = world.home(STAFF)
    element(home["blocks"], "query_issue_details", ref)
    answer = world.click("query_issue_details", ref, STAFF, view=home)
    assert answer.modals and not answer.failed, answer.text
    assert ref in json.dumps(answer.view["blocks"])
    assert "submit" not in answer.view


# ---------------------------------------------------------------------- triage


def test_a_team_leader_gives_an_issue_an_owner(world: World) -> None:
    ref = world.report_issue()
    line = triage(world, ref, "triage_assign", {"Who owns this issue?": MANAGER})
    assert "assigned" in json.dumps(line)
    world.wait_message("D" + MANAGER, lambda m: ref in m["text"])


def test_a_team_leader_raises_an_issue_to_urgent(world: World) -> None:
    ref = world.report_issue()
    line = triage(world, ref, "triage_urgency", {"Urgency": "Urgent"})
    assert "urgent" in json.dumps(line)
    post_shows(world, ref, "Urgent")


def test_a_team_leader_records_an_immediate_control(world: World) -> None:
    ref = world.report_issue()
    answers = {
        "What is in place to keep care safe now?": "Paper MAR checked by a senior each round",
        "Who makes sure it happens?": TEAM_LEADER,
        "Until (review date)": in_days(3),
    }
    triage(world, ref, "triage_control", answers)
    post_shows(world, ref, "Paper MAR checked by a senior")


def test_a_team_leader_sets_the_correction_action(world: World) -> None:
    ref = world.report_issue()
    answers = {
        "What will put it right?": "Supplier resets the tablet profiles",
        "Target date": in_days(5),
    }
    triage(world, ref, "triage_correction", answers)
    post_shows(world, ref, "Supplier resets the tablet profiles")


def test_a_team_leader_marks_an_issue_awaiting_the_supplier(world: World) -> None:
    ref = world.report_issue()
    triage(world, ref, "triage_supplier", {"Note (supplier ticket, what was asked)": "Ticket 4471"})
    post_shows(world, ref, "Awaiting supplier")


def test_a_team_leader_closes_a_resolved_issue_with_evidence_then_reopens_it(world: World) -> None:
    ref = world.report_issue()
    correction = {"What will put it right?": "Supplier fixed the session timeout"}
    triage(world, ref, "triage_correction", correction)
    post = world.triage_post(ref)
    element(post["blocks"], "triage_resolve", ref)
    world.click("triage_resolve", ref, TEAM_LEADER, message=post, channel=TRIAGE, wait=False)
    post_shows(world, ref, "triage_close")
    evidence = "A week of complete eMAR records on the first floor since the fix"
    triage(world, ref, "triage_close", {"Closure evidence": evidence})
    post_shows(world, ref, "Closed")
    triage(world, ref, "triage_reopen", {"Why is it being reopened?": "Logged out again at 08:05"})
    post_shows(world, ref, "Reopened")


# ---------------------------------------------------------------------- the risk register


def test_a_registered_manager_records_a_risk_with_every_question_answered(world: World) -> None:
    view = modal_from(world.command("risk add", MANAGER), "Record a risk")
    answers = {
        "Risk": "Agency staff cannot log in on their first shift",
        "What could happen, and to whom": "Medicines given late to residents on the ground floor",
        "Category": "Access",
        "Scope": SERVICE_NAME,
        "Risk owner": MANAGER,
        "Escalation route": "Project board, then the supplier",
        "First controls (one per line)": "Temporary logins held by the nurse in charge\nBuddy",
        "Review by": in_days(10),
    }
    shown = last_word(world.submit(view, answers, MANAGER), "recorded")
    ref = re.search(r"R-\d+", shown)
    assert ref is not None
    listed = json.dumps(detail(world, ref.group(0)))
    assert "Agency staff cannot log in" in listed and "Temporary logins" in listed


def test_a_registered_manager_edits_a_risk_from_its_detail(world: World) -> None:
    risk = new_risk(world, "Tablets run flat on nights")
    answer = world.click("risk_edit_open", risk, MANAGER, message=as_message(detail(world, risk)))
    view = modal_from(answer, f"Edit {risk}")
    answers = {"Risk": "Tablets run flat before the night round ends"}
    last_word(world.submit(view, answers, MANAGER), risk, "updated")
    assert "before the night round ends" in json.dumps(detail(world, risk))


def test_a_registered_manager_escalates_a_risk(world: World) -> None:
    risk = new_risk(world, "No Wi-Fi in the garden annexe")
    answer = world.click("risk_status_open", risk, MANAGER, message=as_message(detail(world, risk)))
    view = modal_from(answer, f"Status of {risk}")
    answers = {"New status": "Escalated", "Why": "Needs capital spend the home cannot approve"}
    last_word(world.submit(view, answers, MANAGER), risk, "escalated")
    assert "Escalated" in json.dumps(detail(world, risk))


def test_the_quality_lead_scores_a_risk_and_sees_the_band_at_once(world: World) -> None:
    risk = new_risk(world, "Allergies lost in the data migration", ["Pharmacist checks"])
    view = modal_from(world.command(f"score {risk}", QUALITY_LEAD), f"Score {risk}")
    chosen = {"Likelihood": "4 · Likely", "Impact": "3 · Moderate"}
    likelihood = next(
        b for b in view["blocks"] if (b.get("label") or {}).get("text") == "Likelihood"
    )
    updates = len(world.fake.calls("views.update"))
    world.click(
        likelihood["element"]["action_id"],
        None,
        QUALITY_LEAD,
        view=view,
        action=static_select("4", "4 · Likely"),
        state=fill(view, chosen, user=QUALITY_LEAD),
        wait=False,
    )
    world.fake.wait_for("views.update", updates + 1, timeout=10)
    redrawn = world.fake.view(view["id"])
    assert "*12*" in json.dumps(redrawn["blocks"]), "the score was not shown as chosen"
    answers = {
        **chosen,
        "Why this score": "Two homes found allergy gaps in the migration audit",
        "Target likelihood once controls work": "2 · Unlikely",
        "Target impact once controls work": "3 · Moderate",
    }
    last_word(world.submit(redrawn, answers, QUALITY_LEAD), risk, "scored")
    assert "*12*" in json.dumps(detail(world, risk))


def test_a_registered_manager_adds_a_control_from_a_risk(world: World) -> None:
    risk = new_risk(world, "Care notes typed twice during parallel running")
    control = add_control(world, risk, owner=TEAM_LEADER, due=in_days(7))
    assert control in json.dumps(detail(world, risk))
    world.wait_message("D" + TEAM_LEADER, lambda m: control in m["text"])


def test_a_registered_manager_adds_a_control_by_command(world: World) -> None:
    risk = new_risk(world, "Handheld scanners not yet delivered")
    view = modal_from(world.command(f"control add {risk}", MANAGER), f"Control on {risk}")
    last_word(world.submit(view, {"Control": "Borrow scanners from Elm Lodge"}, MANAGER), "added")


def test_a_registered_manager_reassigns_a_control_from_its_menu(world: World) -> None:
    risk = new_risk(world, "Relatives' portal shows the wrong home", ["Manual letters"])
    reply = detail(world, risk)
    (control, control_id), *_ = control_ids(reply).items()
    answer = world.click(
        "control_menu",
        None,
        MANAGER,
        message=as_message(reply),
        action={"type": "overflow", "selected_option": {"value": f"assign:{control_id}"}},
    )
    view = modal_from(answer, f"Assign {control}")
    answers = {"Owner": PROJECT_LEAD, "Due by": in_days(9)}
    last_word(world.submit(view, answers, MANAGER), control, f"<@{PROJECT_LEAD}>")
    world.wait_message("D" + PROJECT_LEAD, lambda m: control in m["text"])


def test_a_registered_manager_updates_a_control_from_its_menu(world: World) -> None:
    risk = new_risk(world, "Night audit report not built yet", ["Weekly manual audit"])
    reply = detail(world, risk)
    (control, control_id), *_ = control_ids(reply).items()
    answer = world.click(
        "control_menu",
        None,
        MANAGER,
        message=as_message(reply),
        action={"type": "overflow", "selected_option": {"value": f"update:{control_id}"}},
    )
    view = modal_from(answer, f"Update {control}")
    last_word(world.submit(view, {"Status": "In progress"}, MANAGER), control, "in progress")
    assert "In progress" in json.dumps(detail(world, risk))


def test_a_control_owner_says_it_is_delayed_from_their_message(world: World) -> None:
    risk = new_risk(world, "Fire evacuation list not in the new system")
    control = add_control(world, risk, owner=BOARD_MEMBER, due=in_days(4))
    message = dm_with(world, BOARD_MEMBER, "control_delayed")
    value = button_value(message, "control_delayed")
    answer = world.click(
        "control_delayed", value, BOARD_MEMBER, message=message, channel="D" + BOARD_MEMBER
    )
    view = modal_from(answer, f"Update {control}")
    answers = {"New due date": in_days(12), "Note": "Supplier moved the import to next week"}
    last_word(world.submit(view, answers, BOARD_MEMBER), control, "delayed")
    wait_until(
        "the owner's message showing the delay",
        lambda: "Delayed" in json.dumps(world.fake.find_message("D" + BOARD_MEMBER, message["ts"])),
        within=10,
    )


def test_an_ineffective_control_leads_to_another_control_and_a_rescore(world: World) -> None:
    risk = new_risk(world, "Body maps do not sync to the handsets")
    control = add_control(world, risk, owner=QUALITY_LEAD, due=in_days(6))
    message = dm_with(world, QUALITY_LEAD, "control_ineffective")
    value = button_value(message, "control_ineffective")
    answer = world.click(
        "control_ineffective", value, QUALITY_LEAD, message=message, channel="D" + QUALITY_LEAD
    )
    view = modal_from(answer, f"Update {control}")
    answers = {"Note": "Staff still photograph body maps on personal phones"}
    body = sent(world.submit(view, answers, QUALITY_LEAD))
    assert body.get("response_action") == "update", body
    next_step = {**body["view"], "id": view["id"], "type": "modal"}
    assert "submit" not in next_step and risk in json.dumps(next_step["blocks"])

    another = world.click("control_add_open", risk, QUALITY_LEAD, view=next_step)
    pushed = modal_from(another, f"Control on {risk}")
    answers = {"Control": "Body maps on paper until sync works"}
    last_word(world.submit(pushed, answers, QUALITY_LEAD), "added")

    rescore = world.click("score_open", risk, QUALITY_LEAD, view=next_step)
    pushed = modal_from(rescore, f"Score {risk}")
    answers = {"Likelihood": "3 · Possible", "Impact": "2 · Minor", "Why this score": "Paper maps"}
    last_word(world.submit(pushed, answers, QUALITY_LEAD), "scored")
    assert "*6*" in json.dumps(detail(world, risk))


def test_a_control_owner_answers_a_checkpoint(world: World) -> None:
    risk = new_risk(world, "Medication fridge logs not migrated")
    control = add_control(world, risk, owner=NEWCOMER, due=in_days(8))
    opened = world.command('checkpoint "Wave 2 training complete"', PROJECT_LEAD)
    number = re.search(r"Checkpoint (\d+)", opened.text)
    assert number is not None, opened.text
    message = dm_with(world, NEWCOMER, "control_delayed", f":{number.group(1)}")
    value = button_value(message, "control_delayed", f":{number.group(1)}")
    answer = world.click(
        "control_delayed", value, NEWCOMER, message=message, channel="D" + NEWCOMER
    )
    view = modal_from(answer, f"Update {control}")
    answers = {"New due date": in_days(15), "Note": "Waiting for the fridge probes"}
    last_word(world.submit(view, answers, NEWCOMER), control)
    report = world.command(f"checkpoint report {number.group(1)}", PROJECT_LEAD)
    assert control in reply_text(report) and "Delayed" in reply_text(report), report.text


def test_a_board_member_records_a_decision_on_a_risk_and_on_an_issue(world: World) -> None:
    risk = new_risk(world, "Go-live week clashes with the CQC visit")
    issue = world.report_issue()
    for subject in (risk, issue):
        view = modal_from(world.command(f"decision {subject}", BOARD_MEMBER), "Board decision")
        answers = {
            "Decision": "Delay rollout",
            "What the board decided, and why": "Wave 2 moves a week so the CQC visit is not hit",
            "Owner of the follow-up": PROJECT_LEAD,
            "Follow up by": in_days(7),
        }
        last_word(world.submit(view, answers, BOARD_MEMBER), subject, "Delay rollout")
        world.wait_message(BOARD, lambda m, subject=subject: subject in m["text"])


# ---------------------------------------------------------------------- the review


def test_the_quality_lead_starts_the_post_implementation_review(world: World) -> None:
    new_risk(world, "Staff revert to paper when the Wi-Fi drops")
    answer = world.command("review", QUALITY_LEAD)
    if not answer.modals:
        pytest.skip(f"another story started the review first: {answer.text[:200]}")
    view = modal_from(answer, "Start the review")
    answers = {
        label: f"{label}: settled in two homes, patchy in the third"
        for label in (b["label"]["text"] for b in view["blocks"] if b.get("type") == "input")
    }
    assert len(answers) == 4, answers
    last_word(world.submit(view, answers, QUALITY_LEAD), "started")
    dm_with(world, MANAGER, "review_verdict_partly")


def test_a_registered_manager_answers_the_verdict_request(world: World) -> None:
    ensure_review(world)
    message = dm_with(world, MANAGER, "review_verdict_partly")
    risk = button_value(message, "review_verdict_partly")
    answer = world.click(
        "review_verdict_partly", risk, MANAGER, message=message, channel="D" + MANAGER
    )
    view = modal_from(answer, "Controls verdict")
    answers = {"Evidence": "March audit: two late doses, both on agency shifts"}
    last_word(world.submit(view, answers, MANAGER), risk, "partly effective")


def test_a_registered_manager_gives_a_verdict_by_command(world: World) -> None:
    risk = new_risk(world, "Visitors' log still on paper")
    ensure_review(world)
    view = modal_from(world.command(f"verdict {risk}", MANAGER), "Controls verdict")
    answers = {"Were the original controls effective?": "Effective", "Evidence": "No gaps found"}
    last_word(world.submit(view, answers, MANAGER), risk, "effective")


def test_the_project_lead_transfers_a_risk_to_business_as_usual(world: World) -> None:
    risk = new_risk(world, "Supplier support ends at 17:00")
    ensure_review(world)
    view = modal_from(world.command(f"transfer {risk}", PROJECT_LEAD), "Transfer to BAU")
    answers = {
        "Owner from now on": MANAGER,
        "Next review date": in_days(30),
        "Why it stays open": "Out-of-hours support is in next year's contract",
    }
    shown = last_word(world.submit(view, answers, PROJECT_LEAD), "business-as-usual")
    moved = re.search(rf"\*{risk}\* is now \*(R-\d+)\*", shown)
    assert moved is not None and moved.group(1) != risk, shown
    assert "Transferred" in json.dumps(detail(world, risk))
    assert "Supplier support ends at 17:00" in json.dumps(detail(world, moved.group(1)))


def test_a_board_member_records_a_leadership_action(world: World) -> None:
    ensure_review(world)
    view = modal_from(world.command("leadership-action", BOARD_MEMBER), "Leadership action")
    answers = {
        "Action the leadership team agreed": "Fund a super-user on every night shift to March",
        "Owner": PROJECT_LEAD,
        "Due date": in_days(21),
    }
    last_word(world.submit(view, answers, BOARD_MEMBER), "recorded", f"<@{PROJECT_LEAD}>")


def test_the_quality_lead_schedules_audits_and_records_their_results(world: World) -> None:
    ensure_review(world)
    view = modal_from(world.command("audits", QUALITY_LEAD), "Follow-up audits")
    answers = {
        "What the audit checks": "Record completion on night shifts",
        "First audit due": in_days(14),
        "Repeat monthly for": "2 months",
    }
    shown = last_word(world.submit(view, answers, QUALITY_LEAD), "scheduled")
    first, second = list(dict.fromkeys(re.findall(r"FA-\d+", shown)))[:2]

    view = modal_from(world.command(f"audit {first}", QUALITY_LEAD), "Audit result")
    answers = {"What the audit found": "98% of night records complete"}
    last_word(world.submit(view, answers, QUALITY_LEAD), first, "result recorded")

    status = world.command("review", QUALITY_LEAD)
    reply = status.replies[-1]
    element(reply["blocks"], "review_result_open", second)
    answer = world.click("review_result_open", second, QUALITY_LEAD, message=as_message(reply))
    view = modal_from(answer, "Audit result")
    answers = {"What the audit found": "99% complete; no gaps on agency shifts"}
    last_word(world.submit(view, answers, QUALITY_LEAD), second, "result recorded")


# ---------------------------------------------------------------------- yourself


def test_a_night_worker_sets_quiet_hours_from_the_home_tab(world: World) -> None:
    home = world.home(TEAM_LEADER)
    element(home["blocks"], "quiet_hours_open")
    answer = world.click("quiet_hours_open", "home", TEAM_LEADER, view=home)
    view = modal_from(answer, "Quiet hours")
    assert (
        sent(world.submit(view, {"When should reminders wait?": "22:00-07:00"}, TEAM_LEADER)) == {}
    )
    wait_until(
        "the Home tab showing the quiet hours",
        lambda: "22:00-07:00" in json.dumps(world.fake.home(TEAM_LEADER)),
        within=10,
    )


def reminder_for(control_id: str, ref: str, due: str) -> list[Json]:
    """One item of the overdue-reminder DM as bot/templates/digests/reminder.j2 words it: the
    item, then its buttons, each carrying ``control:ID:DUE``."""
    value = f"control:{control_id}:{due}"
    buttons = [
        ("reminder_acknowledged", "Acknowledge"),
        ("reminder_delayed", "Delayed…"),
        ("reminder_ineffective", "Not working…"),
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{ref}* Control: overdue"}},
        {
            "type": "actions",
            "block_id": f"reminder:{value}",
            "elements": [
                {
                    "type": "button",
                    "action_id": action,
                    "value": value,
                    "text": {"type": "plain_text", "text": label},
                }
                for action, label in buttons
            ],
        },
    ]


def test_an_owner_answers_an_overdue_reminder_with_a_new_date(world: World) -> None:
    """A real reminder lists items past their date, and golive refuses any date before today,
    so none is overdue until tomorrow: the reminder is put in the owner's DM as golive words
    it, naming a real control, and everything from the click on is golive's own."""
    risk = new_risk(world, "Controlled drugs register not reconciled")
    due = in_days(0)
    control = add_control(world, risk, owner=NEWCOMER, due=due)
    control_id = control_ids(detail(world, risk))[control]
    message = world.fake.add_message(
        "D" + NEWCOMER,
        "1 overdue item of yours to look at today",
        user="UBOT",
        blocks=reminder_for(control_id, control, due),
    )
    value = button_value(message, "reminder_delayed")
    answer = world.click(
        "reminder_delayed", value, NEWCOMER, message=message, channel="D" + NEWCOMER
    )
    view = modal_from(answer, "Delayed")
    answers = {"New due date": in_days(20), "Why": "Pharmacy visit rebooked"}
    last_word(world.submit(view, answers, NEWCOMER), control, "Delayed")
    wait_until(
        "the reminder showing the answer",
        lambda: "Delayed" in json.dumps(world.fake.find_message("D" + NEWCOMER, message["ts"])),
        within=10,
    )
    assert "Delayed" in json.dumps(detail(world, risk))


# ---------------------------------------------------------------------- the end


def test_the_project_lead_closes_the_project_once_nothing_stops_it(world: World) -> None:
    ensure_review(world)
    answer = world.command("close-project", PROJECT_LEAD)
    for audit in re.findall(r"audit (FA-\d+)", reply_text(answer)):
        view = modal_from(world.command(f"audit {audit}", QUALITY_LEAD), "Audit result")
        sent(world.submit(view, {"What the audit found": "All records complete"}, QUALITY_LEAD))
    if not answer.modals:
        answer = world.command("close-project", PROJECT_LEAD)
    view = modal_from(answer, "Close the project")
    answers = {"Closing note": "Handed to business as usual; BAU risks reviewed monthly"}
    last_word(world.submit(view, answers, PROJECT_LEAD), "closed")


def test_every_modal_golive_opened_was_filled_and_sent(
    world: World, request: pytest.FixtureRequest
) -> None:
    opened = {
        str(call.answered["view"].get("callback_id"))
        for call in world.fake.calls()
        if call.method in ("views.open", "views.push")
        and call.accepted
        and call.answered["view"].get("submit")
    }
    assert opened <= set(world.submitted), f"opened, never sent: {opened - set(world.submitted)}"
    world.settle()
    errors = world.errors_since(0)
    assert not errors, "\n".join(errors[:20])
    stories = [item for item in request.session.items if item.module is request.module]
    every = [name for name in dir(request.module) if name.startswith("test_")]
    if len(stories) < len(every) * len(BACKENDS):
        pytest.skip("only some stories ran, so not every modal was opened")
    assert set(world.submitted) >= EVERY_MODAL, f"never sent: {EVERY_MODAL - set(world.submitted)}"
