"""Checks for free text people type: required or optional, within a length, no control codes,
and no resident's NHS number or date of birth (see store/records/privacy.py)."""

from store.infra.errors import ValidationError
from store.records.privacy import refuse_personal_data

DESCRIPTION_LIMIT = 3000


def clean_text(
    value: str | None, *, field: str, label: str, limit: int = DESCRIPTION_LIMIT, required: bool
) -> str | None:
    text = "".join(ch for ch in (value or "") if ch in "\n\t" or ch.isprintable()).strip()
    if not text:
        if required:
            raise ValidationError(f"{label} is required", field=field)
        return None
    if len(text) > limit:
        raise ValidationError(
            f"{label} is {len(text):,} characters; shorten it to {limit:,}", field=field
        )
    refuse_personal_data(text, field=field)
    return text


def required_text(
    value: str | None, *, field: str, label: str, limit: int = DESCRIPTION_LIMIT
) -> str:
    text = clean_text(value, field=field, label=label, limit=limit, required=True)
    assert text is not None
    return text
