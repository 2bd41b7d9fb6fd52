"""care: verifications, quiet hours, per-service handover times, rollout waves and
training needs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_ref", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_evidence", sa.Text(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.CheckConstraint("item_kind IN ('issue', 'control')", name="verification_item_kind"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["verified_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_verification_item_ref"), ["item_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_verification_status"), ["status"], unique=False)

    op.create_table(
        "quiet_hours",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "service_handover",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("times", sa.String(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_table(
        "service_wave",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_table(
        "training_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("issue_refs", sa.String(length=500), nullable=False),
        sa.Column("logged_by_id", sa.Integer(), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["logged_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("training_need", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_need_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_need_logged_at"), ["logged_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_need_logged_at"))
        batch_op.drop_index(batch_op.f("ix_training_need_service_id"))

    op.drop_table("training_need")
    op.drop_table("service_wave")
    op.drop_table("service_handover")
    op.drop_table("quiet_hours")
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_status"))
        batch_op.drop_index(batch_op.f("ix_verification_item_ref"))
        batch_op.drop_index(batch_op.f("ix_verification_item_id"))

    op.drop_table("verification")
