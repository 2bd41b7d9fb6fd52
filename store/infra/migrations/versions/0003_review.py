"""review: post-implementation review, verdicts, leadership actions, follow-up audits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 14:41:46.947709
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_quality", sa.Text(), nullable=False),
        sa.Column("staff_confidence", sa.Text(), nullable=False),
        sa.Column("record_completion", sa.Text(), nullable=False),
        sa.Column("workflow_stability", sa.Text(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["started_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "control_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("given_by_id", sa.Integer(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["given_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "risk_id", name="uq_verdict_review_risk"),
    )
    with op.batch_alter_table("control_verdict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_control_verdict_review_id"), ["review_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_control_verdict_risk_id"), ["risk_id"], unique=False)

    op.create_table(
        "follow_up_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("risks_reducing", sa.Boolean(), nullable=True),
        sa.Column("residual_score", sa.Integer(), nullable=True),
        sa.Column("high_risks", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["scheduled_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "topic", "due_date", name="uq_follow_up_audit_due"),
    )
    with op.batch_alter_table("follow_up_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_audit_due_date"), ["due_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_follow_up_audit_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "leadership_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leadership_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_leadership_action_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_leadership_action_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("leadership_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leadership_action_review_id"))
        batch_op.drop_index(batch_op.f("ix_leadership_action_owner_id"))

    op.drop_table("leadership_action")
    with op.batch_alter_table("follow_up_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_audit_review_id"))
        batch_op.drop_index(batch_op.f("ix_follow_up_audit_due_date"))

    op.drop_table("follow_up_audit")
    with op.batch_alter_table("control_verdict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_verdict_risk_id"))
        batch_op.drop_index(batch_op.f("ix_control_verdict_review_id"))

    op.drop_table("control_verdict")
    op.drop_table("review")
