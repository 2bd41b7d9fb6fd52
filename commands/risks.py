"""The risk register in Slack: ``/golive risk add`` (modal), ``/golive risks`` (filtered list,
highest score first), ``/golive risk R-003`` (detail with buttons), edits and status changes.

Also what the register's other listeners share: finding a person from a mention, and opening
a modal about one risk for someone who may act on it (``open_risk_modal``).
"""

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.forms import Form, FormResult
from bot.ids import RiskIds
from bot.views import risks as views
from commands.context import (
    Deps,
    accepted,
    ack_only,
    acting,
    acting_person,
    action_value,
    actor_in,
    chosen_in,
    done,
    guarded,
    name_learner,
    open_for_actor,
    open_view,
    person_in,
    reply,
)
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import people, risks
from store.records.models import Person, Risk
from store.records.permissions import Action, require
from store.records.register_forms import (
    NewRiskForm,
    RiskEdit,
    StatusChange,
    read_filters,
    read_new_risk,
    read_risk_edit,
    read_status_change,
)
from store.records.risk_view import risk_view

Json = dict[str, Any]

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
LIST_USAGE = (
    "/golive risks [service:oakwood] [category:training] [band:high] [owner:@person] "
    "[status:closed] [overdue]"
)


# ---------------------------------------------------------------------- shared helpers


def user_id_from(text: str) -> str | None:
    """A Slack user from ``<@U123|name>`` (as Slack escapes a mention) or a bare ``U123``."""
    found = MENTION.match(text.strip())
    return (found.group(1) or found.group(2)) if found else None


def person_named(deps: Deps, client: WebClient, text: str) -> Person:
    user_id = user_id_from(text)
    if user_id is None:
        raise ValidationError(
            f"'{text.strip()}' is not a person; mention them, like @Mo Manager", field="user"
        )
    return acting_person(deps, client, user_id)


def open_risk_modal(
    deps: Deps,
    client: WebClient,
    body: Json,
    ref: str,
    *,
    action: Action,
    modal: Callable[[Session, Risk], Json],
) -> None:
    """A modal about one risk (edit it, change its status, add a control), opened only for
    someone who may ``action`` on the risk's service."""

    def build(session: Session, actor: Person) -> Json:
        risk = risks.get_risk(session, ref)
        require(session, actor, action, service_id=risk.service_id)
        return modal(session, risk)

    open_for_actor(deps, client, body, build)


# ---------------------------------------------------------------------- add and edit


def open_add(deps: Deps, client: WebClient, body: Json, person: Person) -> None:
    def build(session: Session) -> Json:
        actor = person_in(session, person)
        scopes = risks.recordable_scopes(session, actor=actor)
        if not scopes:
            require(session, actor, Action.RECORD_RISK)
        services = [s for s in people.list_services(session) if s.id in scopes]
        default = None if None in scopes else services[0].id
        return views.risk_add_modal(
            services=services, default_service_id=default, organisation=None in scopes
        )

    open_view(client, body, deps.read(build))


def parse_new_risk(view: Json) -> FormResult[NewRiskForm[str]]:
    form = Form(view)
    return read_new_risk(form, owner=lambda: form.user(RiskIds.OWNER, label="An owner"))


def submit_add(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    typed = accepted(ack, parse_new_risk(view))
    if typed is None:
        return

    def work(session: Session) -> str:
        owner = chosen_in(session, deps, typed.owner) if typed.owner else None
        chosen = replace(typed.risk, owner_id=owner.id if owner else None)
        actor = actor_in(session, deps, body)
        return risks.create_risk(session, actor=actor, data=chosen, now=deps.now()).ref

    ref = deps.run(work)
    done(
        ack,
        f"{ref} recorded",
        f":white_check_mark: *{ref}* is in the register. The quality lead scores it next; "
        f"see it with `/golive risk {ref}`.",
    )


def open_edit(deps: Deps, client: WebClient, body: Json, ref: str) -> None:
    def modal(session: Session, risk: Risk) -> Json:
        owner = people.person_by_id(session, person_id=risk.owner_id)
        return views.risk_edit_modal(risk, owner=owner)

    open_risk_modal(deps, client, body, ref, action=Action.RECORD_RISK, modal=modal)


def parse_edit(view: Json) -> FormResult[RiskEdit[str]]:
    form = Form(view)
    return read_risk_edit(form, owner=lambda: form.user(RiskIds.OWNER, label="An owner"))


def submit_edit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    edit = accepted(ack, parse_edit(view))
    if edit is None:
        return
    ref = view.get("private_metadata") or ""
    deps.run(
        lambda session: risks.update_details(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            now=deps.now(),
            title=edit.title,
            description=edit.description,
            owner=chosen_in(session, deps, edit.owner) if edit.owner else None,
            escalation_route=edit.escalation_route,
        )
    )
    done(ack, f"{ref} saved", f":white_check_mark: *{ref}* is updated.")


def open_status(deps: Deps, client: WebClient, body: Json, ref: str) -> None:
    open_risk_modal(
        deps,
        client,
        body,
        ref,
        action=Action.RECORD_RISK,
        modal=lambda session, risk: views.risk_status_modal(risk),
    )


def parse_status(view: Json) -> FormResult[StatusChange]:
    return read_status_change(Form(view))


def submit_status(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    change = accepted(ack, parse_status(view))
    if change is None:
        return
    ref = view.get("private_metadata") or ""
    deps.run(
        lambda session: risks.set_status(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            status=change.status,
            note=change.note,
            now=deps.now(),
        )
    )
    status = change.status.label.lower()
    done(ack, f"{ref} {status}", f"*{ref}* is now {status}.")


# ---------------------------------------------------------------------- list and detail


def detail(deps: Deps, person: Person, ref: str) -> tuple[str, list[Json]]:
    def build(session: Session) -> tuple[str, list[Json]]:
        risks.require_reader(session, actor=person_in(session, person))
        view = risk_view(session, ref)
        return views.risk_detail(
            views.RiskDetail(
                risk=view.risk,
                service=view.service,
                assessments=view.assessments,
                controls=view.controls,
                decisions=view.decisions,
                people=view.people,
                today=deps.now().date(),
            )
        )

    return deps.read(build)


def list_register(deps: Deps, ctx: SlashContext) -> None:
    words = ctx.args[1:]
    owners = [w.partition(":")[2] for w in words if w.lower().startswith("owner:")]
    owner = person_named(deps, ctx.client, owners[-1]) if owners else None

    def build(session: Session) -> tuple[str, list[Json]]:
        risks.require_reader(session, actor=person_in(session, ctx.person))
        filters, described = read_filters(
            session, words, owner=owner, today=deps.now().date(), usage=LIST_USAGE
        )
        found = risks.list_risks(session, filters=filters, limit=views.LIST_LIMIT)
        total = risks.count_risks(session, filters=filters)
        return views.risk_list(
            found,
            total=total,
            people=people.by_ids(session, ids={r.owner_id for r in found}),
            services={s.id: s for s in people.list_services(session) if s.id is not None},
            today=deps.now().date(),
            described=described,
        )

    text, blocks = deps.read(build)
    ctx.reply(text, blocks)


def register(app: App, deps: Deps) -> None:
    def risk_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply("Say which risk, like `/golive risk R-003`, or `/golive risk add`.")
            return
        if ctx.args[1].lower() == "add":
            open_add(deps, ctx.client, ctx.body, ctx.person)
            return
        text, blocks = detail(deps, ctx.person, ctx.args[1])
        ctx.reply(text, blocks)

    deps.router.add(
        "risk",
        risk_command,
        usage="/golive risk add | /golive risk R-003",
        summary="record a risk, or see one with its scores, controls and decisions",
    )
    deps.router.add(
        "risks",
        lambda ctx: list_register(deps, ctx),
        usage=LIST_USAGE,
        summary="the risk register, highest score first",
    )

    @guarded
    def show(body: Json, client: WebClient) -> None:
        text, blocks = detail(deps, acting(deps, client, body), action_value(body))
        reply(client, body, text, blocks)

    @guarded
    def edit(body: Json, client: WebClient) -> None:
        open_edit(deps, client, body, action_value(body))

    @guarded
    def status(body: Json, client: WebClient) -> None:
        open_status(deps, client, body, action_value(body))

    app.action(RiskIds.SHOW)(ack=ack_only, lazy=[show])
    app.action(RiskIds.EDIT)(ack=ack_only, lazy=[edit])
    app.action(RiskIds.STATUS)(ack=ack_only, lazy=[status])

    def on_add(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_add(deps, ack, body, view, client)

    def on_edit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_edit(deps, ack, body, view, client)

    def on_status(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_status(deps, ack, body, view, client)

    app.view(RiskIds.ADD_VIEW)(ack=on_add, lazy=[name_learner(deps)])
    app.view(RiskIds.EDIT_VIEW)(ack=on_edit, lazy=[name_learner(deps)])
    app.view(RiskIds.STATUS_VIEW)(ack=on_status, lazy=[name_learner(deps)])
