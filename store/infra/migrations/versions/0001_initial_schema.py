"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 14:32:21.292781
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_route",
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("purpose"),
    )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "inbound_key",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("user", sa.String(length=40), nullable=True),
        sa.Column("notice", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("thread_key", sa.String(length=240), nullable=True),
        sa.Column("target_key", sa.String(length=240), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_channel", sa.String(length=40), nullable=True),
        sa.Column("message_ts", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)

    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("golive_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slack_user_id"),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("entity_ref", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_entity_ref"), ["entity_ref"], unique=False)

    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("impact", sa.String(length=40), nullable=False),
        sa.Column("urgency", sa.String(length=40), nullable=False),
        sa.Column("workaround", sa.String(length=40), nullable=False),
        sa.Column("workaround_detail", sa.Text(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("source_permalink", sa.String(length=500), nullable=True),
        sa.Column("submission_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("correction_action", sa.Text(), nullable=True),
        sa.Column("correction_due", sa.Date(), nullable=True),
        sa.Column("closure_evidence", sa.Text(), nullable=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("submission_key"),
    )
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_issue_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issue_reported_at"), ["reported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_issue_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issue_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issue_status"), ["status"], unique=False)

    op.create_table(
        "phase_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("phase_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phase_change_set_at"), ["set_at"], unique=False)

    op.create_table(
        "risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column(
            "score", sa.Integer(), sa.Computed("likelihood * impact", persisted=True), nullable=True
        ),
        sa.Column("target_likelihood", sa.Integer(), nullable=True),
        sa.Column("target_impact", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("escalation_route", sa.String(length=300), nullable=True),
        sa.Column("risk_register", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("transferred_from_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(scope = 'service') = (service_id IS NOT NULL)", name="risk_scope_service"
        ),
        sa.CheckConstraint("(likelihood IS NULL) = (impact IS NULL)", name="risk_scored_whole"),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name="risk_impact_range"),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name="risk_likelihood_range"),
        sa.CheckConstraint("target_impact BETWEEN 1 AND 5", name="risk_target_i_range"),
        sa.CheckConstraint("target_likelihood BETWEEN 1 AND 5", name="risk_target_l_range"),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.ForeignKeyConstraint(
            ["transferred_from_id"],
            ["risk.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_review_date"), ["review_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_score"), ["score"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_status"), ["status"], unique=False)

    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grant_person_id"), ["person_id"], unique=False)
    op.create_index(
        "uq_role_grant_scope",
        "role_grant",
        ["person_id", "role", sa.text("coalesce(service_id, 0)")],
        unique=True,
    )

    op.create_table(
        "control",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=True),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(risk_id IS NULL) <> (issue_id IS NULL)", name="control_belongs_to_one"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risk.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("control", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_control_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_issue_id"), ["issue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_risk_id"), ["risk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_status"), ["status"], unique=False)

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=True),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("escalation_route", sa.String(length=300), nullable=True),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risk.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_decided_at"), ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_issue_id"), ["issue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_risk_id"), ["risk_id"], unique=False)

    op.create_table(
        "risk_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name="assessment_impact_range"),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name="assessment_likelihood_range"),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risk.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_assessed_at"), ["assessed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_risk_assessment_risk_id"), ["risk_id"], unique=False)

    op.create_table(
        "control_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.String(length=40), nullable=False),
        sa.Column("new_status", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("old_due_date", sa.Date(), nullable=True),
        sa.Column("new_due_date", sa.Date(), nullable=True),
        sa.Column("checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoint.id"],
        ),
        sa.ForeignKeyConstraint(
            ["control_id"],
            ["control.id"],
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("control_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_control_update_checkpoint_id"), ["checkpoint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_control_update_control_id"), ["control_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_control_update_updated_at"), ["updated_at"], unique=False
        )
    _make_audit_append_only()
    counter = sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.Integer))
    op.bulk_insert(counter, [{"name": "issue", "value": 0}, {"name": "risk", "value": 0}])


def downgrade() -> None:
    _drop_audit_append_only()
    with op.batch_alter_table("control_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_update_updated_at"))
        batch_op.drop_index(batch_op.f("ix_control_update_control_id"))
        batch_op.drop_index(batch_op.f("ix_control_update_checkpoint_id"))

    op.drop_table("control_update")
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessment_risk_id"))
        batch_op.drop_index(batch_op.f("ix_risk_assessment_assessed_at"))

    op.drop_table("risk_assessment")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_risk_id"))
        batch_op.drop_index(batch_op.f("ix_decision_issue_id"))
        batch_op.drop_index(batch_op.f("ix_decision_decided_at"))

    op.drop_table("decision")
    with op.batch_alter_table("control", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_status"))
        batch_op.drop_index(batch_op.f("ix_control_risk_id"))
        batch_op.drop_index(batch_op.f("ix_control_owner_id"))
        batch_op.drop_index(batch_op.f("ix_control_issue_id"))
        batch_op.drop_index(batch_op.f("ix_control_due_date"))

    op.drop_table("control")
    op.drop_index("uq_role_grant_scope", table_name="role_grant")
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grant_person_id"))

    op.drop_table("role_grant")
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_status"))
        batch_op.drop_index(batch_op.f("ix_risk_service_id"))
        batch_op.drop_index(batch_op.f("ix_risk_score"))
        batch_op.drop_index(batch_op.f("ix_risk_review_date"))
        batch_op.drop_index(batch_op.f("ix_risk_owner_id"))
        batch_op.drop_index(batch_op.f("ix_risk_category"))

    op.drop_table("risk")
    with op.batch_alter_table("phase_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phase_change_set_at"))

    op.drop_table("phase_change")
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_status"))
        batch_op.drop_index(batch_op.f("ix_issue_service_id"))
        batch_op.drop_index(batch_op.f("ix_issue_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_issue_reported_at"))
        batch_op.drop_index(batch_op.f("ix_issue_owner_id"))
        batch_op.drop_index(batch_op.f("ix_issue_category"))

    op.drop_table("issue")
    op.drop_table("checkpoint")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_entity_ref"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))

    op.drop_table("audit_event")
    op.drop_table("person")
    op.drop_table("service")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_next_attempt_at"))

    op.drop_table("outbox")
    op.drop_table("inbound_key")
    op.drop_table("counter")
    op.drop_table("channel_route")


def _make_audit_append_only() -> None:
    """The audit trail is evidence: the database itself refuses to change or delete it."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )


def _drop_audit_append_only() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
