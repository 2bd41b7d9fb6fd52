"""Errors the store raises so that every caller (Slack, CLI, job) can tell the user what to fix."""


class DomainError(Exception):
    """A change the rules refuse; the message is written for the person who asked for it."""


class ValidationError(DomainError):
    """Input that cannot be recorded as given.

    ``field`` names the input at fault, so a modal can put the message beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """A reference that names no record."""


class PermissionDenied(DomainError):
    """The person may not make this change; the message says who can."""
