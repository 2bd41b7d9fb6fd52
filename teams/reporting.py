"""Reporting an issue from Teams: ``report`` typed to the bot (or the welcome card's button)
opens the report dialog; the message extension *Report go-live issue* opens it with the
message's text and link. Submitting calls the same store function as Slack's modal, with the
same form reader, so the rules and the words are the same."""

import uuid
from typing import Any

from store.infra.errors import DomainError, ValidationError
from store.records import issues, people
from store.records.enums import IssueSource
from store.records.fields import FieldReader, Invalid
from store.records.report_form import ReportField, read_report
from teams import cards
from teams.face import Command, Dialog, Face, plain_text, sender_of
from teams.issue_cards import REPORT, REPORT_TITLE, report_card, welcome_card

Json = dict[str, Any]
MESSAGE_ACTION = "reportIssue"
"""The message extension's command id (teams/package.py puts it in the app manifest)."""
INPUTS = {str(field) for field in ReportField}


def report_prompt() -> Json:
    """What ``report`` typed to the bot answers: Teams opens a dialog only from a button."""
    return cards.message(
        REPORT_TITLE,
        cards.card(
            [cards.words("Tell golive what went wrong; it goes to the triage team at once.")],
            [cards.dialog_button(REPORT_TITLE, {"golive": REPORT})],
        ),
    )


def welcome() -> Json:
    return cards.message("golive is here to help your go-live", welcome_card())


def open_dialog(
    face: Face, activity: Json, *, description: str = "", permalink: str | None = None
) -> Json:
    source = IssueSource.MESSAGE_SHORTCUT if permalink or description else IssueSource.SLASH_COMMAND

    def build(session: Any) -> Json:
        person = sender_of(session, activity, face=face)
        return report_card(
            people.service_choices(session),
            default_service_id=person.service_id,
            description=description[:3000],
            source=source,
            permalink=permalink,
            nonce=uuid.uuid4().hex,
        )

    return cards.dialog(REPORT_TITLE, face.run(build))


def open_from_message(face: Face, activity: Json) -> Json:
    payload = (activity.get("value") or {}).get("messagePayload") or {}
    text = plain_text((payload.get("body") or {}).get("content"))
    link = payload.get("linkToMessage")
    return open_dialog(face, activity, description=text, permalink=link if link else None)


def submit(face: Face, activity: Json) -> Json:
    """Record the report, or send the dialog back with the errors beside the fields."""
    data = (activity.get("value") or {}).get("data") or {}
    answers = {key: value for key, value in data.items() if key in INPUTS}
    try:
        source = IssueSource(str(data.get("source") or IssueSource.SLASH_COMMAND))
    except ValueError:
        source = IssueSource.SLASH_COMMAND
    permalink = data.get("permalink") if isinstance(data.get("permalink"), str) else None
    nonce = str(data.get("nonce") or activity.get("id") or uuid.uuid4().hex)[:64]

    def again(errors: dict[str, str]) -> Json:
        card = face.read(
            lambda session: report_card(
                people.service_choices(session),
                default_service_id=None,
                source=source,
                permalink=permalink,
                nonce=nonce,
                errors=errors,
                answers=answers,
            )
        )
        return cards.dialog(REPORT_TITLE, card)

    read = read_report(FieldReader(answers), source=source, permalink=permalink)
    if isinstance(read, Invalid):
        return again(read.errors)
    report = read.value
    try:
        issue = face.run(
            lambda session: (
                issues.report_issue(
                    session,
                    reporter=sender_of(session, activity, face=face),
                    report=report,
                    now=face.clock.now(),
                    submission_key=f"report:teams:{nonce}",
                )[0].ref
            )
        )
    except ValidationError as error:
        if error.field in INPUTS:
            return again({str(error.field): str(error)})
        return refusal(str(error))
    except DomainError as error:
        return refusal(str(error))
    return cards.dialog_done(f"Thanks, your report is in: {issue}.")


def submit_from_message(face: Face, activity: Json) -> Json:
    """The message extension's submit: as the dialog's, but a report taken in closes the
    dialog with no answer (a message extension may not answer with a message); the reporter
    hears in their personal chat, as every reporter does."""
    answer = submit(face, activity)
    return {} if answer.get("task", {}).get("type") == "message" else answer


def refusal(words: str) -> Json:
    """A dialog showing why golive could not go on, in the words the store gave."""
    return cards.dialog(REPORT_TITLE, cards.card([cards.words(words, attention=True)]))


def _prompt(face: Face, activity: Json, rest: str) -> Json:
    return report_prompt()


COMMANDS = {
    "report": Command(_prompt, "report", "report a go-live problem (opens a short form)"),
}
DIALOGS = {REPORT: Dialog(lambda face, activity: open_dialog(face, activity), submit)}
