"""The issue list's filters (``list open mine status=new category=medication
service=oakwood-house urgency=urgent``), read the same way on every chat face.

A word the list does not understand is refused with a ``FilterNotUnderstood`` that keeps the
word and the filter's name apart from the words, so each face can quote them its own way and
add its own usage line.
"""

from typing import Any

from sqlmodel import Session

from store.infra.errors import NotFound
from store.records import people
from store.records.enums import IssueCategory, IssueStatus, Urgency
from store.records.issues import IssueFilter

FILTER_WORDS = (
    "[open] [mine] [status=new] [category=medication] [service=oakwood-house] [urgency=urgent]"
)
"""What follows ``list`` in each face's usage line."""


class FilterNotUnderstood(NotFound):
    """A word that is not a filter (``word``), or a filter golive does not have (``name``)."""

    def __init__(self, *, word: str | None = None, name: str | None = None) -> None:
        self.word = word
        self.name = name
        what = f"'{word}'" if word is not None else f"the '{name}' filter"
        super().__init__(f"I don't understand {what}")


def parse_issue_filters(session: Session, words: list[str], *, me_id: int | None) -> IssueFilter:
    """The filter the words ask for: ``open``, ``mine`` (issues ``me_id`` owns) and
    ``name=value`` pairs. A value that is not one of the filter's is refused with the values
    it may take; a service golive does not know, with the store's ``NotFound``."""
    values: dict[str, Any] = {}
    for arg in words:
        word = arg.strip()
        if word.lower() == "open":
            values["open_only"] = True
            continue
        if word.lower() == "mine":
            values["owner_id"] = me_id
            continue
        name, sep, value = word.partition("=")
        name = name.lower()
        if not sep or not value:
            raise FilterNotUnderstood(word=word)
        try:
            if name == "status":
                values["status"] = IssueStatus.parse(value)
            elif name == "category":
                values["category"] = IssueCategory.parse(value)
            elif name == "urgency":
                values["urgency"] = Urgency.parse(value)
            elif name == "service":
                values["service_id"] = people.get_service(session, value).id
            else:
                raise FilterNotUnderstood(name=name)
        except ValueError as error:
            raise NotFound(f"{name}: {error}") from None
    return IssueFilter(**values)
