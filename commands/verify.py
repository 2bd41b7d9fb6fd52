"""``/golive verify REF what you checked``: the second person's check that closes an issue
which affected safe care, or completes a control on a high or extreme risk. ``/golive verify``
alone lists what is waiting. The store decides who may verify; the owner and the person who
asked are refused with a message naming who can."""

from slack_bolt import App
from sqlmodel import Session

from bot.escape import safe
from bot.views.common import when
from commands.context import Deps, person_in
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import controls, issues, verification
from store.records.models import ISSUE_PREFIX

USAGE = "/golive verify GL-0042|C-7 what you checked"


def verify_item(deps: Deps, ctx: SlashContext, ref: str, evidence: str) -> None:
    if not evidence.strip():
        raise ValidationError(
            f"Say what you checked, e.g. `/golive verify {safe(ref, 40)} paper MAR matches eMAR`",
            field="evidence",
        )

    def work(session: Session) -> str:
        actor = person_in(session, ctx.person)
        if ref.strip().upper().startswith(("GL", ISSUE_PREFIX)):
            issue = issues.verify_closure(
                session, actor=actor, ref=ref, evidence=evidence, now=deps.now()
            )
            return f":white_check_mark: You verified *{issue.ref}*; it is now closed."
        control = controls.get_control(session, ref)
        controls.confirm_complete(
            session, actor=actor, control=control, evidence=evidence, now=deps.now()
        )
        return f":white_check_mark: You verified *{control.ref}*; it is now complete."

    ctx.reply(deps.run(work))


def list_waiting(deps: Deps, ctx: SlashContext) -> None:
    def build(session: Session) -> str:
        rows = verification.all_pending(session)
        if not rows:
            return "Nothing is waiting for verification."
        lines = [f"• *{row.item_ref}* asked {when(row.requested_at)}" for row in rows]
        shown = lines[:20]
        if len(lines) > len(shown):
            shown.append(f"and {len(lines) - len(shown)} more")
        return "*Waiting for a second person to verify*\n" + "\n".join(shown) + f"\n`{USAGE}`"

    ctx.reply(deps.read(build))


def register(app: App, deps: Deps) -> None:
    def verify_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            list_waiting(deps, ctx)
        else:
            verify_item(deps, ctx, ctx.args[1], " ".join(ctx.args[2:]))

    deps.router.add(
        "verify",
        verify_command,
        usage=USAGE,
        summary="verify a safe-care closure or a high-risk control (a second manager)",
    )
