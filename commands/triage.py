"""Triage from the triage post (or a DM, the Home tab, ``/golive issue``): each button opens a
small modal, or (resolve) acts at once. Permission is checked when the button is pressed, so
a refusal comes before any typing, and again by the store when the change is saved."""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.forms import Form, FormResult
from bot.ids import Triage
from bot.views import issues as views
from commands import home
from commands.context import (
    Deps,
    accepted,
    ack_only,
    acting_person,
    action_value,
    actor_in,
    chosen_in,
    guarded,
    learn_names,
    person_in,
    save_or_show,
)
from store.records import issues
from store.records.enums import Urgency
from store.records.models import Person
from store.records.permissions import Action, require

Json = dict[str, Any]
Change = Callable[[Session, Person], Any]


def register(app: App, deps: Deps) -> None:
    @guarded
    def open_triage_modal(body: Json, client: WebClient) -> None:
        action_id = body["actions"][0]["action_id"]
        ref = action_value(body)
        person = acting_person(deps, client, body["user"]["id"])

        def build(session: Session) -> Json:
            view = views.load(session, ref)
            require(
                session,
                person_in(session, person),
                Action.TRIAGE_ISSUE,
                service_id=view.issue.service_id,
            )
            return views.TRIAGE_MODALS[action_id](view)

        client.views_open(trigger_id=body["trigger_id"], view=deps.read(build))

    for action_id in views.TRIAGE_MODALS:
        app.action(action_id)(ack=ack_only, lazy=[open_triage_modal])

    @guarded
    def resolve_now(body: Json, client: WebClient) -> None:
        person = acting_person(deps, client, body["user"]["id"])
        ref = action_value(body)
        deps.run(
            lambda session: issues.resolve(
                session, actor=person_in(session, person), ref=ref, now=deps.now()
            )
        )
        home.refresh_around_issue(deps, client, ref, actor=person.slack_user_id)

    app.action(Triage.RESOLVE)(ack=ack_only, lazy=[resolve_now])

    def submitter(parse: Callable[[Form], FormResult[Change]]) -> Callable[..., None]:
        """The ack-time half of a triage modal: parse, save, or put errors beside fields."""

        def submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
            change = accepted(ack, parse(Form(view)))
            if change is None:
                return
            save_or_show(
                deps, ack, view, lambda session: change(session, actor_in(session, deps, body))
            )

        return submit

    @guarded
    def refresh_after(body: Json, client: WebClient, view: Json) -> None:
        ref = str(view.get("private_metadata") or "")
        learn_names(deps, client, body)
        home.refresh_around_issue(deps, client, ref, actor=body["user"]["id"])

    def parse_assign(form: Form) -> FormResult[Change]:
        owner_id = form.user(Triage.OWNER, label="The owner", required=True)
        if owner_id is None:
            return form.invalid()
        ref = form.metadata

        def change(session: Session, actor: Person) -> Any:
            owner = chosen_in(session, deps, owner_id)
            return issues.assign_owner(session, actor=actor, ref=ref, owner=owner, now=deps.now())

        return form.result(change)

    def parse_urgency(form: Form) -> FormResult[Change]:
        urgency = form.choice(Triage.NEW_URGENCY, Urgency, label="The urgency")
        if urgency is None:
            return form.invalid()
        ref = form.metadata
        return form.result(
            lambda session, actor: issues.set_urgency(
                session, actor=actor, ref=ref, urgency=urgency, now=deps.now()
            )
        )

    def parse_control(form: Form) -> FormResult[Change]:
        text = form.text(Triage.CONTROL_TEXT, label="The immediate control", required=True)
        owner_id = form.user(Triage.CONTROL_OWNER, label="Who makes sure it happens")
        due = form.day(Triage.CONTROL_DUE, label="The review date")
        ref = form.metadata

        def change(session: Session, actor: Person) -> Any:
            owner = chosen_in(session, deps, owner_id) if owner_id else None
            return issues.add_immediate_control(
                session,
                actor=actor,
                ref=ref,
                description=text or "",
                owner=owner,
                due_date=due,
                now=deps.now(),
            )

        return form.result(change)

    def parse_correction(form: Form) -> FormResult[Change]:
        text = form.text(Triage.CORRECTION_TEXT, label="The correction action", required=True)
        due = form.day(Triage.CORRECTION_DUE, label="The target date")
        ref = form.metadata
        return form.result(
            lambda session, actor: issues.set_correction(
                session, actor=actor, ref=ref, action=text or "", due=due, now=deps.now()
            )
        )

    def parse_supplier(form: Form) -> FormResult[Change]:
        note = form.text(Triage.NOTE, label="The note")
        ref = form.metadata
        return form.result(
            lambda session, actor: issues.mark_awaiting_supplier(
                session, actor=actor, ref=ref, note=note, now=deps.now()
            )
        )

    def parse_close(form: Form) -> FormResult[Change]:
        evidence = form.text(Triage.EVIDENCE, label="Closure evidence", required=True)
        ref = form.metadata
        return form.result(
            lambda session, actor: issues.close(
                session, actor=actor, ref=ref, evidence=evidence or "", now=deps.now()
            )
        )

    def parse_reopen(form: Form) -> FormResult[Change]:
        reason = form.text(Triage.REASON, label="The reason for reopening", required=True)
        ref = form.metadata
        return form.result(
            lambda session, actor: issues.reopen(
                session, actor=actor, ref=ref, reason=reason or "", now=deps.now()
            )
        )

    parsers: dict[str, Callable[[Form], FormResult[Change]]] = {
        Triage.ASSIGN: parse_assign,
        Triage.URGENCY: parse_urgency,
        Triage.CONTROL: parse_control,
        Triage.CORRECTION: parse_correction,
        Triage.SUPPLIER: parse_supplier,
        Triage.CLOSE: parse_close,
        Triage.REOPEN: parse_reopen,
    }
    for callback_id, parse in parsers.items():
        app.view(callback_id)(ack=submitter(parse), lazy=[refresh_after])
