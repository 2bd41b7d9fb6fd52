"""retention redaction: the audit trail may have free text replaced by the purge marker

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 16:35:00.000000

The trail stays append-only for everything else: no row is ever deleted, and the only update
the database accepts sets old_value and/or new_value to exactly the retention marker, leaving
every other column as it was. That lets the retention policy remove residents' details from
old events while who, when, which record and which status stay as evidence.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKER = "[removed under the retention policy]"
MESSAGE = "the audit trail is append-only"
KEPT = [
    "id",
    "at",
    "actor_id",
    "actor_name",
    "entity",
    "entity_id",
    "entity_ref",
    "action",
    "field",
]


def _redaction_only(same: str) -> str:
    """SQL true only when an update changes nothing but old/new value, and those to the marker."""
    kept = " AND ".join(f"NEW.{c} {same} OLD.{c}" for c in KEPT)
    values = " AND ".join(
        f"(NEW.{c} {same} OLD.{c} OR NEW.{c} {same} '{MARKER}')" for c in ("old_value", "new_value")
    )
    return f"{kept} AND {values}"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"WHEN NOT ({_redaction_only('IS')}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF TG_OP = 'UPDATE' AND {_redaction_only('IS NOT DISTINCT FROM')} THEN RETURN NEW; "
        "END IF; "
        f"RAISE EXCEPTION '{MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )


def downgrade() -> None:
    """Back to 0001's triggers: every update and delete refused."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
