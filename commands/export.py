"""``/golive export``: the register, logs, review and audit trail as files in Slack.

``/golive export`` sends everything (the XLSX workbook, every table as CSV with the audit trail
among them, and the evidence pack as HTML and PDF) to the caller's direct messages; add
``xlsx`` (the workbook and the audit trail), ``csv``, ``evidence`` (HTML), ``pdf`` or ``all`` to
choose, and ``here`` to share them in the project or board channel
instead (never in any other channel: the records name staff and residents' circumstances).
Files are built and uploaded after the command is acked, and each export is written to the
audit trail.
"""

from slack_bolt import App
from sqlmodel import Session

from commands.context import Deps, person_in
from commands.slash import SlashContext
from documents.evidence import EXPORT_FORMATS, export_files
from store.infra.errors import DomainError
from store.records import audit
from store.records.channels import all_channels
from store.records.enums import ChannelPurpose
from store.records.exporting import require_export
from store.records.privacy import may_see_personal_data

USAGE = "/golive export [xlsx | csv | evidence | pdf | all] [here]"
SHARED_PURPOSES = (ChannelPurpose.PROJECT, ChannelPurpose.BOARD)
UPLOAD_BATCH = 10


def parse(args: list[str]) -> tuple[str, bool]:
    """The chosen format and whether to share in this channel."""
    words = [a.lower() for a in args[1:]]
    here = "here" in words
    chosen = [w for w in words if w != "here"]
    if len(chosen) > 1 or (chosen and chosen[0] not in EXPORT_FORMATS):
        raise DomainError(f"Say what to export, like `{USAGE}`.")
    return (chosen[0] if chosen else "all"), here


def run_export(deps: Deps, ctx: SlashContext) -> None:
    fmt, here = parse(ctx.args)
    now = deps.now()

    def check(session: Session) -> None:
        person = person_in(session, ctx.person)
        require_export(session, person)
        shared = [all_channels(session).get(p) for p in SHARED_PURPOSES]
        if here and ctx.channel_id not in shared:
            raise DomainError(
                "Exports are shared only in the project or board channel. Run "
                "`/golive export` without `here` to get the files in a direct message."
            )

    deps.read(check)
    ctx.reply(":hourglass_flowing_sand: Preparing your export; the files follow in a moment.")
    zone = deps.settings.zone

    def build(session: Session) -> list[tuple[str, bytes, str]]:
        # Unmasked only in a private message to someone accountable for residents' records.
        reveal = not here and may_see_personal_data(session, person_in(session, ctx.person))
        return export_files(
            session, fmt, now=now, zone=zone, provider=deps.settings.provider_name, reveal=reveal
        )

    files = deps.read(build)
    if here:
        channel = ctx.channel_id
    else:
        opened = ctx.client.conversations_open(users=ctx.user_id)
        channel = str((opened.get("channel") or {}).get("id") or ctx.user_id)
    when = now.astimezone(zone)
    comment = f"Go-live records exported {when:%d %b %Y %H:%M} for <@{ctx.user_id}>."
    # Slack shares at most UPLOAD_BATCH files in one message; a full export is a few more.
    for first in range(0, len(files), UPLOAD_BATCH):
        ctx.client.files_upload_v2(
            channel=channel,
            file_uploads=[
                {"content": data, "filename": name, "title": title}
                for name, data, title in files[first : first + UPLOAD_BATCH]
            ],
            initial_comment=comment if first == 0 else None,
        )
    names = ", ".join(name for name, _, _ in files)

    def record(session: Session) -> None:
        person = person_in(session, ctx.person)
        where = "shared in the channel" if here else "sent by direct message"
        audit.record_action(
            session, person, actor=person, action="exported", now=now, note=f"{names} ({where})"
        )

    deps.run(record)
    where = "in this channel" if here else "in your direct messages with golive"
    ctx.reply(f":white_check_mark: Export ready {where}: {names}.")


def register(app: App, deps: Deps) -> None:
    deps.router.add(
        "export",
        lambda ctx: run_export(deps, ctx),
        usage=USAGE,
        summary="the register, logs and evidence pack (HTML and PDF) as files (authorised roles)",
    )
