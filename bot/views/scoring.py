"""Block Kit for scoring a risk on the 5x5 matrix: the score modal with the words for each
rating, and the score and band as every register view shows them."""

from bot.escape import OPTION_TEXT, cap_items, plain, safe
from bot.ids import ScoreIds
from bot.views.common import (
    Block,
    context,
    datepicker,
    form_modal,
    input_block,
    option,
    section,
    static_select,
    text_input,
    text_obj,
)
from store.records.enums import Band
from store.records.models import Control, Risk
from store.records.scoring import IMPACT, LIKELIHOOD, band_for

PRIORITY_OPTION_LIMIT = 10
BAND_MARK = {
    Band.LOW: ":large_green_circle:",
    Band.MODERATE: ":large_yellow_circle:",
    Band.HIGH: ":large_orange_circle:",
    Band.EXTREME: ":red_circle:",
}


# ---------------------------------------------------------------------- words


def score_text(likelihood: int | None, impact: int | None) -> str:
    """The score and its band, as the score modal shows them at once."""
    if likelihood is None or impact is None:
        return "_Not scored yet_"
    score = likelihood * impact
    band = band_for(score)
    return f"{BAND_MARK[band]} *{score}* ({likelihood} × {impact}) · *{band.label}*"


def risk_score_line(risk: Risk) -> str:
    return score_text(risk.likelihood, risk.impact)


def rating_options(scale: dict[int, tuple[str, str]]) -> list[Block]:
    return [
        described_option(f"{n} · {name}", str(n), meaning) for n, (name, meaning) in scale.items()
    ]


def described_option(text: str, value: str, description: str) -> Block:
    """An option with the words that define it, as the 5x5 matrix needs."""
    return {**option(value, text), "description": text_obj(plain(description, OPTION_TEXT))}


def dispatching(block: Block) -> Block:
    """An input that tells the app as soon as it changes (the score shown at once)."""
    return {**block, "dispatch_action": True}


# ---------------------------------------------------------------------- the score modal


def score_modal(
    risk: Risk,
    *,
    likelihood: int | None,
    impact: int | None,
    open_controls: list[Control],
) -> Block:
    """Likelihood and impact with the NHS words for each; the score and band beside them."""
    l_options = rating_options(LIKELIHOOD)
    i_options = rating_options(IMPACT)
    blocks: list[Block] = [
        context(f"*{risk.ref}* {safe(risk.title, 500)} · now {risk_score_line(risk)}"),
        dispatching(
            input_block(
                ScoreIds.LIKELIHOOD,
                "Likelihood",
                static_select(l_options, initial=_str(likelihood)),
            )
        ),
        dispatching(
            input_block(ScoreIds.IMPACT, "Impact", static_select(i_options, initial=_str(impact)))
        ),
        section(score_text(likelihood, impact), block_id=ScoreIds.RESULT),
        input_block(
            ScoreIds.REASON,
            "Why this score",
            text_input(multiline=True, max_length=1000),
            hint="Kept in the score history with your name and the time.",
        ),
        input_block(
            ScoreIds.REVIEW_DATE, "Review by", datepicker(initial=risk.review_date), optional=True
        ),
        input_block(
            ScoreIds.TARGET_LIKELIHOOD,
            "Target likelihood once controls work",
            static_select(l_options, initial=_str(risk.target_likelihood)),
            optional=True,
        ),
        input_block(
            ScoreIds.TARGET_IMPACT,
            "Target impact once controls work",
            static_select(i_options, initial=_str(risk.target_impact)),
            optional=True,
        ),
    ]
    choices, _ = cap_items(open_controls, PRIORITY_OPTION_LIMIT)
    if choices:
        options = [option(str(c.id), f"{c.ref} {c.description}") for c in choices]
        checkboxes: Block = {"type": "checkboxes", "options": options}
        initial = [o for o, c in zip(options, choices, strict=True) if c.priority]
        if initial:
            checkboxes["initial_options"] = initial
        blocks.append(
            input_block(ScoreIds.PRIORITY, "Priority controls", checkboxes, optional=True)
        )
    return form_modal(ScoreIds.VIEW, f"Score {risk.ref}", blocks, metadata=risk.ref)


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)
