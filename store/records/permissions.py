"""Who may do what: the one table of permissions, checked on the server for every change.

A role granted for one service counts only for that service's records; a role granted with
no service counts everywhere. A registered manager is always granted for a service.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from store.infra.errors import PermissionDenied
from store.records.actors import Actor, SystemActor, actor_id
from store.records.enums import Role
from store.records.models import RoleGrant


class Action(StrEnum):
    TRIAGE_ISSUE = "triage_issue"
    RECORD_RISK = "record_risk"
    SCORE_RISK = "score_risk"
    ADD_CONTROL = "add_control"
    UPDATE_CONTROL = "update_control"
    RECORD_DECISION = "record_decision"
    OPEN_CHECKPOINT = "open_checkpoint"
    SET_PHASE = "set_phase"
    SET_WAVE = "set_wave"
    MANAGE_ROLES = "manage_roles"
    MANAGE_SETUP = "manage_setup"
    EXPORT = "export"
    START_REVIEW = "start_review"
    RECORD_VERDICT = "record_verdict"
    TRANSFER_RISK = "transfer_risk"
    LEADERSHIP_ACTION = "leadership_action"
    FOLLOW_UP_AUDIT = "follow_up_audit"
    CLOSE_PROJECT = "close_project"
    READ_REGISTER = "read_register"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    what: str
    owner: bool = False


def _rule(what: str, *roles: Role, owner: bool = False) -> Rule:
    return Rule(roles=frozenset({*roles, Role.ADMIN}), what=what, owner=owner)


R = Role
RULES: dict[Action, Rule] = {
    Action.TRIAGE_ISSUE: _rule(
        "triage go-live issues", R.TEAM_LEADER, R.REGISTERED_MANAGER, R.PROJECT_LEAD
    ),
    Action.RECORD_RISK: _rule("record and edit this risk", R.REGISTERED_MANAGER, R.PROJECT_LEAD),
    Action.SCORE_RISK: _rule(
        "score risks and set priority controls and review dates", R.QUALITY_LEAD
    ),
    Action.ADD_CONTROL: _rule(
        "add controls to this risk", R.REGISTERED_MANAGER, R.PROJECT_LEAD, R.QUALITY_LEAD
    ),
    Action.UPDATE_CONTROL: _rule(
        "update this control",
        R.REGISTERED_MANAGER,
        R.PROJECT_LEAD,
        R.QUALITY_LEAD,
        owner=True,
    ),
    Action.RECORD_DECISION: _rule("record board decisions", R.BOARD_MEMBER),
    Action.OPEN_CHECKPOINT: _rule("open implementation checkpoints", R.PROJECT_LEAD),
    Action.SET_PHASE: _rule("set the project phase", R.PROJECT_LEAD),
    Action.SET_WAVE: _rule("plan services' rollout waves", R.PROJECT_LEAD),
    Action.MANAGE_ROLES: _rule("grant and remove roles"),
    Action.MANAGE_SETUP: _rule("set up services, people and channels"),
    Action.START_REVIEW: _rule("start the post-implementation review", R.QUALITY_LEAD),
    Action.RECORD_VERDICT: _rule(
        "record whether this risk's controls worked", R.REGISTERED_MANAGER, R.QUALITY_LEAD
    ),
    Action.TRANSFER_RISK: _rule("transfer risks to the business-as-usual register", R.PROJECT_LEAD),
    Action.LEADERSHIP_ACTION: _rule("record leadership actions", R.BOARD_MEMBER, R.PROJECT_LEAD),
    Action.FOLLOW_UP_AUDIT: _rule("schedule follow-up audits and record results", R.QUALITY_LEAD),
    Action.CLOSE_PROJECT: _rule("close the implementation", R.PROJECT_LEAD),
    Action.EXPORT: _rule(
        "export the register and logs",
        R.REGISTERED_MANAGER,
        R.QUALITY_LEAD,
        R.PROJECT_LEAD,
        R.BOARD_MEMBER,
    ),
    Action.READ_REGISTER: _rule(
        "see the risk register",
        R.TEAM_LEADER,
        R.REGISTERED_MANAGER,
        R.QUALITY_LEAD,
        R.PROJECT_LEAD,
        R.BOARD_MEMBER,
    ),
}


def grants_of(session: Session, person_id: int) -> list[RoleGrant]:
    return list(session.exec(select(RoleGrant).where(RoleGrant.person_id == person_id)))


Grant = tuple[Role, int | None]
"""A role and the service it is granted for (None: every service)."""


def _decide(
    actor: Actor,
    action: Action,
    grants: Callable[[], Iterable[Grant]],
    *,
    service_id: int | None,
    owner_id: int | None,
) -> bool:
    """The one place the rule is applied; ``grants`` is only read when the rule needs it."""
    if isinstance(actor, SystemActor):
        return True
    rule = RULES[action]
    if rule.owner and owner_id is not None and owner_id == actor.id:
        return True
    return any(
        role in rule.roles and (granted_for is None or granted_for == service_id)
        for role, granted_for in grants()
    )


def allowed(
    session: Session,
    actor: Actor,
    action: Action,
    *,
    service_id: int | None = None,
    owner_id: int | None = None,
) -> bool:
    def grants() -> list[Grant]:
        person_id = actor_id(actor)
        assert person_id is not None
        return [(grant.role, grant.service_id) for grant in grants_of(session, person_id)]

    return _decide(actor, action, grants, service_id=service_id, owner_id=owner_id)


@dataclass(frozen=True)
class Permissions:
    """One actor's grants, read once, for a view that asks about many records at a time
    (the Home tab's triage buttons) without a query per record."""

    actor: Actor
    grants: tuple[Grant, ...]

    def allows(
        self, action: Action, *, service_id: int | None = None, owner_id: int | None = None
    ) -> bool:
        """What ``allowed`` would answer, decided by the same rule from the grants held."""
        return _decide(
            self.actor, action, lambda: self.grants, service_id=service_id, owner_id=owner_id
        )


def permissions_for(session: Session, actor: Actor) -> Permissions:
    """The actor's grants in one query (none for golive itself, which needs none)."""
    if isinstance(actor, SystemActor):
        return Permissions(actor=actor, grants=())
    assert actor.id is not None
    grants = grants_of(session, actor.id)
    return Permissions(actor=actor, grants=tuple((g.role, g.service_id) for g in grants))


def who_may(action: Action) -> str:
    """The refusal's second half: who to ask instead."""
    rule = RULES[action]
    names = [role.label.lower() for role in Role if role in rule.roles and role != Role.ADMIN]
    names.append("an admin")
    if rule.owner:
        names.insert(0, "its owner")
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return listed[0].upper() + listed[1:]


def require(
    session: Session,
    actor: Actor,
    action: Action,
    *,
    service_id: int | None = None,
    owner_id: int | None = None,
) -> None:
    if not allowed(session, actor, action, service_id=service_id, owner_id=owner_id):
        rule = RULES[action]
        scope = " for this service" if service_id is not None else ""
        raise PermissionDenied(
            f"You can't {rule.what}. {who_may(action)}{scope} can; ask an admin if you "
            "should have this role."
        )
