"""The risk register in Slack: ``/golive risk add`` (modal), ``/golive risks`` (filtered list,
highest score first), ``/golive risk R-003`` (detail with buttons), edits and status changes.

Also the few helpers the register's other listeners (scoring, controls, decisions,
checkpoints) share: opening a modal from wherever the click came from, and saying "done".
"""

import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlmodel import Session

from bot.escape import BLOCKS_PER_VIEW, fit_blocks
from bot.forms import Form, FormErrors
from bot.ids import RiskIds
from bot.views import risks as views
from bot.views.common import notice_modal
from commands.context import (
    Deps,
    acting_person,
    actor_id_of,
    actor_in,
    chosen_in,
    guarded,
    name_learner,
    person_in,
)
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import decisions, people, risks
from store.records.enums import Band, RiskCategory, RiskScope, RiskStatus
from store.records.models import Person
from store.records.permissions import Action, require

Json = dict[str, Any]

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
LIST_USAGE = (
    "/golive risks [service:oakwood] [category:training] [band:high] [owner:@person] "
    "[status:closed] [overdue]"
)


# ---------------------------------------------------------------------- shared helpers


def ack_only(ack: Ack) -> None:
    ack()


def open_view(client: WebClient, body: Json, view: Json) -> None:
    """Open a modal, or stack it on the modal the click came from."""
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def action_value(body: Json) -> str:
    action = (body.get("actions") or [{}])[0]
    chosen = action.get("selected_option") or {}
    return str(action.get("value") or chosen.get("value") or "")


def acting(deps: Deps, client: WebClient, body: Json) -> Person:
    """Whoever clicked or typed: the shared openers serve buttons and ``/golive`` alike, and a
    slash command's body names its user ``user_id``, not ``user.id``."""
    return acting_person(deps, client, actor_id_of(body))


def done(ack: Ack, title: str, text: str) -> None:
    """Close the submission by showing what was recorded, in the same modal."""
    ack(response_action="update", view=notice_modal(title, text))


def reply(client: WebClient, body: Json, text: str, blocks: list[Json] | None = None) -> None:
    """An answer only the clicker sees: ephemeral under a message, else a modal."""
    response_url = body.get("response_url")
    if response_url:
        WebhookClient(response_url).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
        return
    view = notice_modal("Risk register", text)
    if blocks:
        view["blocks"] = fit_blocks(blocks, BLOCKS_PER_VIEW)
    open_view(client, body, view)


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


def submit_error(ack: Ack, errors: dict[str, str]) -> None:
    ack(response_action="errors", errors=errors)


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


def parse_new_risk(view: Json) -> tuple[risks.NewRisk, str | None]:
    """The new risk as typed, and the Slack user picked as its owner (created with the risk)."""
    form = Form(view)
    title = form.text(RiskIds.TITLE, label="The risk", required=True)
    description = form.text(RiskIds.DESCRIPTION, label="The description") or ""
    category = form.choice(RiskIds.CATEGORY, RiskCategory, label="A category")
    scope = form.values.get(RiskIds.SCOPE) or ""
    if scope != views.ORGANISATION and not scope.startswith(views.SERVICE_PREFIX):
        form.errors[RiskIds.SCOPE] = "Choose the whole organisation or one service"
    owner_id = form.user(RiskIds.OWNER, label="An owner")
    route = form.text(RiskIds.ESCALATION_ROUTE, label="The escalation route")
    first = form.text(RiskIds.CONTROLS, label="The first controls") or ""
    review = form.day(RiskIds.REVIEW_DATE, label="The review date")
    form.check()
    assert title is not None and category is not None
    service_id = (
        int(scope.removeprefix(views.SERVICE_PREFIX))
        if scope.removeprefix(views.SERVICE_PREFIX).isdigit()
        else None
    )
    data = risks.NewRisk(
        title=title,
        description=description,
        category=category,
        scope=RiskScope.ORGANISATION if service_id is None else RiskScope.SERVICE,
        service_id=service_id,
        owner_id=None,
        escalation_route=route,
        review_date=review,
        first_controls=[line for line in first.splitlines() if line.strip()],
    )
    return data, owner_id


def submit_add(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    try:
        data, owner_id = parse_new_risk(view)
    except FormErrors as errors:
        submit_error(ack, errors.errors)
        return

    def work(session: Session) -> str:
        owner = chosen_in(session, deps, owner_id) if owner_id else None
        chosen = replace(data, owner_id=owner.id if owner else None)
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
    person = acting(deps, client, body)

    def build(session: Session) -> Json:
        risk = risks.get_risk(session, ref)
        require(session, person_in(session, person), Action.RECORD_RISK, service_id=risk.service_id)
        owner = people.person_by_id(session, person_id=risk.owner_id)
        return views.risk_edit_modal(risk, owner=owner)

    open_view(client, body, deps.read(build))


def submit_edit(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    title = form.text(RiskIds.TITLE, label="The risk", required=True)
    description = form.text(RiskIds.DESCRIPTION, label="The description") or ""
    owner_id = form.user(RiskIds.OWNER, label="An owner")
    route = form.text(RiskIds.ESCALATION_ROUTE, label="The escalation route") or ""
    try:
        form.check()
    except FormErrors as errors:
        submit_error(ack, errors.errors)
        return
    ref = view.get("private_metadata") or ""
    deps.run(
        lambda session: risks.update_details(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            now=deps.now(),
            title=title,
            description=description,
            owner=chosen_in(session, deps, owner_id) if owner_id else None,
            escalation_route=route,
        )
    )
    done(ack, f"{ref} saved", f":white_check_mark: *{ref}* is updated.")


def open_status(deps: Deps, client: WebClient, body: Json, ref: str) -> None:
    person = acting(deps, client, body)

    def build(session: Session) -> Json:
        risk = risks.get_risk(session, ref)
        require(session, person_in(session, person), Action.RECORD_RISK, service_id=risk.service_id)
        return views.risk_status_modal(risk)

    open_view(client, body, deps.read(build))


def submit_status(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    form = Form(view)
    status = form.choice(RiskIds.NEW_STATUS, RiskStatus, label="A status")
    note = form.text(RiskIds.NOTE, label="The reason", required=True)
    try:
        form.check()
    except FormErrors as errors:
        submit_error(ack, errors.errors)
        return
    assert status is not None and note is not None
    ref = view.get("private_metadata") or ""
    deps.run(
        lambda session: risks.set_status(
            session,
            actor=actor_in(session, deps, body),
            ref=ref,
            status=status,
            note=note,
            now=deps.now(),
        )
    )
    done(ack, f"{ref} {status.label.lower()}", f"*{ref}* is now {status.label.lower()}.")


# ---------------------------------------------------------------------- list and detail


def detail(deps: Deps, person: Person, ref: str) -> tuple[str, list[Json]]:
    def build(session: Session) -> tuple[str, list[Json]]:
        risks.require_reader(session, actor=person_in(session, person))
        risk = risks.get_risk(session, ref)
        found = risks.controls_of(session, risk)
        decided = decisions.decisions_on(session, risk=risk)
        history = risks.assessments(session, risk)
        ids = {risk.owner_id, *(c.owner_id for c in found), *(a.assessed_by_id for a in history)}
        ids |= {d.decided_by_id for d in decided} | {d.owner_id for d in decided}
        return views.risk_detail(
            views.RiskDetail(
                risk=risk,
                service=people.service_by_id(session, service_id=risk.service_id),
                assessments=history,
                controls=found,
                decisions=decided,
                people=people.by_ids(session, ids=ids),
                today=deps.now().date(),
            )
        )

    return deps.read(build)


def parse_filters(
    deps: Deps, session: Session, words: list[str], *, owner: Person | None
) -> tuple[risks.RiskFilter, str]:
    """``service:`` ``category:`` ``band:`` ``owner:`` ``status:`` and ``overdue``; each
    unknown word is refused with what would have worked."""
    values: dict[str, Any] = {}
    described = []
    for word in words:
        key, _, value = word.partition(":")
        key = key.lower()
        try:
            if key == "overdue" and not value:
                values["overdue_on"] = deps.now().date()
            elif key == "service":
                values["service_id"] = people.get_service(session, value).id
            elif key == "category":
                values["category"] = RiskCategory.parse(value)
            elif key == "band":
                values["band"] = Band.parse(value)
            elif key == "status":
                values["status"] = RiskStatus.parse(value)
            elif key == "owner" and owner is not None:
                values["owner_id"] = owner.id
            else:
                raise ValidationError(
                    f"I don't know the filter '{word}'. Try: {LIST_USAGE}", field="filter"
                )
        except ValueError as error:
            raise ValidationError(f"{key}: {error}", field="filter") from None
        described.append(word)
    return risks.RiskFilter(**values), " ".join(described)


def list_register(deps: Deps, ctx: SlashContext) -> None:
    words = ctx.args[1:]
    owners = [w.partition(":")[2] for w in words if w.lower().startswith("owner:")]
    owner = person_named(deps, ctx.client, owners[-1]) if owners else None

    def build(session: Session) -> tuple[str, list[Json]]:
        risks.require_reader(session, actor=person_in(session, ctx.person))
        filters, described = parse_filters(deps, session, words, owner=owner)
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
