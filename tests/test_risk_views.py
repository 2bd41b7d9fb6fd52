"""The risk register's Block Kit, tested as data: the words of the 5x5 matrix, escaping of
what people typed, and Slack's limits kept however long the register grows."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.escape import MODAL_TITLE, OPTION_TEXT, SECTION_TEXT
from bot.ids import ControlIds, DecisionIds, RiskIds, ScoreIds
from bot.views import checkpoints as checkpoint_views
from bot.views import controls as control_views
from bot.views import decisions as decision_views
from bot.views import risks as risk_views
from bot.views import scoring as scoring_views
from store.records.checkpoints import OwnerProgress
from store.records.enums import (
    ControlStatus,
    DecisionKind,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
)
from store.records.models import Checkpoint, Control, ControlUpdate, Decision, Person, Risk, Service

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
LONG = "Residents <on PRN> & agency cover " * 200


def a_risk(number: int = 3, *, likelihood: int | None = 4, impact: int | None = 4, **kw) -> Risk:
    values = {
        "number": number,
        "title": "Medication history does not migrate",
        "category": RiskCategory.DATA_MIGRATION,
        "scope": RiskScope.ORGANISATION,
        "risk_register": Register.IMPLEMENTATION,
        "status": RiskStatus.OPEN,
        "likelihood": likelihood,
        "impact": impact,
        "score": None if likelihood is None or impact is None else likelihood * impact,
        "created_at": NOW,
        "updated_at": NOW,
        **kw,
    }
    return Risk(**values)


def a_control(control_id: int, **kw) -> Control:
    values = {
        "id": control_id,
        "risk_id": 1,
        "description": f"Control {control_id}",
        "status": ControlStatus.PLANNED,
        "owner_id": 1,
        "created_at": NOW,
        "updated_at": NOW,
        **kw,
    }
    return Control(**values)


OWNER = Person(id=1, slack_user_id="UMANAGER1", name="Mo Manager", created_at=NOW)


def all_text(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields") or []]
        found += [
            e["text"]
            for e in block.get("elements") or []
            if "text" in e and e.get("type") == "mrkdwn"
        ]
    return found


@pytest.mark.parametrize(
    ("likelihood", "impact", "words"),
    [
        (1, 3, "*3* (1 × 3) · *Low*"),
        (2, 3, "*6* (2 × 3) · *Moderate*"),
        (4, 3, "*12* (4 × 3) · *High*"),
        (5, 3, "*15* (5 × 3) · *Extreme*"),
        (None, 3, "_Not scored yet_"),
    ],
)
def test_score_text_gives_the_score_and_the_band(likelihood, impact, words) -> None:
    assert scoring_views.score_text(likelihood, impact).endswith(words)


def test_score_modal_offers_each_rating_with_its_nhs_words_within_limits() -> None:
    modal = scoring_views.score_modal(
        a_risk(likelihood=None, impact=None, title=LONG[:200]),
        likelihood=None,
        impact=None,
        open_controls=[a_control(i, description=LONG) for i in range(1, 15)],
    )
    assert len(modal["title"]["text"]) <= MODAL_TITLE
    assert modal["private_metadata"] == "R-003"
    for block_id in (ScoreIds.LIKELIHOOD, ScoreIds.IMPACT):
        block = next(b for b in modal["blocks"] if b.get("block_id") == block_id)
        assert block["dispatch_action"] is True and block["element"]["action_id"] == block_id
        for option in block["element"]["options"]:
            assert len(option["text"]["text"]) <= OPTION_TEXT
            assert len(option["description"]["text"]) <= OPTION_TEXT
    priority = next(b for b in modal["blocks"] if b.get("block_id") == ScoreIds.PRIORITY)
    assert len(priority["element"]["options"]) == 10, "Slack allows ten checkboxes"
    assert all(len(o["text"]["text"]) <= OPTION_TEXT for o in priority["element"]["options"])


def test_a_long_register_is_capped_with_how_many_more() -> None:
    many = [a_risk(n) for n in range(1, 61)]
    text, blocks = risk_views.risk_list(
        many[: risk_views.LIST_LIMIT],
        total=60,
        people={1: OWNER},
        services={},
        today=TODAY,
        described="",
    )
    assert text == "Risk register: 60"
    assert len(blocks) <= 50
    assert "…and 20 more" in json.dumps(blocks, ensure_ascii=False)


def test_an_empty_filter_says_so() -> None:
    text, blocks = risk_views.risk_list(
        [], total=0, people={}, services={}, today=TODAY, described="band:extreme"
    )
    assert text == "No risks match band:extreme."
    assert blocks[0]["text"]["text"] == text


def test_risk_detail_escapes_typed_text_and_keeps_every_limit() -> None:
    risk = a_risk(
        description=LONG,
        escalation_route="<!channel> board",
        review_date=TODAY - timedelta(days=1),
        owner_id=1,
        service_id=2,
        scope=RiskScope.SERVICE,
    )
    controls = [
        a_control(i, description=LONG, due_date=TODAY - timedelta(days=1)) for i in range(1, 31)
    ]
    decisions = [
        Decision(
            id=i,
            risk_id=1,
            kind=DecisionKind.ACCEPT,
            summary="<@U999> said fine",
            decided_by_id=1,
            decided_at=NOW,
        )
        for i in range(1, 8)
    ]
    text, blocks = risk_views.risk_detail(
        risk_views.RiskDetail(
            risk=risk,
            service=Service(id=2, key="oakwood", name="Oakwood <House>", created_at=NOW),
            assessments=[],
            controls=controls,
            decisions=decisions,
            people={1: OWNER},
            today=TODAY,
        )
    )
    assert text.startswith("R-003 ")
    assert len(blocks) <= 50
    texts = all_text(blocks)
    assert all(len(t) <= SECTION_TEXT for t in texts)
    joined = "\n".join(texts)
    assert "<!channel>" not in joined and "&lt;!channel&gt; board" in joined
    assert "<@U999>" not in joined
    assert "Oakwood &lt;House&gt;" in joined
    assert ":warning: *overdue*" in joined
    assert "…and 10 more controls" in joined and "…and 2 earlier decisions" in joined
    menu = next(b["accessory"] for b in blocks if b.get("accessory"))
    assert menu["action_id"] == ControlIds.MENU
    assert [o["value"] for o in menu["options"]] == ["update:1", "assign:1"]


def test_control_buttons_carry_the_checkpoint_and_closed_controls_have_none() -> None:
    open_one = control_views.control_blocks(a_control(7), None, OWNER, checkpoint_id=2)
    assert [e["value"] for e in open_one[1]["elements"]] == ["7:2"] * 3
    done = control_views.control_blocks(a_control(8, status=ControlStatus.COMPLETE), None, OWNER)
    assert [b["type"] for b in done] == ["section"]


def test_checkpoint_message_is_capped_for_an_owner_with_many_controls() -> None:
    checkpoint = Checkpoint(id=4, name="Wave <2>", opened_at=NOW)
    items = [(a_control(i), a_risk(i)) for i in range(1, 40)]
    text, blocks = checkpoint_views.checkpoint_request(checkpoint, items, owner=OWNER)
    assert text.startswith("Checkpoint: Wave <2>.")
    assert "Wave &lt;2&gt;" in blocks[0]["text"]["text"]
    assert len(blocks) <= 50
    assert "…and 19 more" in blocks[-1]["elements"][0]["text"]


def test_checkpoint_report_packs_many_changes_under_the_section_limit() -> None:
    checkpoint = Checkpoint(id=1, name="Wave 2", opened_at=NOW)
    controls = [a_control(i) for i in range(1, 60)]
    updates = [
        ControlUpdate(
            control_id=c.id,
            old_status=ControlStatus.PLANNED,
            new_status=ControlStatus.DELAYED,
            note=LONG[:300],
            new_due_date=date(2026, 12, 1),
            updated_at=NOW,
        )
        for c in controls
    ]
    progress = [OwnerProgress(owner=OWNER, controls=controls, updates=updates)]
    text, blocks = checkpoint_views.checkpoint_report(
        checkpoint, progress, controls_by_id={c.id: c for c in controls}
    )
    assert text == "Checkpoint Wave 2: 1 updated, 0 not yet"
    assert len(blocks) <= 50
    assert all(len(t) <= SECTION_TEXT for t in all_text(blocks))
    assert "_Everyone has updated._" in all_text(blocks)[-1]


def test_modals_keep_titles_short_and_ids_where_listeners_find_them() -> None:
    risk = a_risk(123)
    for modal, callback in (
        (risk_views.risk_edit_modal(risk, owner=OWNER), RiskIds.EDIT_VIEW),
        (risk_views.risk_status_modal(risk), RiskIds.STATUS_VIEW),
        (control_views.control_add_modal(risk), ControlIds.ADD_VIEW),
        (control_views.control_assign_modal(a_control(5), owner=None), ControlIds.ASSIGN_VIEW),
        (decision_views.decision_modal("GL-0042", LONG), DecisionIds.VIEW),
        (
            control_views.control_update_modal(
                a_control(5), status=ControlStatus.DELAYED, checkpoint_id=3
            ),
            ControlIds.UPDATE_VIEW,
        ),
    ):
        assert modal["callback_id"] == callback
        assert len(modal["title"]["text"]) <= MODAL_TITLE
        assert len(modal["blocks"]) <= 100
    update = control_views.control_update_modal(
        a_control(5), status=ControlStatus.DELAYED, checkpoint_id=3
    )
    assert update["private_metadata"] == "5:3"
    status = next(b for b in update["blocks"] if b.get("block_id") == ControlIds.STATUS)
    assert status["element"]["initial_option"]["value"] == "delayed"
    assert decision_views.decision_modal("GL-0042", "x")["private_metadata"] == "GL-0042"
