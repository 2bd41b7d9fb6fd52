"""The NHS 5x5 risk matrix: likelihood x impact, and the band each score falls in."""

from store.infra.errors import ValidationError
from store.records.enums import Band

LIKELIHOOD: dict[int, tuple[str, str]] = {
    1: ("Rare", "Not expected to happen; only in exceptional circumstances"),
    2: ("Unlikely", "Not expected, but it could happen"),
    3: ("Possible", "Might happen occasionally"),
    4: ("Likely", "Will probably happen, but is not a persistent issue"),
    5: ("Almost certain", "Will undoubtedly happen, possibly often"),
}

IMPACT: dict[int, tuple[str, str]] = {
    1: ("Negligible", "No harm to people; no disruption to care or records"),
    2: ("Minor", "Minor harm or short disruption; records recoverable the same shift"),
    3: ("Moderate", "Harm needing professional intervention; care or records disrupted for days"),
    4: ("Major", "Serious harm or lasting disruption to care, medication or safeguarding"),
    5: ("Catastrophic", "Death or permanent harm; loss of safe care across a service"),
}

BAND_LIMITS: tuple[tuple[int, Band], ...] = (
    (3, Band.LOW),
    (6, Band.MODERATE),
    (12, Band.HIGH),
    (25, Band.EXTREME),
)


def band_for(score: int) -> Band:
    """1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme."""
    if not 1 <= score <= 25:
        raise ValueError(f"a 5x5 score is between 1 and 25, not {score}")
    return next(band for limit, band in BAND_LIMITS if score <= limit)


def score_range(band: Band) -> tuple[int, int]:
    """The lowest and highest score in a band, for filtering in SQL."""
    low = 1
    for limit, each in BAND_LIMITS:
        if each == band:
            return low, limit
        low = limit + 1
    raise ValueError(band)


# The lowest score of a high risk (7, though no likelihood x impact makes 7): the board hears
# of every open risk scored this or more.
HIGH_SCORE = score_range(Band.HIGH)[0]


def check_rating(value: object, *, field: str) -> int:
    """A likelihood or impact as given by a person: a whole number from 1 to 5."""
    words = "Likelihood" if field == "likelihood" else "Impact"
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(
            f"{words} must be a whole number from 1 to 5, not '{value}'", field=field
        ) from None
    if not 1 <= number <= 5:
        raise ValidationError(f"{words} must be from 1 to 5, not {number}", field=field)
    return number
