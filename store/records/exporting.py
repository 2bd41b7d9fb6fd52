"""Who may take the register, logs and evidence pack away as files, said once for every face
(Slack's upload, Teams' download link, checked again when the link is fetched)."""

from sqlmodel import Session

from store.infra.errors import PermissionDenied
from store.records.models import Person, ident
from store.records.permissions import RULES, Action, grants_of, who_may


def may_export(session: Session, person: Person) -> bool:
    """Export is for the roles that hold governance records, at any scope: a registered
    manager (granted for their service) hands these files to the inspector of that service."""
    roles = RULES[Action.EXPORT].roles
    return any(grant.role in roles for grant in grants_of(session, ident(person)))


def require_export(session: Session, person: Person) -> None:
    if not may_export(session, person):
        raise PermissionDenied(
            f"You can't export the register and logs. {who_may(Action.EXPORT)} can; ask "
            "an admin if you should have this role."
        )
