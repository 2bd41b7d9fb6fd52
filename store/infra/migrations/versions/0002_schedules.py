"""schedules: job runs, reminders, responses and escalations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 14:38:46.697123
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_ref", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("post_key", sa.String(length=240), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_escalation_key"),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_escalated_at"), ["escalated_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalation_level"), ["level"], unique=False)

    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "period", name="uq_job_run_period"),
    )
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_run_ran_at"), ["ran_at"], unique=False)

    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_ref", sa.String(length=40), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "person_id", "item_kind", "item_id", "day", name="uq_reminder_item_day"
        ),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_person_id"), ["person_id"], unique=False)

    op.create_table(
        "reminder_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_ref", sa.String(length=40), nullable=False),
        sa.Column("response", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("new_date", sa.Date(), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reminder_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_response_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminder_response_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_response_person_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_response_at"))

    op.drop_table("reminder_response")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_person_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_day"))

    op.drop_table("reminder")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_run_ran_at"))

    op.drop_table("job_run")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_level"))
        batch_op.drop_index(batch_op.f("ix_escalation_escalated_at"))

    op.drop_table("escalation")
