"""Adaptive Card builders: plain dicts, built in one place, tested as data.

Text people typed is shown in ``RichTextBlock`` runs, which Teams does not read as markdown,
so a report cannot forge a link or bold text on the triage card; golive's own words go in
``TextBlock``s.
"""

from typing import Any

Json = dict[str, Any]
CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
TEXT_LIMIT = 3000
"""Longest stretch of one typed text shown on a card; Teams refuses a message over 28 KB."""


def card(body: list[Json], actions: list[Json] | None = None) -> Json:
    built: Json = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        built["actions"] = actions
    return built


def attachment(content: Json) -> Json:
    return {"contentType": CARD, "content": content}


def message(text: str, content: Json | None = None) -> Json:
    """A message activity: ``text`` is what notifications and screen readers say."""
    activity: Json = {"type": "message", "text": text}
    if content is not None:
        activity["attachments"] = [attachment(content)]
    return activity


def heading(text: str) -> Json:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "wrap": True}


def words(text: str, *, subtle: bool = False, attention: bool = False) -> Json:
    block: Json = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        block["isSubtle"] = True
        block["size"] = "Small"
    if attention:
        block["color"] = "Attention"
    return block


def typed(text: str | None, *, label: str | None = None, limit: int = TEXT_LIMIT) -> Json:
    """Someone's own words, shown as they wrote them (never read as markdown)."""
    value = text or ""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    runs: list[Json] = []
    if label:
        runs.append({"type": "TextRun", "text": f"{label}: ", "weight": "Bolder"})
    runs.append({"type": "TextRun", "text": value})
    return {"type": "RichTextBlock", "inlines": runs}


def facts(pairs: list[tuple[str, str]]) -> Json:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def choices(pairs: list[tuple[str, str]]) -> list[Json]:
    return [{"title": title, "value": value} for value, title in pairs]


def choice_input(
    field: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    value: str | None = None,
    expanded: bool = False,
    required: bool = True,
) -> Json:
    block: Json = {
        "type": "Input.ChoiceSet",
        "id": field,
        "label": label,
        "choices": choices(options),
        "style": "expanded" if expanded else "compact",
        "isRequired": required,
    }
    if value is not None:
        block["value"] = value
    return block


def text_input(
    field: str,
    label: str,
    *,
    value: str = "",
    placeholder: str | None = None,
    multiline: bool = True,
    required: bool = False,
    limit: int = TEXT_LIMIT,
) -> Json:
    block: Json = {
        "type": "Input.Text",
        "id": field,
        "label": label,
        "isMultiline": multiline,
        "isRequired": required,
        "maxLength": limit,
        "value": value,
    }
    if placeholder:
        block["placeholder"] = placeholder
    return block


def date_input(field: str, label: str) -> Json:
    return {"type": "Input.Date", "id": field, "label": label}


def with_errors(inputs: list[Json], errors: dict[str, str]) -> list[Json]:
    """Each input followed by its error, if it has one, in the words the store or the form
    reader gave; the first error also goes at the top, where the eye lands."""
    body: list[Json] = []
    for block in inputs:
        body.append(block)
        message = errors.get(str(block.get("id")))
        if message:
            body.append(words(message, attention=True))
    return body


def submit(title: str, data: Json) -> Json:
    return {"type": "Action.Submit", "title": title, "data": data}


def execute(title: str, verb: str, data: Json, *, style: str | None = None) -> Json:
    """A Universal Action: Teams sends ``adaptiveCard/action`` and shows the card golive
    answers with in place of this one."""
    action: Json = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


def show_card(title: str, body: list[Json], actions: list[Json]) -> Json:
    return {"type": "Action.ShowCard", "title": title, "card": card(body, actions)}


def dialog_button(title: str, data: Json) -> Json:
    """A button that opens a dialog (task module): Teams sends ``task/fetch`` with ``data``."""
    return submit(title, {**data, "msteams": {"type": "task/fetch"}})


def dialog(title: str, content: Json) -> Json:
    """The answer to ``task/fetch`` (or a dialog submitted with errors): show this card."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "width": "medium",
                "height": "large",
                "card": attachment(content),
            },
        }
    }


def dialog_done(text: str) -> Json:
    """The answer to a dialog's submit: close it and show ``text``."""
    return {"task": {"type": "message", "value": text}}


def refreshed(content: Json) -> Json:
    """The answer to ``adaptiveCard/action``: the card to show in place of the one clicked."""
    return {"statusCode": 200, "type": CARD, "value": content}


MESSAGE_BYTES = 26_000
"""Most of a message golive sends: Teams refuses one over about 28 KB with its envelope."""


def fitted(activity: Json, limit: int = MESSAGE_BYTES) -> Json:
    """``activity`` within Teams' message limit: a card too long loses its last blocks, and
    says how many parts are not shown, rather than being refused whole."""
    attachments: list[Json] = activity.get("attachments") or []
    content = attachments[0].get("content") if attachments else None
    if not isinstance(content, dict) or _size(activity) <= limit:
        return activity
    body: list[Json] = list(content.get("body") or [])
    hidden = 0
    note = words("", subtle=True)
    content["body"] = body
    while len(body) > 1 and _size(activity) > limit:
        if body[-1] is note:
            body.pop()
        body.pop()
        hidden += 1
        note["text"] = f"…and {hidden} more {'part' if hidden == 1 else 'parts'} not shown"
        body.append(note)
    return activity


def _size(activity: Json) -> int:
    import json

    return len(json.dumps(activity, ensure_ascii=False).encode())
