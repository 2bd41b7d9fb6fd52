"""outbox lanes: when each Slack conversation may take its next post, shared by every
sender, and which triage posts a roll-up post covered

Revision ID: 0008_outbox_lanes
Revises: 0007_teams_face
Create Date: 2026-12-06 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_outbox_lanes"
down_revision: str | None = "0007_teams_face"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_lane",
        sa.Column("lane", sa.String(length=60), nullable=False),
        sa.Column("next_post_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane"),
    )
    op.create_table(
        "rollup_line",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("rollup_id", sa.Integer(), nullable=False),
        sa.Column("wanted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["rollup_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("outbox_id"),
    )
    op.create_index("ix_rollup_line_rollup_id", "rollup_line", ["rollup_id"])


def downgrade() -> None:
    op.drop_index("ix_rollup_line_rollup_id", table_name="rollup_line")
    op.drop_table("rollup_line")
    op.drop_table("post_lane")
