"""teams face: a person's Microsoft Teams (Azure AD) id, and each outbox row's delivery by a
chat face other than Slack

Revision ID: 0007_teams_face
Revises: 0006
Create Date: 2026-12-05 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_teams_face"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("teams_user_id", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_person_teams_user_id", ["teams_user_id"], unique=True)
    op.create_table(
        "face_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("face", sa.String(length=20), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("conversation", sa.String(length=300), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("face", "outbox_id", name="uq_face_delivery"),
    )
    op.create_index("ix_face_delivery_next_attempt_at", "face_delivery", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_face_delivery_next_attempt_at", table_name="face_delivery")
    op.drop_table("face_delivery")
    # In place, never by copying the table: on SQLite a copy drops ``person``, which every
    # record points at, and foreign keys refuse that while any record exists.
    op.drop_index("ix_person_teams_user_id", table_name="person")
    with op.batch_alter_table("person", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("teams_user_id")
