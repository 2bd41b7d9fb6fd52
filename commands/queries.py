"""``/golive help | mine | status | issue GL-0042 | list [filters]``: answers only the caller
sees (ephemeral), read from the store in a few queries."""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.error_replies import private_reply
from bot.escape import BLOCKS_PER_MESSAGE, cap_items, fit_blocks, safe
from bot.ids import Queries
from bot.views import issues as views
from bot.views.common import Block, context, header, modal, section
from commands.context import Deps, acting_person, guarded, person_in
from commands.slash import SlashContext
from commands.waves import side_by_side
from store.infra.errors import NotFound
from store.records import controls, issues, people
from store.records.enums import IssueCategory, IssueStatus
from store.records.issue_filters import FILTER_WORDS, FilterNotUnderstood, parse_issue_filters
from store.records.models import Issue
from store.records.permissions import Action, allowed

Json = dict[str, Any]
LIST_LIMIT = 20
LIST_USAGE = f"/golive list {FILTER_WORDS}"


def issue_rows(issues_: list[Issue], names: dict[int, str], *, limit: int) -> list[Block]:
    shown, hidden = cap_items(issues_, limit)
    blocks = [section(views.issue_line(i, names.get(i.service_id))) for i in shown]
    if hidden:
        blocks.append(context(f"…and {hidden} more"))
    return blocks


def service_names(session: Session) -> dict[int, str]:
    return {s.id: s.name for s in people.list_services(session) if s.id is not None}


def show_help(ctx: SlashContext) -> None:
    ctx.reply(ctx.deps.router.help_text())


def show_mine(ctx: SlashContext) -> None:
    def read(session: Session) -> tuple[str, list[Block]]:
        me = person_in(session, ctx.person)
        names = service_names(session)
        owned = issues.list_issues(
            session,
            filters=issues.IssueFilter(owner_id=me.id, open_only=True),
            limit=LIST_LIMIT + 1,
        )
        reported = issues.list_issues(
            session,
            filters=issues.IssueFilter(reporter_id=me.id, open_only=True),
            limit=LIST_LIMIT + 1,
        )
        mine_controls = controls.controls_owned_by(session, me)
        blocks: list[Block] = [header("Your open go-live items")]
        blocks.append(section("*Issues you own*"))
        blocks += issue_rows(owned, names, limit=LIST_LIMIT) or [context("None.")]
        blocks.append(section("*Issues you reported that are still open*"))
        blocks += issue_rows(reported, names, limit=LIST_LIMIT) or [context("None.")]
        if mine_controls:
            shown, hidden = cap_items(mine_controls, 10)
            lines = [
                f"• *{c.ref}* {safe(c.description, 200)} ({c.status.label.lower()}, due "
                f"{c.due_date.isoformat() if c.due_date else 'no date'})"
                for c in shown
            ]
            if hidden:
                lines.append(f"…and {hidden} more")
            blocks.append(section("*Controls you own*\n" + "\n".join(lines)))
        total = len(owned) + len(reported) + len(mine_controls)
        return f"You have {total} open go-live items", fit_blocks(blocks, BLOCKS_PER_MESSAGE)

    text, blocks = ctx.deps.read(read)
    ctx.reply(text, blocks)


def show_status(ctx: SlashContext) -> None:
    def read(session: Session) -> list[Block]:
        by_status = issues.count_by(session, "status")
        by_category = issues.count_by(session, "category", open_only=True)
        by_service = issues.count_by(session, "service_id", open_only=True)
        names = service_names(session)
        total = sum(by_status.values())
        status_lines = [f"{s.label}: *{by_status.get(s.value, 0)}*" for s in IssueStatus]
        category_lines = [
            f"{c.label}: *{by_category[c.value]}*" for c in IssueCategory if c.value in by_category
        ]
        service_lines = [
            f"{safe(names.get(int(key), key), 100)}: *{count}*"
            for key, count in sorted(by_service.items(), key=lambda kv: -kv[1])
            if key.isdigit()
        ]
        return [
            header("Go-live issues"),
            section(f"{total} reported in all. *By status*\n" + "\n".join(status_lines)),
            section("*Open, by category*\n" + ("\n".join(category_lines) or "None open.")),
            section("*Open, by service*\n" + ("\n".join(service_lines[:40]) or "None open.")),
            section("*Services side by side*\n" + "\n".join(side_by_side(ctx.deps, session))),
        ]

    ctx.reply("Go-live issue counts", ctx.deps.read(read))


def issue_detail(session: Session, ref: str, viewer_id: int | None) -> tuple[str, list[Block]]:
    view = views.load(session, ref)
    viewer = people.person_by_id(session, person_id=viewer_id)
    may_triage = viewer is not None and allowed(
        session, viewer, Action.TRIAGE_ISSUE, service_id=view.issue.service_id
    )
    return views.fallback(view), views.issue_blocks(view, with_actions=may_triage)


def show_issue(ctx: SlashContext) -> None:
    if len(ctx.args) < 2:
        ctx.reply("Which issue? For example `/golive issue GL-0042`.")
        return
    ref = ctx.args[1]
    text, blocks = ctx.deps.read(lambda s: issue_detail(s, ref, ctx.person.id))
    ctx.reply(text, blocks)


def parse_list_filters(session: Session, args: list[str], me_id: int | None) -> issues.IssueFilter:
    """The store's reading of the filters, its refusal worded for Slack with the usage line."""
    try:
        return parse_issue_filters(session, args, me_id=me_id)
    except FilterNotUnderstood as error:
        if error.word is not None:
            raise NotFound(
                f"I don't understand '{safe(error.word, 60)}'. Try: `{LIST_USAGE}`"
            ) from None
        raise NotFound(
            f"There is no '{safe(error.name, 40)}' filter. Try: `{LIST_USAGE}`"
        ) from None


def show_list(ctx: SlashContext) -> None:
    def read(session: Session) -> tuple[str, list[Block]]:
        filters = parse_list_filters(session, ctx.args[1:], ctx.person.id)
        found = issues.list_issues(session, filters=filters, limit=LIST_LIMIT + 1)
        names = service_names(session)
        if not found:
            return "No issues match.", [section("No issues match those filters.")]
        count = f"{min(len(found), LIST_LIMIT)}{'+' if len(found) > LIST_LIMIT else ''}"
        blocks = [
            section(f"*{count} issues*, newest first"),
            *issue_rows(found, names, limit=LIST_LIMIT),
            context("See one with `/golive issue GL-0042`."),
        ]
        return f"{count} issues", fit_blocks(blocks, BLOCKS_PER_MESSAGE)

    text, blocks = ctx.deps.read(read)
    ctx.reply(text, blocks)


def register(app: App, deps: Deps) -> None:
    router = deps.router
    router.add("help", show_help, usage="/golive help", summary="what you can do")
    router.add("mine", show_mine, usage="/golive mine", summary="your open issues and controls")
    router.add(
        "status",
        show_status,
        usage="/golive status",
        summary="issue counts by status, category and service",
    )
    router.add(
        "issue", show_issue, usage="/golive issue GL-0042", summary="one issue, with its actions"
    )
    router.add("list", show_list, usage=LIST_USAGE, summary="issues, filtered")

    def ack_click(ack: Ack) -> None:
        ack()

    @guarded
    def details_clicked(body: Json, client: WebClient) -> None:
        ref = str(body["actions"][0].get("value") or "")
        person = acting_person(deps, client, body["user"]["id"])
        text, blocks = deps.read(lambda s: issue_detail(s, ref, person.id))
        if body.get("response_url"):
            private_reply(client, body, text, blocks=blocks)
            return
        shown = [b for b in blocks if b.get("type") != "actions"]
        client.views_open(
            trigger_id=body["trigger_id"],
            view=modal(Queries.ISSUE_DETAILS, ref, shown, submit=None, close="Close"),
        )

    app.action(Queries.ISSUE_DETAILS)(ack=ack_click, lazy=[details_clicked])
