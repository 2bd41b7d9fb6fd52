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
from store.records.enums import IssueSource
from store.records.issues import IssueReport
from store.records.models import Person
from store.records.report_form import read_report

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
    origin = ReportOrigin.load(view.get("private_metadata"))
    return read_report(Form(view), source=origin.source, permalink=origin.permalink)


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
