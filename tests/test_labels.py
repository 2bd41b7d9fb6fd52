"""Each enum's words are its own. A StrEnum member equals and hashes as its value, and enums
share values ("none" is both an impact on care and a workaround), so these tests check every
option of every form and every label in every export against the enum its value belongs to,
in that enum's words: "No impact on care" must never read "No workaround in place"."""

import ast
import csv
import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import bot
import bot.ids
import bot.views
import commands
import schedules
import store
from bot.demo import provider as demo
from bot.ids import Report
from bot.views import care, common, controls, decisions, issues, review, risks, scoring
from commands import reminders
from documents.csv_files import csv_files, file_name
from documents.evidence import gather
from documents.workbook import write_xlsx
from store.infra.db import session_scope
from store.records import issues as store_issues
from store.records import phases
from store.records import review as store_review
from store.records.actors import COMMAND_LINE
from store.records.enums import (
    Band,
    ControlStatus,
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Labelled,
    Register,
    RiskCategory,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.records.models import (
    Control,
    ControlVerdict,
    Decision,
    Effectiveness,
    FollowUpAudit,
    Issue,
    Risk,
    Service,
)
from store.records.reminders import Response
from store.records.report_form import ReportField
from store.records.scoring import band_for
from store.records.waves import WaveStatus
from store.reports import exports
from tests.world import build_world

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def labelled_enums() -> list[type[Labelled]]:
    """Every Labelled enum in golive, each module imported first so that none is missed for
    not having been loaded yet."""
    for package in (bot, commands, schedules, store):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(info.name)
    return Labelled.__subclasses__()


LABELLED = labelled_enums()
Block = dict[str, Any]
Field = tuple[type[StrEnum], str]
Row = dict[str, Any]


# ---------------------------------------------------------------------- the enums themselves


def test_every_enum_names_each_member_in_words_of_its_own_that_read_back():
    assert {Impact, Workaround, Effectiveness} <= set(LABELLED)
    for enum in LABELLED:
        words = [member.label for member in enum]
        assert all(w and w == w.strip() for w in words), enum
        assert len({w.casefold() for w in words}) == len(words), (enum, words)
        assert [enum.parse(w) for w in words] == list(enum), enum


SHARED_VALUES = {
    "none": {Impact: "No impact on care", Workaround: "No workaround in place"},
    "training": {IssueCategory: "Training need", RiskCategory: "Training"},
    "data_migration": {IssueCategory: "Data migration", RiskCategory: "Data migration"},
    "other": {IssueCategory: "Other", RiskCategory: "Other"},
    "low": {Urgency: "Low", Band: "Low"},
    "high": {Urgency: "High", Band: "High"},
    "in_progress": {IssueStatus: "In progress", ControlStatus: "In progress"},
    "closed": {IssueStatus: "Closed", RiskStatus: "Closed"},
    "business_as_usual": {Register: "Business as usual", WaveStatus: "Business as usual"},
}


def test_a_value_two_enums_share_keeps_each_enums_own_words():
    shared: dict[str, set[type[Labelled]]] = {}
    for enum in LABELLED:
        for member in enum:
            shared.setdefault(member.value, set()).add(enum)
    found = {
        value: {enum: enum(value).label for enum in enums}
        for value, enums in shared.items()
        if len(enums) > 1
    }
    assert found == SHARED_VALUES


# ---------------------------------------------------------------------- every form


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Attribute):
        return getattr(_resolve(node.value, names), node.attr)
    assert isinstance(node, ast.Name), ast.dump(node)
    return names[node.id]


def choice_fields() -> dict[Field, type[Labelled]]:
    """Each form field a handler reads with ``form.choice(block_id, Enum)``, and that enum: the
    one whose words the form must offer, since it is the one the answer is stored as. A field
    is its bot/ids class with the block id: block ids repeat across classes, as values do
    across enums ("category" is both a report's and a risk's)."""
    fields: dict[Field, type[Labelled]] = {}
    names = [f"commands.{info.name}" for info in pkgutil.iter_modules(commands.__path__)]
    # the report form is read once for both faces, by its chat-neutral field names
    for name in [*names, "store.records.report_form"]:
        module = importlib.import_module(name)
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "choice"
                and len(node.args) == 2
            ):
                known = {**vars(module), "F": ReportField}  # report_form names it F
                block_id, enum = (_resolve(arg, known) for arg in node.args)
                kind = Report if isinstance(block_id, ReportField) else type(block_id)
                assert fields.setdefault((kind, block_id.value), enum) is enum
    return fields


def ids_class(callback_id: str) -> type[StrEnum]:
    """The bot/ids class a modal's callback id is in, which holds its inputs' block ids too."""
    [found] = [
        value
        for value in vars(bot.ids).values()
        if inspect.isclass(value)
        and issubclass(value, StrEnum)
        and value is not StrEnum
        and callback_id in {member.value for member in value}
    ]
    return found


def modal_builders() -> set[Callable[..., Block]]:
    """Every public ``*_modal`` function in bot/views that builds a form (``form_modal`` is
    the frame the others fill, with no options of its own)."""
    found = set()
    for info in pkgutil.iter_modules(bot.views.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for name, value in vars(module).items():
            if (
                name.endswith("_modal")
                and not name.startswith("_")
                and name != "form_modal"
                and inspect.isfunction(value)
                and value.__module__ == module.__name__
            ):
                found.add(value)
    return found


ISSUE = Issue(
    id=1,
    number=7,
    service_id=1,
    category=IssueCategory.TRAINING,
    description="eMAR will not open",
    impact=Impact.NONE,
    urgency=Urgency.HIGH,
    workaround=Workaround.NONE,
    reporter_id=1,
    source=IssueSource.SLASH_COMMAND,
    status=IssueStatus.IN_PROGRESS,
    reported_at=NOW,
)
ISSUE_VIEW = issues.IssueView(
    ISSUE,
    service=Service(id=1, name="Oakwood House"),
    reporter=None,
    owner=None,
    controls=[],
    control_owners={},
)
RISK = Risk(
    id=1,
    number=3,
    title="Night staff untrained",
    category=RiskCategory.TRAINING,
    score=12,
    risk_register=Register.IMPLEMENTATION,
    status=RiskStatus.ESCALATED,
)
CONTROL = Control(id=5, risk_id=1, description="Buddy shifts", status=ControlStatus.IN_PROGRESS)
MODALS: dict[Callable[..., Block], Callable[[], Block]] = {
    issues.report_modal: lambda: issues.report_modal([(1, "Oakwood House")], default_service_id=1),
    issues.assign_modal: lambda: issues.assign_modal(ISSUE_VIEW),
    issues.urgency_modal: lambda: issues.urgency_modal(ISSUE_VIEW),
    issues.control_modal: lambda: issues.control_modal(ISSUE_VIEW),
    issues.correction_modal: lambda: issues.correction_modal(ISSUE_VIEW),
    issues.supplier_modal: lambda: issues.supplier_modal(ISSUE_VIEW),
    issues.close_modal: lambda: issues.close_modal(ISSUE_VIEW),
    issues.reopen_modal: lambda: issues.reopen_modal(ISSUE_VIEW),
    risks.risk_add_modal: lambda: risks.risk_add_modal(
        services=[Service(id=1, name="Oakwood House")], default_service_id=1
    ),
    risks.risk_edit_modal: lambda: risks.risk_edit_modal(RISK, owner=None),
    risks.risk_status_modal: lambda: risks.risk_status_modal(RISK),
    scoring.score_modal: lambda: scoring.score_modal(
        RISK, likelihood=3, impact=4, open_controls=[CONTROL]
    ),
    controls.control_add_modal: lambda: controls.control_add_modal(RISK),
    controls.control_assign_modal: lambda: controls.control_assign_modal(CONTROL, owner=None),
    controls.control_update_modal: lambda: controls.control_update_modal(
        CONTROL, status=None, checkpoint_id=None
    ),
    decisions.decision_modal: lambda: decisions.decision_modal(RISK.ref, RISK.title),
    review.start_modal: review.start_modal,
    review.verdict_modal: lambda: review.verdict_modal(
        RISK, controls=[CONTROL], chosen=None, evidence=None
    ),
    review.transfer_modal: lambda: review.transfer_modal(
        RISK, owner_slack_id=None, today=date(2027, 1, 4)
    ),
    review.leadership_action_modal: review.leadership_action_modal,
    review.audits_modal: lambda: review.audits_modal(first_due=date(2027, 1, 4)),
    review.result_modal: lambda: review.result_modal(
        FollowUpAudit(id=2, review_id=1, topic="MAR accuracy", due_date=date(2027, 1, 4))
    ),
    review.close_modal: review.close_modal,
    care.quiet_modal: lambda: care.quiet_modal(None),
    common.notice_modal: lambda: common.notice_modal("Nothing to do", "All done."),
    reminders.answer_modal: lambda: reminders.answer_modal(
        "control:5:2026-11-20", Response.DELAYED, None, None
    ),
}


def options_by_field(view: Block) -> Iterator[tuple[str, list[Block]]]:
    for block in view["blocks"]:
        if block["type"] == "input" and "options" in block["element"]:
            yield block["block_id"], block["element"]["options"]


def test_every_option_of_every_form_is_its_own_enums_member_in_its_own_words():
    assert modal_builders() <= set(MODALS)
    fields = choice_fields()
    assert fields[(Report, "impact")] is Impact and fields[(Report, "workaround")] is Workaround
    offered = set()
    for builder, build in MODALS.items():
        view = build()
        ids = ids_class(view["callback_id"])
        for block_id, options in options_by_field(view):
            enum = fields.get((ids, block_id))
            if enum is None:  # not an enum: services, scores, months, controls
                continue
            offered.add((ids, block_id))
            for offer in options:
                member = enum(offer["value"])
                assert offer["text"]["text"] == member.label, (builder.__name__, offer)
    assert offered == set(fields)


def test_report_form_offers_each_impact_and_workaround_with_its_own_label():
    view = issues.report_modal([(1, "Oakwood House")], default_service_id=1)
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    impact = blocks[Report.IMPACT]["element"]
    workaround = blocks[Report.WORKAROUND]["element"]
    assert [(o["value"], o["text"]["text"]) for o in impact["options"]] == [
        ("none", "No impact on care"),
        ("some", "Some impact on care"),
        ("safe_care", "Affects safe care"),
    ]
    assert [(o["value"], o["text"]["text"]) for o in workaround["options"]] == [
        ("none", "No workaround in place"),
        ("safe", "Safe workaround in place"),
        ("unsafe", "Unsafe workaround in place"),
    ]
    assert impact["initial_option"]["text"]["text"] == "No impact on care"
    assert workaround["initial_option"]["text"]["text"] == "No workaround in place"


# ---------------------------------------------------------------------- the record, read back


def sheet_rows(engine: Engine, tmp_path: Path) -> dict[str, list[Row]]:
    """Each workbook sheet's rows as {header: cell}, blanks as ""."""
    with session_scope(engine) as session:
        path = write_xlsx(session, tmp_path / "golive.xlsx", generated=NOW, zone=LONDON)
    book = openpyxl.load_workbook(path)
    found = {}
    for table in exports.WORKBOOK_TABLES:
        header, *rows = book[table.title].iter_rows(values_only=True)
        found[table.name] = [
            {h: "" if v is None else v for h, v in zip(header, row, strict=True)} for row in rows
        ]
    return found


def csv_rows(engine: Engine, tmp_path: Path) -> dict[str, list[Row]]:
    with session_scope(engine) as session:
        written = dict(csv_files(session, day=NOW.date()))
    return {
        table.name: list(
            csv.DictReader(
                io.StringIO(written[file_name(table.name, NOW.date(), "csv")].decode("utf-8-sig"))
            )
        )
        for table in exports.TABLE_LIST
    }


def test_issue_view_and_issue_log_say_no_impact_and_no_workaround_each_in_its_own_words(
    engine, clock, tmp_path
):
    world = build_world(engine, now=clock.now())
    with session_scope(engine) as session:
        issue, _ = store_issues.report_issue(
            session,
            reporter=world.staff,
            now=clock.now(),
            report=store_issues.IssueReport(
                service_id=world.oakwood.id,
                category=IssueCategory.TRAINING,
                description="Not sure where handover notes go",
                impact=Impact.NONE,
                urgency=Urgency.LOW,
                workaround=Workaround.NONE,
                source=IssueSource.SLASH_COMMAND,
            ),
        )
        facts = [
            field["text"]
            for block in issues.detail_blocks(issues.load(session, issue.ref))
            for field in block.get("fields", [])
        ]
    assert "*Impact*\nNo impact on care" in facts
    assert "*Workaround*\nNo workaround in place" in facts
    for rows in (sheet_rows(engine, tmp_path), csv_rows(engine, tmp_path)):
        [row] = rows["issue-log"]
        assert (row["Impact on care"], row["Workaround"], row["Category"]) == (
            "No impact on care",
            "No workaround in place",
            "Training need",
        )


@dataclass
class Records:
    """The stored members behind each export row, found by the row's reference."""

    risks: dict[str, Risk]
    issues: dict[str, Issue]
    controls: dict[str, Control]
    decisions: list[Decision]
    verdicts: dict[tuple[str, str], ControlVerdict]

    @classmethod
    def read(cls, session: Session) -> "Records":
        risk_list = list(session.exec(select(Risk)))
        refs = {r.id: r.ref for r in risk_list}
        return cls(
            risks={r.ref: r for r in risk_list},
            issues={i.ref: i for i in session.exec(select(Issue))},
            controls={c.ref: c for c in session.exec(select(Control))},
            decisions=list(
                session.exec(select(Decision).order_by(col(Decision.decided_at), col(Decision.id)))
            ),
            verdicts={
                (f"PIR-{v.review_id}", refs[v.risk_id]): v
                for v in session.exec(select(ControlVerdict))
            },
        )


LabelsOf = Callable[[int, Row, Records], dict[str, Labelled | None]]


def _risk_words(risk: Risk) -> dict[str, Labelled | None]:
    return {
        "Category": risk.category,
        "Register": risk.risk_register,
        "Status": risk.status,
        "Band": band_for(risk.score) if risk.score else None,
    }


def _issue_words(issue: Issue) -> dict[str, Labelled | None]:
    return {
        "Category": issue.category,
        "Impact on care": issue.impact,
        "Urgency": issue.urgency,
        "Workaround": issue.workaround,
        "Source": issue.source,
        "Status": issue.status,
    }


EXPORT_LABELS: dict[str, LabelsOf] = {
    "risk-register": lambda _, row, db: _risk_words(db.risks[row["Reference"]]),
    "score-history": lambda _, row, db: {"Band": band_for(int(row["Score"]))},
    "controls": lambda _, row, db: {"Status": db.controls[row["Control"]].status},
    "issue-log": lambda _, row, db: _issue_words(db.issues[row["Reference"]]),
    "decisions": lambda index, _, db: {"Decision": db.decisions[index].kind},
    "review-verdicts": lambda _, row, db: {
        "Controls effective": db.verdicts[(row["Review"], row["Risk"])].verdict
    },
    "leadership-actions": lambda *_: {},
    "follow-up-audits": lambda *_: {},
    "audit-trail": lambda *_: {},
}


def test_every_label_in_every_export_is_its_own_enums_words(engine, tmp_path):
    demo.seed(engine, now=NOW, zone=LONDON)
    with session_scope(engine) as session:
        pir = store_review.start_review(
            session,
            actor=COMMAND_LINE,
            findings=store_review.Findings("a", "b", "c", "d"),
            now=NOW,
        ).ref
        pre = store_review.pre_implementation_risks(session)
        for risk, verdict in zip(pre, Effectiveness, strict=False):
            store_review.record_verdict(
                session, actor=COMMAND_LINE, ref=risk.ref, verdict=verdict, evidence="x", now=NOW
            )
        db = Records.read(session)
        pack = gather(session, now=NOW, zone=LONDON)
        phase, history = phases.current_phase(session), phases.history(session)
    assert set(EXPORT_LABELS) == {t.name for t in exports.TABLE_LIST}
    every_label = {member.label for enum in LABELLED for member in enum}
    # (enum, value), not the member: a member equals every other enum's member of its value.
    exported: set[tuple[type[Labelled], str]] = set()
    for tables in (sheet_rows(engine, tmp_path), csv_rows(engine, tmp_path)):
        for name, rows in tables.items():
            checked: set[str] = set()
            for index, row in enumerate(rows):
                for column, member in EXPORT_LABELS[name](index, row, db).items():
                    assert row[column] == ("" if member is None else member.label), (name, row)
                    checked.add(column)
                    if member is not None:
                        exported.add((type(member), member.value))
            # A column of nothing but some enum's words is a label column, and checked above;
            # a service's name reads "Whole organisation" when the record has no service.
            for column in set(rows[0] if rows else ()) - checked - {"Service"}:
                cells = {str(row[column]) for row in rows} - {""}
                assert not cells or not cells <= every_label, (name, column, cells)
    assert {
        (Impact, "none"),
        (Workaround, "none"),
        (IssueCategory, "training"),
        (RiskCategory, "training"),
        (IssueStatus, "in_progress"),
        (ControlStatus, "in_progress"),
        (Urgency, "high"),
        (Band, "high"),
    } <= exported
    assert {pir} == {review_ref for review_ref, _ in db.verdicts}
    # The evidence pack: the HTML export's facts, before its template lays them out.
    assert pack.current_phase == phase.label
    assert [line.phase for line in pack.phases] == [change.phase.label for change in history]
    for line in pack.risks:
        risk = db.risks[line.ref]
        assert (line.category, line.register, line.status, line.band) == (
            risk.category.label,
            risk.risk_register.label,
            risk.status.label,
            band_for(risk.score).label if risk.score else "Not scored",
        )
    assert [line.kind for line in pack.decisions] == [d.kind.label for d in db.decisions]
    assert pack.review is not None and pack.review.verdicts
    for verdict in pack.review.verdicts:
        assert verdict.verdict == db.verdicts[(pack.review.ref, verdict.ref)].verdict.label
    assert {timing.group for timing in pack.outcomes.by_category} <= {
        category.label for category in IssueCategory
    }
