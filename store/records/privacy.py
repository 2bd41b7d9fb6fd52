"""Personal data that staff should not type into golive: NHS numbers and dates of birth.

golive records problems with a system, not care records; a resident is named by a resident or
room reference (``Room 12``, ``R-0042``), which the care system resolves. Text is checked when
it is typed (the store refuses it beside the field) and masked wherever it is shown, so
anything recorded before this check, or imported, still never reaches a channel.

What counts:

* an NHS number: ten digits, together or grouped 3-3-4 by spaces or dashes, that pass the
  NHS modulus-11 check (a random ten-digit number passes about one time in eleven, so phone
  numbers, which have eleven digits, and order numbers rarely trip it);
* a date of birth: a real calendar date in a common UK form (``12/03/1941``, ``12-3-41``,
  ``12.03.1941``, ``12 March 1941``, ``12th Mar 1941``, ``1941-03-12``) either following
  "DOB", "D.O.B.", "date of birth", "born" or "birthday", or, without those words, written
  with a twentieth-century year: go-live work is dated this century, residents were born in
  the last.
"""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlmodel import Session

from store.infra.errors import ValidationError
from store.records.enums import Role
from store.records.models import Person
from store.records.permissions import grants_of

# Who may receive an export with personal data unmasked, privately: the people accountable
# for residents' records (registered manager, quality lead) and admins. Project leads and
# board members govern the project, not care, and get the masked export.
MAY_SEE_PERSONAL_DATA = frozenset({Role.REGISTERED_MANAGER, Role.QUALITY_LEAD, Role.ADMIN})
NHS_MASK = "[NHS number removed]"
DOB_MASK = "[date of birth removed]"

NHS_NUMBER = re.compile(r"(?<![\w-])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\w-])")
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMERIC_DATE = re.compile(r"(?<![\w/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/-]|\.\d)")
WORDY_DATE = re.compile(
    rf"(?<!\w)(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_WORD})\.?,?\s+(\d{{4}})(?!\w)",
    re.IGNORECASE,
)
DIGIT = re.compile(r"\d")
ISO_DATE = re.compile(r"(?<![\w/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w/-])")
BIRTH_WORDS = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b|\bbirthday\b)[\s:\-–]*(?:on\s+)?$",
    re.IGNORECASE,
)
LOOKBEHIND = 30


class Kind(StrEnum):
    NHS_NUMBER = "NHS number"
    DATE_OF_BIRTH = "date of birth"


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int


def nhs_number_valid(digits: str) -> bool:
    """The NHS modulus-11 check: weights 10..2 on the first nine digits; 11 - remainder is the
    tenth (11 reads as 0, and 10 means no valid number has these nine digits)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(text: str) -> int:
    """Two-digit years only appear after a birth word; residents are old, so 41 means 1941."""
    value = int(text)
    return value + 1900 if len(text) == 2 else value


def _dates(text: str) -> list[tuple[int, int, date, bool]]:
    """Every real date in ``text``: (start, end, the date, written with a two-digit year)."""
    found = []
    for match in NUMERIC_DATE.finditer(text):
        day_, _, month, year = match.groups()
        when = _real_date(_full_year(year), int(month), int(day_))
        if when is not None:
            found.append((match.start(), match.end(), when, len(year) == 2))
    for match in WORDY_DATE.finditer(text):
        when = _real_date(int(match[3]), MONTHS[match[2].lower()], int(match[1]))
        if when is not None:
            found.append((match.start(), match.end(), when, False))
    for match in ISO_DATE.finditer(text):
        when = _real_date(int(match[1]), int(match[2]), int(match[3]))
        if when is not None:
            found.append((match.start(), match.end(), when, False))
    return found


def find_personal_data(text: str | None) -> list[Finding]:
    """NHS numbers and dates of birth in ``text``, in order, without overlaps."""
    if not text or DIGIT.search(text) is None:
        # Both are written with digits; most text has none, and digests mask every line.
        return []
    findings = [
        Finding(Kind.NHS_NUMBER, m.start(), m.end())
        for m in NHS_NUMBER.finditer(text)
        if nhs_number_valid(m[1] + m[3] + m[4])
    ]
    for start, end, when, short_year in _dates(text):
        after_birth_word = BIRTH_WORDS.search(text[max(start - LOOKBEHIND, 0) : start]) is not None
        old_enough = not short_year and 1900 <= when.year <= 1999
        if after_birth_word or old_enough:
            findings.append(Finding(Kind.DATE_OF_BIRTH, start, end))
    findings.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for finding in findings:
        if not kept or finding.start >= kept[-1].end:
            kept.append(finding)
    return kept


def mask(text: str | None) -> str:
    """``text`` with every NHS number and date of birth replaced by a marker saying so."""
    if not text:
        return text or ""
    findings = find_personal_data(text)
    if not findings:
        return text
    parts, position = [], 0
    for finding in findings:
        parts.append(text[position : finding.start])
        parts.append(NHS_MASK if finding.kind == Kind.NHS_NUMBER else DOB_MASK)
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


def refuse_personal_data(text: str | None, *, field: str) -> None:
    """Ask the person to name the resident by reference instead, beside the field at fault."""
    findings = find_personal_data(text)
    if not findings:
        return
    kinds = sorted({f.kind.value for f in findings})
    what = " and ".join(kinds)
    raise ValidationError(
        f"This looks like it contains a resident's {what}. Please use a resident or room "
        "reference instead (for example Room 12), so no personal data is kept in golive",
        field=field,
    )


def may_see_personal_data(session: Session, person: Person) -> bool:
    assert person.id is not None
    return any(g.role in MAY_SEE_PERSONAL_DATA for g in grants_of(session, person.id))
