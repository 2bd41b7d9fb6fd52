"""One risk as every face shows it: its score history, controls, board decisions and the
people they name, read in one place so Slack's detail and Teams' card show the same facts."""

from dataclasses import dataclass

from sqlmodel import Session

from store.records import decisions, people, risks
from store.records.models import Control, Decision, Person, Risk, RiskAssessment, Service


@dataclass(frozen=True)
class RiskView:
    risk: Risk
    service: Service | None
    assessments: list[RiskAssessment]
    controls: list[Control]
    decisions: list[Decision]
    people: dict[int, Person]


def risk_view(session: Session, ref: str) -> RiskView:
    """The risk ``ref`` with what its detail shows; the caller checks who may read it."""
    risk = risks.get_risk(session, ref)
    found = risks.controls_of(session, risk)
    decided = decisions.decisions_on(session, risk=risk)
    history = risks.assessments(session, risk)
    ids = {risk.owner_id, *(c.owner_id for c in found), *(a.assessed_by_id for a in history)}
    ids |= {d.decided_by_id for d in decided} | {d.owner_id for d in decided}
    return RiskView(
        risk=risk,
        service=people.service_by_id(session, service_id=risk.service_id),
        assessments=history,
        controls=found,
        decisions=decided,
        people=people.by_ids(session, ids=ids),
    )
