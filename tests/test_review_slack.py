"""The post-implementation review and exports in Slack, through the real Bolt app over signed
HTTP with the fake Slack Web API: starting the review, managers' verdicts from their DMs,
transfers to business as usual, leadership actions, follow-up audits, each closing guard, and
``/golive export`` uploading the workbook and the evidence pack."""

import csv
import io
import json
from datetime import date, timedelta

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import select

from bot.ids import ReviewIds
from store.infra.db import session_scope
from store.records import issues, phases, review, risks
from store.records.enums import (
    Impact,
    IssueCategory,
    IssueSource,
    Phase,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.records.models import (
    AuditEvent,
    ControlVerdict,
    Effectiveness,
    FollowUpAudit,
    LeadershipAction,
    Risk,
)
from tests.slack_requests import (
    datepicker,
    plain_text_input,
    radio_buttons,
    static_select,
    users_select,
)
from tests.slackapp import SlackApp
from tests.world import BOARD_CHANNEL, PROJECT_CHANNEL, TRIAGE_CHANNEL

FINDINGS = {
    "data_quality": "Allergy flags complete for 98% of residents",
    "staff_confidence": "Night staff confident; bank staff need refreshers",
    "record_completion": "Daily notes completed on 96% of shifts",
    "workflow_stability": "Handover stable since week 2",
}


def values(**fields) -> dict:
    """``{block_id: {action_id: state}}`` for inputs whose action id is their block id."""
    return {block: {block: state} for block, state in fields.items()}


def opened(slack: SlackApp, method: str = "views.open") -> dict:
    return slack.fake.view(slack.fake.last(method).answered["view"]["id"])


def add_risk(slack: SlackApp, title: str, *, service=None, score=(3, 4), owner=True) -> str:
    world = slack.world
    with session_scope(slack.engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            now=slack.clock.now(),
            data=risks.NewRisk(
                title=title,
                category=RiskCategory.DATA_MIGRATION,
                scope=RiskScope.SERVICE if service else RiskScope.ORGANISATION,
                service_id=service.id if service else None,
                owner_id=world.manager.id if owner else None,
            ),
        )
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=risk.ref,
            likelihood=score[0],
            impact=score[1],
            reason="Initial",
            now=slack.clock.now(),
        )
        return risk.ref


def go_live(slack: SlackApp) -> None:
    slack.clock.advance(timedelta(days=1))
    with session_scope(slack.engine) as session:
        phases.set_phase(
            session, actor=slack.world.project_lead, phase=Phase.GO_LIVE, now=slack.clock.now()
        )
    slack.clock.advance(timedelta(days=1))


def start_review(slack: SlackApp) -> None:
    quality = slack.world.quality_lead.slack_user_id
    slack.command("review", user=quality)
    modal = opened(slack)
    assert modal["callback_id"] == ReviewIds.START_VIEW
    answer = slack.submit(
        modal, values(**{k: plain_text_input(v) for k, v in FINDINGS.items()}), user=quality
    )
    assert answer.json()["response_action"] == "update"


def report_safe_care_issue(slack: SlackApp) -> str:
    with session_scope(slack.engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=slack.world.staff,
            now=slack.clock.now(),
            report=issues.IssueReport(
                service_id=slack.world.oakwood.id,
                category=IssueCategory.MEDICATION,
                description="eMAR shows PRN given when it was not",
                impact=Impact.SAFE_CARE,
                urgency=Urgency.URGENT,
                workaround=Workaround.NONE,
                source=IssueSource.SLASH_COMMAND,
            ),
        )
        return issue.ref


def dm_blocks(slack: SlackApp, user_id: str) -> str:
    return json.dumps([m.get("blocks") for m in slack.fake.messages("D" + user_id)])


def test_quality_lead_starts_review_and_managers_are_asked_by_dm(slack: SlackApp) -> None:
    oakwood_risk = add_risk(slack, "Oakwood MAR migration", service=slack.world.oakwood)
    org_risk = add_risk(slack, "Agency staff access")
    go_live(slack)
    start_review(slack)
    with session_scope(slack.engine) as session:
        current = review.current_review(session)
        assert current is not None
        assert current.staff_confidence == FINDINGS["staff_confidence"]
    slack.deliver()
    manager = slack.world.manager.slack_user_id
    asked = dm_blocks(slack, manager)
    assert oakwood_risk in asked and org_risk not in asked
    assert ReviewIds.VERDICT_PARTLY.value in asked
    assert org_risk in dm_blocks(slack, slack.world.quality_lead.slack_user_id)
    assert slack.fake.messages("D" + slack.world.other_manager.slack_user_id) == []


def test_review_start_needs_every_finding_and_the_quality_lead(slack: SlackApp) -> None:
    manager = slack.world.manager.slack_user_id
    slack.command("review", user=manager)
    assert "Quality lead" in slack.last_reply()
    assert slack.fake.calls("views.open") == []
    quality = slack.world.quality_lead.slack_user_id
    slack.command("review", user=quality)
    answers = {k: plain_text_input(v) for k, v in FINDINGS.items()}
    answers["record_completion"] = plain_text_input("   ")
    answer = slack.submit(opened(slack), values(**answers), user=quality)
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"record_completion": "Record completion is required"},
    }
    with session_scope(slack.engine) as session:
        assert review.current_review(session) is None


def test_manager_records_a_verdict_from_the_dm_button(slack: SlackApp) -> None:
    ref = add_risk(slack, "Oakwood MAR migration", service=slack.world.oakwood)
    go_live(slack)
    start_review(slack)
    manager = slack.world.manager.slack_user_id
    slack.action(ReviewIds.VERDICT_PARTLY, ref, user=manager)
    modal = opened(slack)
    assert modal["private_metadata"] == ref
    verdict_input = next(b for b in modal["blocks"] if b.get("block_id") == ReviewIds.VERDICT)
    assert verdict_input["element"]["initial_option"]["value"] == "partly"
    answer = slack.submit(
        modal,
        values(
            verdict=radio_buttons("partly"),
            evidence=plain_text_input("Pharmacist found 3 errors <!channel>"),
        ),
        user=manager,
    )
    assert answer.json()["response_action"] == "update"
    with session_scope(slack.engine) as session:
        [verdict] = session.exec(select(ControlVerdict)).all()
        assert verdict.verdict == Effectiveness.PARTLY
        assert verdict.evidence == "Pharmacist found 3 errors <!channel>"
        assert verdict.given_by_id == slack.world.manager.id

    other = slack.world.other_manager.slack_user_id
    slack.action(ReviewIds.VERDICT_NO, ref, user=other)
    assert "can't record whether this risk's controls worked" in slack.last_reply()
    assert len(slack.fake.calls("views.open")) == 2  # the start modal and the first verdict


def test_project_lead_transfers_a_risk_to_business_as_usual(slack: SlackApp) -> None:
    ref = add_risk(slack, "Agency staff access", score=(4, 4))
    start_review(slack)
    lead = slack.world.project_lead.slack_user_id
    slack.command(f"transfer {ref}", user=lead)
    modal = opened(slack)
    today = slack.clock.now().date()
    past = slack.submit(
        modal,
        values(
            owner=users_select(slack.world.other_manager.slack_user_id),
            review_date=datepicker(today),
            note=plain_text_input(None),
        ),
        user=lead,
    )
    assert past.json()["response_action"] == "errors"
    assert "review_date" in past.json()["errors"]
    later = today + timedelta(days=90)
    answer = slack.submit(
        modal,
        values(
            owner=users_select(slack.world.other_manager.slack_user_id),
            review_date=datepicker(later),
            note=plain_text_input("Agency accounts still made by hand"),
        ),
        user=lead,
    )
    assert answer.json()["response_action"] == "update"
    with session_scope(slack.engine) as session:
        original = risks.get_risk(session, ref)
        bau = session.exec(select(Risk).where(Risk.transferred_from_id == original.id)).one()
        assert original.status == RiskStatus.TRANSFERRED
        assert (bau.risk_register, bau.owner_id, bau.review_date, bau.score) == (
            Register.BUSINESS_AS_USUAL,
            slack.world.other_manager.id,
            later,
            16,
        )
    assert bau.ref in json.dumps(answer.json()["view"])


def test_leadership_action_and_monthly_audits_with_results(slack: SlackApp) -> None:
    add_risk(slack, "Agency staff access", score=(4, 4))
    start_review(slack)
    board = slack.world.board_member.slack_user_id
    slack.command("leadership-action", user=board)
    slack.submit(
        opened(slack),
        values(
            description=plain_text_input("Fund a second trainer for bank staff"),
            owner=users_select(slack.world.project_lead.slack_user_id),
            due_date=datepicker(date(2027, 3, 31)),
        ),
        user=board,
    )
    quality = slack.world.quality_lead.slack_user_id
    slack.command("audits", user=quality)
    slack.submit(
        opened(slack),
        values(
            topic=plain_text_input("Record completion"),
            first_due=datepicker(date(2026, 12, 31)),
            months=static_select("2"),
        ),
        user=quality,
    )
    with session_scope(slack.engine) as session:
        [action] = session.exec(select(LeadershipAction)).all()
        assert (action.description, action.owner_id) == (
            "Fund a second trainer for bank staff",
            slack.world.project_lead.id,
        )
        audits = session.exec(select(FollowUpAudit).order_by(FollowUpAudit.id)).all()
        assert [a.due_date for a in audits] == [date(2026, 12, 31), date(2027, 1, 31)]
    slack.command("audit FA-1", user=quality)
    answer = slack.submit(
        opened(slack), values(result=plain_text_input("94% complete")), user=quality
    )
    assert "Residual risk now totals 16" in json.dumps(answer.json())
    with session_scope(slack.engine) as session:
        first = session.get(FollowUpAudit, 1)
        assert (first.result, first.residual_score, first.high_risks) == ("94% complete", 16, 1)


def close_reply(slack: SlackApp) -> str:
    slack.command("close-project", user=slack.world.project_lead.slack_user_id)
    return slack.last_reply()


def test_a_review_command_before_the_review_starts_says_how_to_start_it(slack: SlackApp) -> None:
    ref = add_risk(slack, "Allergy flags lost in migration")
    slack.command(f"verdict {ref}", user=slack.world.manager.slack_user_id)
    assert slack.last_reply() == (
        "No post-implementation review has been started; the quality lead starts it with "
        "`/golive review`"
    )


def test_close_project_refused_before_review_starts(slack: SlackApp) -> None:
    assert "no post-implementation review has been started" in close_reply(slack)
    assert slack.fake.calls("views.open") == []


def test_close_project_refused_while_high_risk_unowned(slack: SlackApp) -> None:
    ref = add_risk(slack, "Agency staff <access>", score=(4, 4), owner=False)
    start_review(slack)
    reply = close_reply(slack)
    assert f"{ref} Agency staff &lt;access&gt; is an extreme residual risk" in reply
    assert "with no owner" in reply


def test_close_project_refused_while_safe_care_issue_open(slack: SlackApp) -> None:
    ref = report_safe_care_issue(slack)
    start_review(slack)
    assert f"{ref} affects safe care and is still new" in close_reply(slack)


def test_close_project_refused_while_follow_up_audit_outstanding(slack: SlackApp) -> None:
    start_review(slack)
    with session_scope(slack.engine) as session:
        review.schedule_audits(
            session,
            actor=slack.world.quality_lead,
            topic="Record completion",
            first_due=date(2026, 12, 31),
            months=1,
            now=slack.clock.now(),
        )
    assert "follow-up audit FA-1 (Record completion, due 31 Dec 2026)" in close_reply(slack)


def test_project_lead_closes_the_project_once_nothing_stops_it(slack: SlackApp) -> None:
    add_risk(slack, "Agency staff access", score=(4, 4))
    start_review(slack)
    lead = slack.world.project_lead.slack_user_id
    slack.command("close-project", user=lead)
    modal = opened(slack)
    assert modal["callback_id"] == ReviewIds.CLOSE_VIEW
    answer = slack.submit(modal, values(note=plain_text_input("Handed over to BAU")), user=lead)
    assert answer.json()["response_action"] == "update"
    with session_scope(slack.engine) as session:
        current = review.current_review(session)
        assert current is not None and current.closed_at == slack.clock.now()
        assert current.closure_note == "Handed over to BAU"
    slack.deliver()
    [post] = slack.fake.messages(BOARD_CHANNEL)
    assert "The implementation is closed" in post["text"]
    assert "already closed" in close_reply(slack)


def test_quality_lead_cannot_close_the_project(slack: SlackApp) -> None:
    start_review(slack)
    slack.command("close-project", user=slack.world.quality_lead.slack_user_id)
    assert "You can't close the implementation" in slack.last_reply()


def test_review_status_shows_progress_and_blockers(slack: SlackApp) -> None:
    ref = add_risk(slack, "Oakwood MAR migration", service=slack.world.oakwood)
    issue_ref = report_safe_care_issue(slack)
    go_live(slack)
    start_review(slack)
    slack.command("review", user=slack.world.project_lead.slack_user_id)
    shown = json.dumps(slack.replies()[-1]["blocks"])
    assert "Verdicts on original controls* (0 of 1)" in shown
    assert f"awaiting: *{ref}*" in shown
    assert issue_ref in shown and ReviewIds.OPEN_CLOSE.value in shown


# Exports


def uploaded(slack: SlackApp, channel: str) -> dict[str, bytes]:
    return {f.filename: f.content or b"" for f in slack.fake.uploaded_files(channel)}


def test_project_lead_exports_workbook_and_evidence_pack_to_their_dm(slack: SlackApp) -> None:
    ref = add_risk(slack, "Agency staff access", score=(4, 4))
    lead = slack.world.project_lead.slack_user_id
    slack.command("export", user=lead)
    files = uploaded(slack, "D" + lead)
    stamp = slack.clock.now().date().isoformat()
    assert {
        f"golive-records-{stamp}.xlsx",
        f"golive-audit-trail-{stamp}.csv",
        f"golive-evidence-pack-{stamp}.html",
        f"golive-evidence-pack-{stamp}.pdf",
        f"golive-issue-log-{stamp}.csv",
    } <= set(files)
    assert len(files) == 12 and files[f"golive-evidence-pack-{stamp}.pdf"].startswith(b"%PDF-")
    book = openpyxl.load_workbook(io.BytesIO(files[f"golive-records-{stamp}.xlsx"]))
    sheet = book["Risk register"]
    assert (sheet["A2"].value, sheet["H2"].value, sheet["I2"].value) == (ref, 16, "Extreme")
    assert "Audit trail" not in book.sheetnames
    trail = files[f"golive-audit-trail-{stamp}.csv"].decode("utf-8-sig")
    assert ref in {row["Record"] for row in csv.DictReader(io.StringIO(trail))}
    html = files[f"golive-evidence-pack-{stamp}.html"].decode("utf-8")
    assert '<section id="residual">' in html and ref in html
    assert "Export ready in your direct messages" in slack.last_reply()
    with session_scope(slack.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "exported")).all()
        assert len(events) == 1 and "xlsx" in (events[0].new_value or "")


def test_registered_manager_exports_csv_files(slack: SlackApp) -> None:
    add_risk(slack, "Agency staff access")
    manager = slack.world.manager.slack_user_id
    slack.command("export csv", user=manager)
    files = uploaded(slack, "D" + manager)
    assert len(files) == 9
    [register] = [data for name, data in files.items() if "-risk-register-" in name]
    rows = list(csv.DictReader(io.StringIO(register.decode("utf-8-sig"))))
    assert [r["Title"] for r in rows] == ["Agency staff access"]


def test_project_lead_gets_the_evidence_pack_as_a_pdf(slack: SlackApp) -> None:
    ref = add_risk(slack, "Agency staff access", score=(4, 4))
    lead = slack.world.project_lead.slack_user_id
    slack.command("export pdf", user=lead)
    files = uploaded(slack, "D" + lead)
    stamp = slack.clock.now().date().isoformat()
    assert list(files) == [f"golive-evidence-pack-{stamp}.pdf"]
    reader = PdfReader(io.BytesIO(files[f"golive-evidence-pack-{stamp}.pdf"]))
    assert ref in " ".join(page.extract_text() for page in reader.pages)


def test_staff_cannot_export(slack: SlackApp) -> None:
    slack.command("export", user=slack.world.staff.slack_user_id)
    assert "You can't export the register and logs" in slack.last_reply()
    assert slack.fake.uploaded_files() == []


@pytest.mark.parametrize(("channel", "shared"), [(PROJECT_CHANNEL, True), (TRIAGE_CHANNEL, False)])
def test_export_here_shares_only_in_project_or_board_channel(
    slack: SlackApp, channel: str, shared: bool
) -> None:
    lead = slack.world.project_lead.slack_user_id
    slack.command("export xlsx here", user=lead, channel_id=channel)
    files = uploaded(slack, channel)
    if shared:
        assert sorted(name.rsplit(".", 1)[1] for name in files) == ["csv", "xlsx"]
    else:
        assert files == {} and slack.fake.uploaded_files() == []
        assert "shared only in the project or board channel" in slack.last_reply()


def test_export_with_an_unknown_format_says_what_to_write(slack: SlackApp) -> None:
    slack.command("export docx", user=slack.world.project_lead.slack_user_id)
    assert "/golive export [xlsx | csv | evidence | pdf | all] [here]" in slack.last_reply()
    assert slack.fake.uploaded_files() == []


def test_staff_cannot_see_the_review(slack: SlackApp) -> None:
    start_review(slack)
    slack.command("review", user=slack.world.staff.slack_user_id)
    reply = slack.last_reply()
    assert "You can't see the risk register" in reply
    assert FINDINGS["data_quality"] not in reply


def test_closing_is_guarded_again_when_the_confirmation_is_submitted(slack: SlackApp) -> None:
    start_review(slack)
    lead = slack.world.project_lead.slack_user_id
    slack.command("close-project", user=lead)
    modal = opened(slack)
    ref = report_safe_care_issue(slack)
    answer = slack.submit(modal, values(note=plain_text_input(None)), user=lead)
    assert answer.json()["response_action"] == "push"
    assert f"{ref} affects safe care" in json.dumps(answer.json()["view"])
    with session_scope(slack.engine) as session:
        current = review.current_review(session)
        assert current is not None and current.closed_at is None


def test_close_button_on_the_review_status_runs_the_same_guard(slack: SlackApp) -> None:
    ref = report_safe_care_issue(slack)
    start_review(slack)
    lead = slack.world.project_lead.slack_user_id
    slack.action(ReviewIds.OPEN_CLOSE, "1", user=lead)
    assert f"{ref} affects safe care and is still new" in slack.last_reply()
    assert len(slack.fake.calls("views.open")) == 1  # only the start modal
    with session_scope(slack.engine) as session:
        current = review.current_review(session)
        assert current is not None and current.closed_at is None
