"""issue period indexes: the digests count issues closed in a period and issues reported per
service since its go-live, which without these read the whole issue table

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 18:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_issue_closed_at", "issue", ["closed_at"])
    op.create_index("ix_issue_service_reported", "issue", ["service_id", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_issue_service_reported", table_name="issue")
    op.drop_index("ix_issue_closed_at", table_name="issue")
