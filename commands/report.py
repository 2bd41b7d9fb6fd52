"""Reporting a go-live issue: ``/golive`` alone or the message shortcut opens the modal;
submitting it records the issue, the triage post, the confirmation and any urgent alert in
one transaction (store.records.issues.report_issue), deduplicated by the submitted view."""

import hashlib
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.forms import Form, FormResult
from bot.ids import Home, Report
from bot.views import issues as views
from bot.views.issues import ReportOrigin
from commands import home
from commands.context import (
    Deps,
    accepted,
    acting_person,
    actor_in,
    guarded,
    learn_names,
    save_or_show,
)
from commands.slash import SlashContext
from store.records import issues, people
from store.records.enums import Impact, IssueCategory, IssueSource, Urgency, Workaround
from store.records.issues import IssueReport
from store.records.models import Person

Json = dict[str, Any]


def open_report_modal(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    user_id: str,
    description: str = "",
    origin: ReportOrigin | None = None,
    person: Person | None = None,
) -> None:
    """``person`` when the caller has already looked up who is reporting."""
    person = person or acting_person(deps, client, user_id)
    view = deps.read(
        lambda session: views.report_modal(
            people.service_choices(session),
            default_service_id=person.service_id,
            description=description,
            origin=origin or ReportOrigin(),
        )
    )
    client.views_open(trigger_id=trigger_id, view=view)


def submission_key(view: Json) -> str:
    """The submitted view, so a retried or double-clicked submit records one issue."""
    digest = hashlib.sha256(f"{view.get('id')}:{view.get('hash')}".encode()).hexdigest()[:24]
    return f"report:{view.get('id')}:{digest}"


def parse_report(view: Json) -> FormResult[IssueReport]:
    form = Form(view)
    service = form.integer(Report.SERVICE, label="The service")
    category = form.choice(Report.CATEGORY, IssueCategory, label="What kind of problem")
    description = form.text(Report.DESCRIPTION, label="What happened", required=True)
    impact = form.choice(Report.IMPACT, Impact, label="The impact on care")
    urgency = form.choice(Report.URGENCY, Urgency, label="How urgent it is")
    workaround = form.choice(Report.WORKAROUND, Workaround, label="Whether there is a workaround")
    detail = form.text(Report.WORKAROUND_DETAIL, label="The workaround")
    if workaround == Workaround.UNSAFE and detail is None:
        form.errors[Report.WORKAROUND_DETAIL] = (
            "Say what the unsafe workaround is, so a manager can put a control in place"
        )
    if (
        service is None
        or category is None
        or description is None
        or impact is None
        or urgency is None
        or workaround is None
    ):
        return form.invalid()
    origin = ReportOrigin.load(view.get("private_metadata"))
    report = IssueReport(
        service_id=service,
        category=category,
        description=description,
        impact=impact,
        urgency=urgency,
        workaround=workaround,
        workaround_detail=detail,
        source=origin.source,
        source_permalink=origin.permalink,
    )
    return form.result(report)


def permalink_of(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    """The original message's link; the report goes on without it if Slack can't say."""
    if not channel or not ts:
        return None
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except Exception:
        return None
    return str(link) if link else None


def register(app: App, deps: Deps) -> None:
    def report_from_command(ctx: SlashContext) -> None:
        open_report_modal(
            deps, ctx.client, trigger_id=ctx.trigger_id, user_id=ctx.user_id, person=ctx.person
        )

    deps.router.set_default(report_from_command)
    deps.router.add(
        "report",
        report_from_command,
        usage="/golive report",
        summary="report a go-live problem (the same as /golive alone)",
    )

    def ack_shortcut(ack: Ack) -> None:
        ack()

    @guarded
    def open_from_message(body: Json, client: WebClient) -> None:
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        link = permalink_of(client, channel, message.get("ts") or body.get("message_ts"))
        open_report_modal(
            deps,
            client,
            trigger_id=body["trigger_id"],
            user_id=body["user"]["id"],
            description=(message.get("text") or "")[:3000],
            origin=ReportOrigin(IssueSource.MESSAGE_SHORTCUT, link),
        )

    app.shortcut(Report.SHORTCUT)(ack=ack_shortcut, lazy=[open_from_message])

    @guarded
    def open_from_button(body: Json, client: WebClient) -> None:
        open_report_modal(
            deps,
            client,
            trigger_id=body["trigger_id"],
            user_id=body["user"]["id"],
            origin=ReportOrigin(from_home=True),
        )

    app.action(Home.REPORT)(ack=ack_shortcut, lazy=[open_from_button])

    def submit_report(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        report = accepted(ack, parse_report(view))
        if report is None:
            return
        key = submission_key(view)
        save_or_show(
            deps,
            ack,
            view,
            lambda session: issues.report_issue(
                session,
                reporter=actor_in(session, deps, body),
                report=report,
                now=deps.now(),
                submission_key=key,
            ),
        )

    @guarded
    def after_report(body: Json, client: WebClient) -> None:
        learn_names(deps, client, body)
        if ReportOrigin.load(body["view"].get("private_metadata")).from_home:
            home.refresh(deps, client, body["user"]["id"])

    app.view(Report.MODAL)(ack=submit_report, lazy=[after_report])
