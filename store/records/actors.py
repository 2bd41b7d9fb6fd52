"""Who is making a change: a person from Slack, or golive itself (command line, scheduler)."""

from dataclasses import dataclass

from store.records.models import Person


@dataclass(frozen=True)
class SystemActor:
    """golive acting on its own account; trusted, since it runs with the operator's access."""

    name: str


COMMAND_LINE = SystemActor("golive command line")
SCHEDULER = SystemActor("golive scheduler")
SLACK_PROFILE = SystemActor("golive, from the Slack profile")

Actor = Person | SystemActor


def actor_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, Person) else None
